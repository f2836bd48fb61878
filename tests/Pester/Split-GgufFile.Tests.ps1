BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-split-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    # SHA-256 of the files llama.cpp's llama-gguf-split wrote for the same options (see tests/fixtures/split).
    $Digests = @{}
    foreach ($line in Get-Content (Join-Path $Fixtures 'split/llama-gguf-split.sha256')) {
        if ($line) { $Digests[$line.Substring(66)] = $line.Substring(0, 64) }
    }
    function Get-Digest([string] $Path) { (Get-FileHash $Path -Algorithm SHA256).Hash.ToLowerInvariant() }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Split-GgufFile' {
    It 'splits by size as llama-gguf-split --split-max-size 1M does, byte for byte, and returns the set' {
        $set = Split-GgufFile $Stories -MaxSize 1M -OutputPath (Join-Path $scratch 'size/stories260K.gguf')
        $set | Should -BeOfType ([GgufPs.GgufModelInfo])
        $set.SplitCount | Should -Be 2
        $set.TensorCount | Should -Be 48
        $set.Path | Should -Be (Join-Path $scratch 'size/stories260K-00001-of-00002.gguf')
        foreach ($part in $set.Parts) {
            Get-Digest $part.Path | Should -Be $Digests["stories260K-s1M/$($part.FileName)"]
        }
    }

    It 'takes the size as bytes too' {
        $set = Split-GgufFile $Stories -MaxSize 1000000 -OutputPath (Join-Path $scratch 'bytes/stories260K')
        $set.Parts.Path | ForEach-Object { Get-Digest $_ } | Should -Be ($set.Parts.FileName | ForEach-Object { $Digests["stories260K-s1M/$_"] })
    }

    It 'splits by tensor count with a tensor-free first part as llama-gguf-split does' {
        $set = Get-GgufInfo $Stories | Split-GgufFile -MaxTensors 10 -NoTensorFirstSplit -OutputPath (Join-Path $scratch 'nf/stories260K')
        $set.SplitCount | Should -Be 6
        $set.Parts[0].TensorCount | Should -Be 0
        foreach ($part in $set.Parts) {
            Get-Digest $part.Path | Should -Be $Digests["stories260K-t10-nf/$($part.FileName)"]
        }
    }

    It 'puts the parts beside the input by default' {
        $model = Join-Path $scratch 'default/model.gguf'
        New-Item -ItemType Directory (Split-Path $model) | Out-Null
        Copy-Item $Stories $model
        (Split-GgufFile $model -MaxTensors 30).Parts.FileName | Should -Be @('model-00001-of-00002.gguf', 'model-00002-of-00002.gguf')
    }

    It 'shows the plan with -WhatIf and writes nothing' {
        $folder = Join-Path $scratch 'whatif'
        Split-GgufFile $Stories -MaxTensors 16 -OutputPath (Join-Path $folder 'm') -WhatIf | Should -BeNullOrEmpty
        Test-Path $folder | Should -BeFalse
    }

    It 'refuses existing parts without -Force and writes nothing' {
        $prefix = Join-Path $scratch 'exists/stories260K'
        New-Item -ItemType Directory (Split-Path $prefix) | Out-Null
        Set-Content "$prefix-00002-of-00003.gguf" 'keep'
        Split-GgufFile $Stories -MaxTensors 20 -OutputPath $prefix -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputExists*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content "$prefix-00002-of-00003.gguf" | Should -Be 'keep'
        @(Get-ChildItem (Split-Path $prefix)).Count | Should -Be 1
        (Split-GgufFile $Stories -MaxTensors 20 -OutputPath $prefix -Force).SplitCount | Should -Be 3
    }

    It 'refuses a size the first tensor does not fit in, as llama-gguf-split does' {
        Split-GgufFile $Stories -MaxSize 100000 -OutputPath (Join-Path $scratch 'small/m') -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'token_embd.weight'
        Test-Path (Join-Path $scratch 'small') | Should -BeFalse
    }

    It 'refuses a size that is not one' {
        Split-GgufFile $Stories -MaxSize '2 gigabytes' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports a missing input as ObjectNotFound' {
        $missing = Join-Path $scratch 'missing.gguf'
        Split-GgufFile $missing -MaxTensors 5 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $missing
    }
}
