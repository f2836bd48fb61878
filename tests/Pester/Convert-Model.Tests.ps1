BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-convert-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $llamaHf = Join-Path $Fixtures 'models/tiny-random-llama-2-hf'

    # A copy of the tiny llama folder in the scratch area, to break in one way or another.
    function New-ModelFolder([string] $Name) {
        $folder = Join-Path $scratch $Name
        Copy-Item $llamaHf $folder -Recurse
        $folder
    }

    function Get-Leftovers([string] $Folder) {
        Get-ChildItem (Split-Path $Folder) -Filter '*.gguf*' | Where-Object Name -like "$(Split-Path $Folder -Leaf)*"
    }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Convert-Model' {
    It 'converts a Hugging Face folder to <folder>-F16.gguf beside it and returns the model' {
        $folder = New-ModelFolder 'tiny-llama'
        $info = Convert-Model $folder -WarningVariable warnings 3>$null
        $info | Should -BeOfType ([GgufPs.GgufModelInfo])
        $info.Path | Should -Be (Join-Path $scratch 'tiny-llama-F16.gguf')
        $info.Architecture | Should -Be 'llama'
        $info.FileType | Should -Be 'MOSTLY_F16'
        $info.VocabularySize | Should -Be 3000
        $info.TensorCount | Should -Be 21
        $warnings | Should -Match '32000 pieces'
    }

    It 'takes folders from the pipeline, by value and by FullName' {
        $folder = New-ModelFolder 'piped'
        $byValue = $folder | Convert-Model -OutType BF16 -OutputPath (Join-Path $scratch 'piped-{ftype}.gguf') 3>$null
        $byValue.Path | Should -Be (Join-Path $scratch 'piped-bf16.gguf')
        $byName = Get-Item $folder | Convert-Model -OutType F32 -OutputPath (Join-Path $scratch 'piped-{FTYPE}.gguf') 3>$null
        $byName.Path | Should -Be (Join-Path $scratch 'piped-F32.gguf')
        $byName.FileType | Should -Be 'ALL_F32'
    }

    It 'picks the source type with -OutType Auto and applies -Metadata' {
        $out = Join-Path $scratch 'auto.gguf'
        $info = Convert-Model $llamaHf -OutType Auto -OutputPath $out -Metadata @{ 'general.name' = 'Tiny Llama'; 'custom.note' = 'converted' } 3>$null
        $info.FileType | Should -Be 'MOSTLY_BF16'
        $info.Name | Should -Be 'Tiny Llama'
        $info.Metadata['custom.note'] | Should -Be 'converted'
        $info.Metadata['general.size_label'] | Should -Be '104K'
    }

    It 'takes -Metadata values PowerShell wraps, and arrays as arrays of their elements'' type' {
        $info = Convert-Model $llamaHf -OutputPath (Join-Path $scratch 'metadata-arrays.gguf') 3>$null -Metadata @{
            'custom.number' = (Write-Output 42)
            'custom.tags' = @('tiny', (Write-Output 'random'))
            'custom.sizes' = @(1, 2, 3)
        }
        $info.Metadata['custom.number'] | Should -Be 42
        $entries = Get-GgufInfo $info.Path -Metadata
        ($entries | Where-Object Key -eq 'custom.tags').Value | Should -Be @('tiny', 'random')
        ($entries | Where-Object Key -eq 'custom.sizes').Value | Should -Be @(1, 2, 3)
        ($entries | Where-Object Key -eq 'custom.sizes').DisplayValue | Should -Match 'i32'
    }

    It 'writes a vocabulary-only file with -VocabOnly' {
        $info = Convert-Model $llamaHf -VocabOnly -OutputPath (Join-Path $scratch 'vocab.gguf') 3>$null
        $info.TensorCount | Should -Be 0
        $info.TokenizerModel | Should -Be 'llama'
    }

    It 'writes nothing with -WhatIf' {
        $folder = New-ModelFolder 'whatif'
        Convert-Model $folder -OutType Q8_0 -WhatIf 3>$null | Should -BeNullOrEmpty
        Get-Leftovers $folder | Should -BeNullOrEmpty
    }

    It 'refuses to replace an existing output without -Force' {
        $out = Join-Path $scratch 'exists.gguf'
        Set-Content $out 'keep me'
        Convert-Model $llamaHf -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue 3>$null | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $out | Should -Be 'keep me'
        (Convert-Model $llamaHf -OutputPath $out -Force 3>$null).TensorCount | Should -Be 21
    }

    It 'reproduces stories260K.gguf from the llama2.c checkpoint' {
        $out = Join-Path $scratch 'stories260K.gguf'
        $info = Convert-Model (Join-Path $Fixtures 'models/stories260K/stories260K.bin') -OutType F32 -OutputPath $out
        $info.TensorCount | Should -Be 48
        (Get-FileHash $out).Hash | Should -Be (Get-FileHash $Stories).Hash
    }

    It 'feeds Invoke-Quantize through the pipeline' {
        $folder = New-ModelFolder 'to-quantize'
        $info = Convert-Model $folder -OutType F32 3>$null | Invoke-Quantize -Type Q8_0 3>$null
        $info.FileType | Should -Be 'MOSTLY_Q8_0'
        $info.Path | Should -Be (Join-Path $scratch 'to-quantize-Q8_0.gguf')
    }

    It 'completes -OutType values' {
        $line = 'Convert-Model x -OutType '
        $matches = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $matches | Should -Contain 'Q8_0'
        $matches | Should -Contain 'Auto'
    }
}

Describe 'Convert-Model bad input' {
    It 'reports a missing folder as ObjectNotFound' {
        Convert-Model (Join-Path $scratch 'no-such-model') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports <Case> as <Category> and leaves no output' -ForEach @(
        @{ Case = 'a truncated safetensors file'; Category = 'InvalidData'; Pattern = 'truncated'; Break = {
            param($f) $p = Join-Path $f 'model.safetensors'; $b = [IO.File]::ReadAllBytes($p); [IO.File]::WriteAllBytes($p, $b[0..99999]) } }
        @{ Case = 'a header length past the end'; Category = 'InvalidData'; Pattern = 'header length'; Break = {
            param($f) $p = Join-Path $f 'model.safetensors'; $b = [IO.File]::ReadAllBytes($p); $b[0] = 0xff; $b[1] = 0xff; $b[2] = 0x7f; [IO.File]::WriteAllBytes($p, $b) } }
        @{ Case = 'offsets out of range'; Category = 'InvalidData'; Pattern = 'data_offsets'; Break = {
            param($f) $p = Join-Path $f 'model.safetensors'; $b = [IO.File]::ReadAllBytes($p)
            $text = [Text.Encoding]::ASCII.GetString($b, 8, 2160).Replace('[208512,208544]', '[208512,999999]')
            [Text.Encoding]::ASCII.GetBytes($text).CopyTo($b, 8); [IO.File]::WriteAllBytes($p, $b) } }
        @{ Case = 'a missing shard'; Category = 'ObjectNotFound'; Pattern = 'model-00002-of-00002'; Break = {
            param($f) Set-Content (Join-Path $f 'model.safetensors.index.json') '{"weight_map": {"lm_head.weight": "model-00001-of-00002.safetensors", "model.norm.weight": "model-00002-of-00002.safetensors"}}'
            Move-Item (Join-Path $f 'model.safetensors') (Join-Path $f 'model-00001-of-00002.safetensors') } }
        @{ Case = 'a config.json without architectures'; Category = 'InvalidData'; Pattern = 'architectures'; Break = {
            param($f) Set-Content (Join-Path $f 'config.json') '{"model_type": "llama", "hidden_size": 16}' } }
        @{ Case = 'an unknown architecture'; Category = 'NotImplemented'; Pattern = 'LlamaForCausalLM'; Break = {
            param($f) Set-Content (Join-Path $f 'config.json') '{"architectures": ["FalconForCausalLM"]}' } }
        @{ Case = 'a tokenizer.json of an unknown model type'; Category = 'NotImplemented'; Pattern = 'Unigram'; Break = {
            param($f) Remove-Item (Join-Path $f 'tokenizer.model')
            Set-Content (Join-Path $f 'tokenizer.json') '{"model": {"type": "Unigram", "vocab": [["<unk>", 0.0]]}, "added_tokens": []}' } }
        @{ Case = 'a pytorch_model.bin only'; Category = 'NotImplemented'; Pattern = 'safetensors'; Break = {
            param($f) Move-Item (Join-Path $f 'model.safetensors') (Join-Path $f 'pytorch_model.bin') } }
    ) {
        $folder = New-ModelFolder ('bad-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        & $Break $folder
        Convert-Model $folder -ErrorVariable err -ErrorAction SilentlyContinue 3>$null | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].Exception.Message | Should -Match $Pattern
        $err[0].TargetObject | Should -Be $folder
        Get-Leftovers $folder | Should -BeNullOrEmpty
    }
}
