BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-join-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $merged = (Select-String -Path (Join-Path $Fixtures 'split/llama-gguf-split.sha256') -Pattern 'stories260K-t10/merged.gguf').Line.Substring(0, 64)
    function New-Set([string] $Name, [int] $MaxTensors = 20) {
        Split-GgufFile $Stories -MaxTensors $MaxTensors -OutputPath (Join-Path $scratch "$Name/stories260K")
    }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Join-GgufFile' {
    It 'merges a set given by any part into what llama-gguf-split --merge writes' {
        $set = New-Set 'a'
        $out = Join-Path $scratch 'merged/stories260K.gguf'
        $info = Join-GgufFile $set.Parts[2].Path -OutputPath $out
        $info | Should -BeOfType ([GgufPs.GgufModelInfo])
        $info.SplitCount | Should -Be 1
        $info.TensorCount | Should -Be 48
        $info.Metadata['split.count'] | Should -Be 0
        (Get-FileHash $out -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $merged
    }

    It 'takes the set from the pipeline and writes nothing with -WhatIf' {
        $set = New-Set 'b'
        $out = Join-Path $scratch 'b-merged.gguf'
        $set | Join-GgufFile -OutputPath $out -WhatIf
        Test-Path $out | Should -BeFalse
    }

    It 'refuses an incomplete set with an error naming the missing part, and writes nothing' {
        $set = New-Set 'c'
        Remove-Item $set.Parts[1].Path
        $out = Join-Path $scratch 'c-merged.gguf'
        Join-GgufFile $set.Parts[0].Path -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $set.Parts[1].Path
        Test-Path $out | Should -BeFalse
    }

    It 'refuses a part from another set as InvalidData naming that part' {
        $set = New-Set 'd'
        $other = New-Set 'e' -MaxTensors 10
        Copy-Item $other.Parts[1].Path $set.Parts[1].Path -Force
        $out = Join-Path $scratch 'd-merged.gguf'
        Join-GgufFile $set.Parts[0].Path -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidSplitSet*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $set.Parts[1].Path
        Test-Path $out | Should -BeFalse
    }

    It 'refuses a set whose parts hold the same tensor, naming the part' {
        $set = New-Set 'g' -MaxTensors 16
        $other = New-Set 'h' -MaxTensors 20
        # Both are sets of three parts of 48 tensors; the second part of the other holds tensors 20 to 39.
        Copy-Item $other.Parts[1].Path $set.Parts[1].Path -Force
        $out = Join-Path $scratch 'g-merged.gguf'
        Join-GgufFile $set.Parts[2].Path -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match 'is also in'
        $err[0].TargetObject | Should -Be $set.Parts[2].Path
        Test-Path $out | Should -BeFalse
    }

    It 'refuses a file that is not a set' {
        $out = Join-Path $scratch 'single.gguf'
        Join-GgufFile $Stories -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Test-Path $out | Should -BeFalse
    }

    It 'refuses an existing output without -Force' {
        $set = New-Set 'f'
        $out = Join-Path $scratch 'f-merged.gguf'
        Set-Content $out 'keep'
        Join-GgufFile $set.Path -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $out | Should -Be 'keep'
        (Join-GgufFile $set.Path -OutputPath $out -Force).TensorCount | Should -Be 48
    }
}
