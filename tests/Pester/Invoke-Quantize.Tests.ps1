BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-quantize-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    function New-Copy([string] $Source, [string] $Name) {
        $path = Join-Path $scratch $Name
        Copy-Item $Source $path -Force
        $path
    }
    # A legacy llama-imatrix .dat: entry count; per entry name length, name, ncall, nval, values; chunks and dataset.
    function New-LegacyImatrix([string] $Path, [hashtable] $Entries) {
        $stream = [IO.File]::Create($Path)
        $writer = [IO.BinaryWriter]::new($stream)
        try {
            $writer.Write([int] $Entries.Count)
            foreach ($name in $Entries.Keys) {
                $bytes = [Text.Encoding]::UTF8.GetBytes($name)
                $writer.Write([int] $bytes.Length); $writer.Write($bytes)
                $writer.Write([int] 1); $writer.Write([int] $Entries[$name])
                foreach ($i in 1..$Entries[$name]) { $writer.Write([single] (1 + ($i % 7) / 7)) }
            }
            $writer.Write([int] 10)
            $dataset = [Text.Encoding]::UTF8.GetBytes('tiny.txt')
            $writer.Write([int] $dataset.Length); $writer.Write($dataset)
        } finally {
            $writer.Dispose()
        }
    }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-Quantize' {
    It 'quantizes a model and returns the new model' {
        $out = Join-Path $scratch 'stories-Q6_K.gguf'
        $info = Invoke-Quantize -Path $Stories -Type Q6_K -OutputPath $out -WarningAction SilentlyContinue
        $info | Should -BeOfType ([GgufPs.GgufModelInfo])
        $info.Path | Should -Be $out
        $info.FileType | Should -Be 'MOSTLY_Q6_K'
        $info.TensorCount | Should -Be 48
    }

    It 'takes models from Get-GgufInfo and files from Get-ChildItem through the pipeline' {
        $dir = New-Item -ItemType Directory -Path (Join-Path $scratch 'pipe') -Force
        $model = Get-GgufInfo $TinyRandom | Invoke-Quantize -Type Q8_0 -OutputPath $dir.FullName -WarningAction SilentlyContinue
        $model.Path | Should -Be (Join-Path $dir.FullName 'llama-2-tiny-random-Q8_0.gguf')
        $source = New-Copy $Stories 'piped.gguf'
        $fromFile = Get-Item $source | Invoke-Quantize -Type F16
        $fromFile.Path | Should -Be (Join-Path $scratch 'piped-F16.gguf')
        $fromFile.FileType | Should -Be 'MOSTLY_F16'
    }

    It 'writes one file per type, named after the input' {
        $source = New-Copy $TinyRandom 'batch-f16.gguf'
        $models = Invoke-Quantize -Path $source -Type q8_0, Q4_K_M, COPY -WarningAction SilentlyContinue
        $models.Count | Should -Be 3
        Split-Path $models[0].Path -Leaf | Should -Be 'batch-Q8_0.gguf'
        Split-Path $models[1].Path -Leaf | Should -Be 'batch-Q4_K_M.gguf'
        Split-Path $models[2].Path -Leaf | Should -Be 'batch-COPY.gguf'
        $models[1].FileType | Should -Be 'MOSTLY_Q4_K_M'
    }

    It 'needs a folder for -OutputPath with several types' {
        $source = New-Copy $Stories 'several.gguf'
        Invoke-Quantize $source -Type Q8_0, F16 -OutputPath (Join-Path $scratch 'not-a-folder.gguf') -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'warns about every fallback, naming the tensor, the wanted type and the type used' {
        $out = Join-Path $scratch 'stories-Q8_0.gguf'
        $info = Invoke-Quantize $Stories -Type Q8_0 -OutputPath $out -WarningVariable warnings -WarningAction SilentlyContinue
        $info | Should -Not -BeNullOrEmpty
        $ffn = @($warnings | Where-Object { "$_" -match 'ffn_down' })
        $ffn.Count | Should -Be 5
        "$($ffn[0])" | Should -Match 'blk\.0\.ffn_down\.weight.*Q8_0.*F32'
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $scratch 'whatif.gguf'
        $result = Invoke-Quantize $Stories -Type Q4_K_M -OutputPath $out -WhatIf -WarningAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        Test-Path $out | Should -BeFalse
        Get-ChildItem $scratch -Filter 'whatif.gguf*' | Should -BeNullOrEmpty
    }

    It 'refuses an existing output without -Force and replaces it with -Force' {
        $out = Join-Path $scratch 'exists.gguf'
        Set-Content $out 'keep'
        Invoke-Quantize $Stories -Type F16 -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $out | Should -Be 'keep'
        (Invoke-Quantize $Stories -Type F16 -OutputPath $out -Force).FileType | Should -Be 'MOSTLY_F16'
    }

    It 'refuses to overwrite its input' {
        $source = New-Copy $Stories 'self.gguf'
        $hash = (Get-FileHash $source).Hash
        Invoke-Quantize $source -Type F16 -OutputPath $source -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-FileHash $source).Hash | Should -Be $hash
    }

    It 'refuses to requantize without -AllowRequantize, and warns with it' {
        $q8 = Invoke-Quantize $Stories -Type Q8_0 -OutputPath (Join-Path $scratch 'q8.gguf') -WarningAction SilentlyContinue
        Invoke-Quantize $q8.Path -Type Q4_0 -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].Exception.Message | Should -Match 'AllowRequantize'
        $again = Invoke-Quantize $q8.Path -Type F16 -AllowRequantize -WarningVariable warnings -WarningAction SilentlyContinue
        $again.FileType | Should -Be 'MOSTLY_F16'
        ($warnings -join "`n") | Should -Match 'Requantizing'
    }

    It 'needs an importance matrix for Q2_K_S and uses one when given' {
        # Q2_K_S needs one only where Q2_K fits, so this model has 256-wide rows.
        $wide = Join-Path $scratch 'wide.gguf'
        $metadata = [System.Collections.Generic.List[GgufPs.GgufMetadataEntry]]::new()
        $metadata.Add([GgufPs.GgufMetadataEntry]::Create('general.architecture', 'llama'))
        $tensors = [System.Collections.Generic.List[GgufPs.GgufTensorDescriptor]]::new()
        $tensors.Add([GgufPs.GgufTensorDescriptor]::new('blk.0.attn_q.weight', [GgufPs.GgmlType]::F32, [long[]] (256, 8)))
        $writer = [GgufPs.GgufWriter]::new($wide, $true)
        try {
            $writer.WriteHeader($metadata, $tensors, 3)
            $values = [single[]] (1..2048 | ForEach-Object { [math]::Sin($_) })
            $bytes = [byte[]]::new(8192)
            [Buffer]::BlockCopy($values, 0, $bytes, 0, 8192)
            $writer.WriteTensorData($bytes)
            $writer.Commit()
        } finally {
            $writer.Dispose()
        }
        Invoke-Quantize $wide -Type Q2_K_S -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].Exception.Message | Should -Match 'importance matrix.*blk\.0\.attn_q\.weight'
        $dat = Join-Path $scratch 'wide.imatrix.dat'
        New-LegacyImatrix $dat @{ 'blk.0.attn_q.weight' = 256 }
        (Invoke-Quantize $wide -Type Q2_K_S -ImportanceMatrix $dat).FileType | Should -Be 'MOSTLY_Q2_K_S'

        $source = New-Copy $Stories 'imatrix-src.gguf'

        $entries = @{}
        foreach ($t in Get-GgufInfo $Stories -Tensors | Where-Object { $_.Shape.Count -eq 2 -and $_.Name -ne 'token_embd.weight' }) {
            $entries[$t.Name] = [int] $t.Shape[0]
        }
        $dat = Join-Path $scratch 'stories.imatrix.dat'
        New-LegacyImatrix $dat $entries
        $model = Invoke-Quantize $source -Type Q4_K_M -ImportanceMatrix $dat -OutputPath (Join-Path $scratch 'with-imatrix.gguf') -WarningAction SilentlyContinue
        $model.Metadata['quantize.imatrix.file'] | Should -Be $dat
        $model.Metadata['quantize.imatrix.dataset'] | Should -Be 'tiny.txt'
        $model.Metadata['quantize.imatrix.entries_count'] | Should -Be $entries.Count
    }

    It 'applies -TensorType, -OutputTensorType, -Pure and -OverrideMetadata' {
        $model = Invoke-Quantize $Stories -Type Q4_0 -Pure -OutputTensorType Q8_0 -TensorType ([ordered]@{ 'attn_q' = 'Q5_1' }) `
            -OverrideMetadata @{ 'general.name' = 'renamed'; 'custom.count' = 3 } -OutputPath (Join-Path $scratch 'options.gguf') -WarningAction SilentlyContinue
        $tensors = Get-GgufInfo $model.Path -Tensors
        ($tensors | Where-Object Name -eq 'output.weight').Type | Should -Be 'Q8_0'
        ($tensors | Where-Object Name -eq 'blk.0.attn_q.weight').Type | Should -Be 'Q5_1'
        ($tensors | Where-Object Name -eq 'blk.0.attn_k.weight').Type | Should -Be 'Q4_0'
        $model.Name | Should -Be 'renamed'
        $model.Metadata['custom.count'] | Should -Be 3
    }

    It 'stops on a NaN with an error naming the tensor and row, leaving nothing behind' {
        $source = New-Copy $Stories 'nan.gguf'
        $tensor = Get-GgufInfo $source -Tensors | Where-Object Name -eq 'blk.1.attn_q.weight'
        $info = Get-GgufInfo $source
        $stream = [IO.File]::OpenWrite($source)
        try {
            $stream.Position = $info.DataOffset + $tensor.Offset + (2 * 64 + 3) * 4
            $stream.Write([BitConverter]::GetBytes([single]::NaN), 0, 4)
        } finally {
            $stream.Dispose()
        }
        $out = Join-Path $scratch 'nan-out.gguf'
        Invoke-Quantize $source -Type Q4_K_M -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match "blk\.1\.attn_q\.weight.*row 2"
        Get-ChildItem $scratch -Filter 'nan-out.gguf*' | Should -BeNullOrEmpty
    }

    It 'reports bad input as error records' {
        Invoke-Quantize (Join-Path $scratch 'missing.gguf') -Type Q8_0 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'

        $bogus = Join-Path $scratch 'bogus.gguf'
        Set-Content $bogus 'this is not a model'
        Invoke-Quantize $bogus -Type Q8_0 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $bogus

        { Invoke-Quantize $Stories -Type Q9_Z -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Q9_Z*'
        { Invoke-Quantize $Stories -Type Q8_0 -OutputTensorType nope -ErrorAction Stop } | Should -Throw -ExpectedMessage '*nope*'
        { Invoke-Quantize $Stories -Type Q8_0 -ImportanceMatrix $bogus -ErrorAction Stop } | Should -Throw
    }

    Context 'parameter sets a user can guess' {
        It 'is an error naming -Path, never a prompt, when no model is given' {
            (Get-Command Invoke-Quantize).DefaultParameterSet | Should -Be 'Path'
            $err = { Invoke-Quantize -Type Q8_0 -ErrorAction Stop } | Should -Throw -ErrorId 'MissingInput,GgufPs.Commands.InvokeQuantizeCommand' -PassThru
            $err.Exception.Message | Should -Match '-Path'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            # Only -Type is mandatory: nothing an interactive session could prompt for is an object.
            (Get-Command Invoke-Quantize).Parameters.Values | Where-Object { $_.Attributes.Mandatory -contains $true } |
                ForEach-Object Name | Should -Be @('Type')
        }

        It 'refuses a piped importance matrix together with -ImportanceMatrix' {
            $dat = Join-Path $scratch 'twice.imatrix.dat'
            New-LegacyImatrix $dat @{ 'blk.0.attn_q.weight' = 64 }
            { Get-ImportanceMatrix $dat | Invoke-Quantize -Type Q8_0 -ImportanceMatrix $dat -ErrorAction Stop } |
                Should -Throw -ErrorId 'TwoImportanceMatrices,GgufPs.Commands.InvokeQuantizeCommand'
        }

        It 'reports a piped importance matrix that names no model, and writes nothing' {
            $dat = Join-Path $scratch 'nomodel.imatrix.dat'
            New-LegacyImatrix $dat @{ 'blk.0.attn_q.weight' = 64 }
            $matrix = Get-ImportanceMatrix $dat
            $matrix.Model | Should -BeNullOrEmpty
            $matrix | Invoke-Quantize -Type Q8_0 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'NoModel,GgufPs.Commands.InvokeQuantizeCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject.Path | Should -Be $matrix.Path
        }
    }

    It 'shows a bar per file with a bar per tensor under it, and completes both' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $ModulePath).AddStatement()
            $null = $ps.AddCommand('Invoke-Quantize').AddParameter('Path', $Stories).AddParameter('Type', 'Q8_0').
                AddParameter('OutputPath', (Join-Path $scratch 'progress.gguf')).AddParameter('WarningAction', 'SilentlyContinue')
            $result = $ps.Invoke()
            $result | Should -HaveCount 1
            $bars = $ps.Streams.Progress
            $file = @($bars | Where-Object ActivityId -eq 1)
            $tensor = @($bars | Where-Object ActivityId -eq 2)
            $file[0].Activity | Should -Be 'Invoke-Quantize Q8_0'
            $tensor[0].Activity | Should -Match '^Tensor \d+ of 48: '
            $tensor | ForEach-Object { $_.ParentActivityId | Should -Be 1 }
            $file[-1].RecordType | Should -Be 'Completed'
            $tensor[-1].RecordType | Should -Be 'Completed'
        } finally {
            $ps.Dispose()
        }
    }

    It 'compares paths as the file system does: <Case>' -ForEach @(
        @{ Case = 'a relative detour to the input'; Output = { Join-Path $scratch 'sub/../same.gguf' }; Refused = $true }
        @{ Case = 'the input in other letter case'; Output = { Join-Path $scratch 'SAME.gguf' }; Refused = $IsWindows -or $IsMacOS }
    ) {
        $source = New-Copy $Stories 'same.gguf'
        New-Item -ItemType Directory -Path (Join-Path $scratch 'sub') -Force | Out-Null
        $output = & $Output
        $result = Invoke-Quantize $source -Type F16 -OutputPath $output -Force -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        if ($Refused) {
            $err[0].FullyQualifiedErrorId | Should -Be 'OutputIsInput,GgufPs.Commands.InvokeQuantizeCommand'
            $result | Should -BeNullOrEmpty
            (Get-GgufInfo $source).FileType | Should -Not -Be 'MOSTLY_F16'
        } else {
            $err | Should -BeNullOrEmpty
            $result.Path | Should -Be $output
        }
    }

    It 'writes sizes in its messages the same in every culture' {
        $culture = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            $verbose = Invoke-Quantize $Stories -Type Q8_0 -OutputPath (Join-Path $scratch 'culture.gguf') -Force -Verbose -WarningAction SilentlyContinue 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        } finally {
            [cultureinfo]::CurrentCulture = $culture
        }
        ($verbose.Message -join "`n") | Should -Match 'predicted size 489\.25 KB'
        ($verbose.Message -join "`n") | Should -Match "Wrote '.*culture\.gguf' \(489\.25 KB\) in \d+\.\d s"
    }

    It 'takes values PowerShell wraps in PSObject, in -OverrideMetadata and -TensorType' {
        $wrapped = Write-Output 7
        $type = Write-Output 'Q8_0'
        $model = Invoke-Quantize $Stories -Type Q4_0 -TensorType @{ 'attn_q' = $type } -OverrideMetadata @{ 'custom.number' = $wrapped } `
            -OutputPath (Join-Path $scratch 'wrapped.gguf') -WarningAction SilentlyContinue
        $model.Metadata['custom.number'] | Should -Be 7
        (Get-GgufInfo $model.Path -Tensors | Where-Object Name -eq 'blk.0.attn_q.weight').Type | Should -Be 'Q8_0'
        { Invoke-Quantize $Stories -Type Q4_0 -OverrideMetadata @{ 'custom.none' = $null } -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'custom.none' has no value*"
    }

    It 'completes -Type with descriptions, case-insensitively' {
        $line = 'Invoke-Quantize -Path x.gguf -Type q4_k'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Contain 'Q4_K_M'
        $completions.CompletionText | Should -Contain 'Q4_K_S'
        ($completions | Where-Object CompletionText -eq 'Q4_K_M').ToolTip | Should -Match 'bpw.*ppl'

        $line = 'Invoke-Quantize -Path x.gguf -Type iq2'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Be @('IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ2_M')
        ($completions | Where-Object CompletionText -eq 'IQ2_XXS').ToolTip | Should -Match '2\.06 bpw'
    }
}
