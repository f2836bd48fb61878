# One catalogue maps the core's exceptions to ErrorRecords: the same mistake gives the same error id and category,
# with the file or name concerned as target, whichever cmdlet meets it.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-errors-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $Measure = @{ TextPath = $TextFile; Context = 64; Chunks = 1; Threads = 2 }

    # Runs a script block and returns the first error it reports, terminating or not.
    function Get-FirstError([scriptblock] $Command) {
        try {
            $ErrorActionPreference = 'Stop'
            & $Command 3>$null | Out-Null
        } catch {
            return $_
        }
        throw "No error from { $Command }"
    }

    $bytes = [IO.File]::ReadAllBytes($Stories)
    $TruncatedHeader = Join-Path $scratch 'truncated-header.gguf'
    [IO.File]::WriteAllBytes($TruncatedHeader, $bytes[0..99])
    $TruncatedData = Join-Path $scratch 'truncated-data.gguf'
    [IO.File]::WriteAllBytes($TruncatedData, $bytes[0..($bytes.Length / 2)])

    # Every cmdlet that reads a model, given the model $f.
    $ReadersOfModels = @(
        @{ Name = 'Get-GgufInfo'; Run = { Get-GgufInfo $f } }
        @{ Name = 'Get-GgufToken'; Run = { Get-GgufToken $f 'Once upon a time' } }
        @{ Name = 'Get-GgufQuantizationType'; Run = { Get-GgufQuantizationType -Path $f } }
        @{ Name = 'Invoke-Quantize'; Run = { Invoke-Quantize $f -Type Q8_0 -OutputPath (Join-Path $scratch 'q.gguf') -Force } }
        @{ Name = 'Measure-Perplexity'; Run = { Measure-Perplexity $f @Measure } }
        @{ Name = 'New-ImportanceMatrix'; Run = { New-ImportanceMatrix $f @Measure -OutputPath (Join-Path $scratch 'i.gguf') -Force } }
        @{ Name = 'Compare-Quantization'; Run = { Compare-Quantization $f @Measure -Type Q8_0 } }
        @{ Name = 'Set-GgufMetadata'; Run = { Set-GgufMetadata $f -Set @{ 'general.name' = 'x' } -OutputPath (Join-Path $scratch 's.gguf') -Force } }
    )
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The error catalogue' {
    It 'gives an unknown type name one id everywhere: <Name>' -ForEach @(
        @{ Name = 'Invoke-Quantize -Type'; Run = { Invoke-Quantize $Stories -Type Q9_Z } }
        @{ Name = 'Invoke-Quantize -OutputTensorType'; Run = { Invoke-Quantize $Stories -Type Q8_0 -OutputTensorType Q9_Z } }
        @{ Name = 'Invoke-Quantize -TensorType'; Run = { Invoke-Quantize $Stories -Type Q8_0 -TensorType @{ attn = 'Q9_Z' } } }
        @{ Name = 'Compare-Quantization -Type'; Run = { Compare-Quantization $Stories @Measure -Type Q9_Z } }
        @{ Name = 'Get-GgufQuantizationType'; Run = { Get-GgufQuantizationType Q9_Z } }
    ) {
        $err = Get-FirstError $Run
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'UnknownType'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Q9_Z'
        $err.Exception.Message | Should -Match 'Valid types: '
    }

    It 'reports a model truncated in its <Where> as InvalidGgufFile (InvalidData) in every cmdlet, never as a write error' -ForEach @(
        @{ Where = 'header' }
        @{ Where = 'tensor data' }
    ) {
        $f = if ($Where -eq 'header') { $TruncatedHeader } else { $TruncatedData }
        foreach ($reader in $ReadersOfModels) {
            $err = Get-FirstError $reader.Run
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidGgufFile,*' -Because $reader.Name
            $err.CategoryInfo.Category | Should -Be 'InvalidData' -Because $reader.Name
            $err.TargetObject | Should -Be $f -Because $reader.Name
            $err.Exception.Message | Should -Match 'truncated|runs past the end' -Because $reader.Name
        }
    }

    It 'reports a missing model as FileNotFound (ObjectNotFound) in every cmdlet' {
        $f = Join-Path $scratch 'missing.gguf'
        foreach ($reader in $ReadersOfModels) {
            $err = Get-FirstError $reader.Run
            $err.FullyQualifiedErrorId | Should -BeLike 'FileNotFound,*' -Because $reader.Name
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound' -Because $reader.Name
            $err.TargetObject | Should -Be $f -Because $reader.Name
        }
    }

    It 'reports a truncated importance matrix or logits file as InvalidData: <Name>' -ForEach @(
        @{ Name = 'Get-ImportanceMatrix'; Run = { Get-ImportanceMatrix $bad } }
        @{ Name = 'Invoke-Quantize -ImportanceMatrix'; Run = { Invoke-Quantize $Stories -Type Q8_0 -ImportanceMatrix $bad } }
        @{ Name = 'Get-GgufQuantizationType -ImportanceMatrix'; Run = { Get-GgufQuantizationType -Path $Stories -ImportanceMatrix $bad } }
        @{ Name = 'Compare-Quantization -ImportanceMatrix'; Run = { Compare-Quantization $Stories @Measure -ImportanceMatrix $bad } }
        @{ Name = 'New-ImportanceMatrix -Merge'; Run = { New-ImportanceMatrix -Merge $bad -OutputPath (Join-Path $scratch 'merged.gguf') } }
        @{ Name = 'Measure-Perplexity -ReferenceLogits'; Run = { Measure-Perplexity $Stories -ReferenceLogits $badLogits } }
    ) {
        $bad = Join-Path $scratch 'truncated.imatrix.dat'
        [IO.File]::WriteAllBytes($bad, [byte[]](2, 0, 0, 0, 19, 0, 0, 0) + [Text.Encoding]::ASCII.GetBytes('blk.0.attn_q.weig'))
        $badLogits = Join-Path $scratch 'truncated.logits'
        [IO.File]::WriteAllBytes($badLogits, [Text.Encoding]::ASCII.GetBytes('_logits_') + [byte[]](64, 0, 0, 0))
        $err = Get-FirstError $Run
        $err.CategoryInfo.Category | Should -BeIn @('InvalidData', 'ReadError')
        $err.TargetObject | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -Match 'truncated|promises'
        $err.Exception.Message | Should -Match ([regex]::Escape((Split-Path ($bad, $badLogits)[$Name -match 'Logits'] -Leaf)))
    }

    It 'gives an existing output one id everywhere: <Name>' -ForEach @(
        @{ Name = 'Invoke-Quantize'; Run = { Invoke-Quantize $Stories -Type Q8_0 -OutputPath $existing } }
        @{ Name = 'Convert-Model'; Run = { Convert-Model (Join-Path $Fixtures 'models/stories260K/stories260K.bin') -OutputPath $existing } }
        @{ Name = 'New-ImportanceMatrix'; Run = { New-ImportanceMatrix $Stories @Measure -OutputPath $existing } }
        @{ Name = 'Measure-Perplexity -SaveLogits'; Run = { Measure-Perplexity $Stories @Measure -SaveLogits $existing } }
        @{ Name = 'Set-GgufMetadata -OutputPath'; Run = { Set-GgufMetadata $Stories -Set @{ 'general.name' = 'x' } -OutputPath $existing } }
    ) {
        $existing = Join-Path $scratch 'existing.out'
        Set-Content $existing 'keep'
        $err = Get-FirstError $Run
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'OutputExists'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $existing
        Get-Content $existing | Should -Be 'keep'
    }

    It 'gives an output that is the input one id everywhere: <Name>' -ForEach @(
        @{ Name = 'Invoke-Quantize'; Run = { Invoke-Quantize $model -Type F16 -OutputPath $model -Force } }
        @{ Name = 'New-ImportanceMatrix'; Run = { New-ImportanceMatrix $model @Measure -OutputPath $model -Force } }
        @{ Name = 'Convert-Model'; Run = { Convert-Model $checkpoint -TokenizerPath $tokenizer -OutputPath $checkpoint -Force } }
    ) {
        $model = Join-Path $scratch 'input.gguf'
        Copy-Item $Stories $model -Force
        $checkpoint = Join-Path $scratch 'input.bin'
        Copy-Item (Join-Path $Fixtures 'models/stories260K/stories260K.bin') $checkpoint -Force
        $tokenizer = Join-Path $Fixtures 'models/stories260K/tok512.bin'
        $hashes = (Get-FileHash $model, $checkpoint).Hash
        $err = Get-FirstError $Run
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'OutputIsInput'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-FileHash $model, $checkpoint).Hash | Should -Be $hashes
    }

    It 'gives an unsupported architecture one id everywhere: <Name>' -ForEach @(
        @{ Name = 'Measure-Perplexity'; Run = { Measure-Perplexity $mamba @Measure } }
        @{ Name = 'New-ImportanceMatrix'; Run = { New-ImportanceMatrix $mamba @Measure -OutputPath (Join-Path $scratch 'mamba.imatrix.gguf') } }
        @{ Name = 'Compare-Quantization'; Run = { Compare-Quantization $mamba @Measure -Type Q8_0 } }
    ) {
        $mamba = Join-Path $scratch 'mamba.gguf'
        if (-not (Test-Path $mamba)) {
            Set-GgufMetadata -Path $Stories -Set @{ 'general.architecture' = 'mamba' } -OutputPath $mamba -Force | Out-Null
        }
        $err = Get-FirstError $Run
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NotSupported'
        $err.CategoryInfo.Category | Should -Be 'NotImplemented'
        $err.Exception | Should -BeOfType ([NotSupportedException])
        $err.Exception.Message | Should -Match 'mamba'
    }

    Context 'the mapping itself' {
        BeforeAll {
            $catalog = (Get-Command Invoke-Quantize).ImplementingType.Assembly.GetType('GgufPs.Commands.ErrorCatalog', $true)
            function Get-Classification([Exception] $Exception) {
                $pair = $catalog.GetMethod('Classify').Invoke($null, @($Exception))
                '{0} {1}' -f $pair.Item1, $pair.Item2
            }
            function New-IOException([string] $Message, [int] $HResult) {
                $exception = [IO.IOException]::new($Message)
                $exception.HResult = $HResult
                $exception
            }
        }

        It 'maps <Exception> to <Expected>' -ForEach @(
            @{ Exception = 'an input that ended early'; Make = { [IO.EndOfStreamException]::new('ended') }; Expected = 'TruncatedInput ReadError' }
            @{ Exception = 'a full disk (ENOSPC)'; Make = { New-IOException 'No space left on device' 28 }; Expected = 'InsufficientDiskSpace WriteError' }
            @{ Exception = 'a full disk (Windows)'; Make = { New-IOException 'disk full' 0x80070070 }; Expected = 'InsufficientDiskSpace WriteError' }
            @{ Exception = 'a read-only file system'; Make = { New-IOException 'Read-only file system' 30 }; Expected = 'WriteFailed WriteError' }
            @{ Exception = 'a file in use'; Make = { New-IOException 'sharing violation' 0x80070020 }; Expected = 'FileInUse ResourceUnavailable' }
            @{ Exception = 'another I/O failure'; Make = { [IO.IOException]::new('failed') }; Expected = 'IOError NotSpecified' }
            @{ Exception = 'bad data'; Make = { [IO.InvalidDataException]::new('bad') }; Expected = 'InvalidData InvalidData' }
            @{ Exception = 'no permission'; Make = { [UnauthorizedAccessException]::new('no') }; Expected = 'AccessDenied PermissionDenied' }
            @{ Exception = 'an unsupported feature'; Make = { [NotSupportedException]::new('no') }; Expected = 'NotSupported NotImplemented' }
            @{ Exception = 'a missing file'; Make = { [IO.FileNotFoundException]::new('no') }; Expected = 'FileNotFound ObjectNotFound' }
            @{ Exception = 'a stop'; Make = { [OperationCanceledException]::new() }; Expected = 'Stopped OperationStopped' }
        ) {
            Get-Classification (& $Make) | Should -Be $Expected
        }

        It 'leaves bugs to PowerShell instead of filtering them into error records' {
            $covers = $catalog.GetMethod('Covers')
            $covers.Invoke($null, @([NullReferenceException]::new())) | Should -BeFalse
            $covers.Invoke($null, @([IndexOutOfRangeException]::new())) | Should -BeFalse
            $covers.Invoke($null, @([IO.IOException]::new())) | Should -BeTrue
        }
    }
}
