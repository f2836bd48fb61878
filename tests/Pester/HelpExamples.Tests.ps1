# Runs every help example that uses only the bundled fixtures, in a scratch folder holding a copy of them, so the
# examples users read are known to work.
BeforeDiscovery {
    $modulePath = if ($env:GGUFPS_MODULE_PATH) { $env:GGUFPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/GgufPs' }
    Import-Module $modulePath -Force
    $script:Examples = foreach ($command in Get-Command -Module GgufPs -CommandType Cmdlet) {
        $i = 0
        foreach ($example in (Get-Help $command.Name -Full).Examples.Example) {
            $i++
            $code = $example.Code
            # Examples about the user's own models (model-f16.gguf, wiki.test.raw, ...) cannot run here.
            if ($code -notmatch 'tests/fixtures' -or $code -match '<[^>]+>') { continue }
            @{ Command = $command.Name; Number = $i; Code = $code }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $sandbox = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-examples-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path (Join-Path $sandbox 'tests') -Force | Out-Null
    Copy-Item $Fixtures (Join-Path $sandbox 'tests/fixtures') -Recurse
}

AfterAll {
    Remove-Item $sandbox -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Help example <Number> of <Command>' -ForEach $Examples {
    It 'runs without errors' {
        Push-Location $sandbox
        try {
            $ErrorActionPreference = 'Stop'
            $script = [scriptblock]::Create($Code)
            { & $script | Out-String | Out-Null } | Should -Not -Throw
        } finally {
            Pop-Location
        }
    }
}
