# Dot-sourced by every test file: imports the built module and names the fixture folder.
$script:ModulePath = if ($env:GGUFPS_MODULE_PATH) { $env:GGUFPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/GgufPs' }
$script:Fixtures = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures')).Path
$script:Stories = Join-Path $Fixtures 'models/stories260K/stories260K.gguf'
$script:TinyRandom = Join-Path $Fixtures 'models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf'
Import-Module $ModulePath -Force
