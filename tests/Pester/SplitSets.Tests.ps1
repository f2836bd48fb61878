# Every cmdlet that reads a model takes a split set, given by any of its parts, as the model it holds.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-sets-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $set = Split-GgufFile $Stories -MaxTensors 20 -OutputPath (Join-Path $scratch 'set/stories260K-F32')
    $Merged = (Join-GgufFile $set.Path -OutputPath (Join-Path $scratch 'stories260K-F32.gguf')).Path
    $Part = $set.Parts[1].Path
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Split sets in the reading cmdlets' {
    It 'Get-GgufInfo shows the whole set, with SplitCount and the part files, once for all its parts' {
        $infos = @(Get-ChildItem (Join-Path $scratch 'set') -Filter *.gguf | Get-GgufInfo)
        $infos.Count | Should -Be 1
        $infos[0].SplitCount | Should -Be 3
        $infos[0].Parts.FileName | Should -Be @('stories260K-F32-00001-of-00003.gguf', 'stories260K-F32-00002-of-00003.gguf', 'stories260K-F32-00003-of-00003.gguf')
        $infos[0].TensorCount | Should -Be 48
        $infos[0].ParameterCount | Should -Be (Get-GgufInfo $Stories).ParameterCount
        (Get-GgufInfo $Part -Tensors).Count | Should -Be 48
        ($infos[0] | Format-List | Out-String) | Should -Match 'SplitCount\s+: 3'
        ($infos[0] | Format-Table | Out-String) | Should -Match '\(\+2 parts\)'
    }

    It 'Invoke-Quantize quantizes a set into the same file as the merged model, named after the set' {
        $fromSet = Invoke-Quantize $Part -Type Q8_0 -Threads 2 3>$null
        $fromSet.Path | Should -Be (Join-Path $scratch 'set/stories260K-Q8_0.gguf')
        $fromMerged = Invoke-Quantize $Merged -Type Q8_0 -Threads 2 -OutputPath (Join-Path $scratch 'merged-Q8_0.gguf') 3>$null
        (Get-FileHash $fromSet.Path).Hash | Should -Be (Get-FileHash $fromMerged.Path).Hash
    }

    It 'Invoke-Quantize -KeepSplit writes one part per input part' {
        $folder = New-Item -ItemType Directory (Join-Path $scratch 'keep')
        $out = Invoke-Quantize $Part -Type Q4_0 -KeepSplit -Threads 2 -OutputPath (Join-Path $folder 'q.gguf') 3>$null
        $out.SplitCount | Should -Be 3
        $out.Parts.FileName | Should -Be @('q-00001-of-00003.gguf', 'q-00002-of-00003.gguf', 'q-00003-of-00003.gguf')
        $out.Parts.TensorCount | Should -Be @(20, 20, 8)
        $out.Metadata['general.file_type'] | Should -Be 2
    }

    It 'Invoke-Quantize -KeepSplit on a single file warns and writes one file' {
        $out = Invoke-Quantize $Merged -Type Q4_0 -KeepSplit -Threads 2 -OutputPath (Join-Path $scratch 'single-q4.gguf') -WarningVariable warnings 3>$null
        $out.SplitCount | Should -Be 1
        $warnings -join ' ' | Should -Match 'not a split set'
    }

    It 'Measure-Perplexity measures a set as its merged file' {
        $options = @{ TextPath = $TextFile; Context = 64; Chunks = 2; Threads = 2 }
        (Measure-Perplexity $Part @options).Perplexity | Should -Be (Measure-Perplexity $Merged @options).Perplexity
    }

    It 'New-ImportanceMatrix computes the same matrix from a set' {
        $options = @{ TextPath = $TextFile; Context = 64; Chunks = 2; Threads = 2; NoPerplexity = $true }
        $a = New-ImportanceMatrix $Part @options -OutputPath (Join-Path $scratch 'set.imatrix.gguf')
        $b = New-ImportanceMatrix $Merged @options -OutputPath (Join-Path $scratch 'merged.imatrix.gguf')
        $a.Entries | Should -Be $b.Entries
        $a.Chunks | Should -Be $b.Chunks
    }

    It 'Compare-Quantization compares a set' {
        $rows = Compare-Quantization $Part -Type Q8_0 -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2 -OutputDirectory (Join-Path $scratch 'compare') 3>$null
        @($rows).Count | Should -BeGreaterThan 0
    }

    It 'Get-GgufToken reads the vocabulary of a set' {
        (Get-GgufToken $Part -Text 'Once upon a time').Id | Should -Be (Get-GgufToken $Stories -Text 'Once upon a time').Id
    }

    It 'Set-GgufMetadata edits the first part of a set, and says so' {
        $copy = Split-GgufFile $Stories -MaxTensors 20 -OutputPath (Join-Path $scratch 'edit/m')
        $hashes = $copy.Parts[1..2].Path | ForEach-Object { (Get-FileHash $_).Hash }
        $info = Set-GgufMetadata $copy.Parts[2].Path -Set @{ 'llama.context_length' = 1024 } -Force -WarningVariable warnings 3>$null
        $warnings -join ' ' | Should -Match 'first part'
        $info.ContextLength | Should -Be 1024
        $info.SplitCount | Should -Be 3
        (Get-GgufInfo $copy.Parts[0].Path).ContextLength | Should -Be 1024
        $copy.Parts[1..2].Path | ForEach-Object { (Get-FileHash $_).Hash } | Should -Be $hashes
    }

    It 'a lying split.count is an InvalidData error that names the file' {
        $copy = Split-GgufFile $Stories -MaxTensors 20 -OutputPath (Join-Path $scratch 'lie/m')
        $first = $copy.Parts[0].Path
        Set-GgufMetadata $first -Set @{ 'split.count' = 4 } -Force 3>$null -ErrorAction SilentlyContinue | Out-Null
        Get-GgufInfo $copy.Parts[1].Path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $first
    }
}

Describe 'Convert-Model -SplitMaxTensors and -SplitMaxSize' {
    It 'writes the conversion as shards that read back as the unsplit model' {
        $folder = Join-Path $scratch 'hf'
        Copy-Item (Join-Path $Fixtures 'models/tiny-random-llama-2-hf') $folder -Recurse
        $whole = Convert-Model $folder -OutType F32 -OutputPath (Join-Path $scratch 'tiny-whole.gguf') 3>$null
        $shards = Convert-Model $folder -OutType F32 -OutputPath (Join-Path $scratch 'tiny.gguf') -SplitMaxTensors 5 3>$null
        $shards.SplitCount | Should -Be 5
        $shards.Parts[0].FileName | Should -Be 'tiny-00001-of-00005.gguf'
        $shards.TensorCount | Should -Be $whole.TensorCount
        $bySize = Convert-Model $folder -OutType F32 -OutputPath (Join-Path $scratch 'tiny-size.gguf') -SplitMaxSize 100K 3>$null
        $bySize.SplitCount | Should -BeGreaterThan 1
        $merged = Join-GgufFile $bySize.Path -OutputPath (Join-Path $scratch 'tiny-joined.gguf')
        $merged.Tensors.Name | Should -Be $whole.Tensors.Name
    }
}
