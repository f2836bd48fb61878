BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-compare-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    # Small measurements: two chunks of 64 tokens are enough to exercise everything.
    $Measure = @{ TextPath = $TextFile; Context = 64; Chunks = 2; Threads = 2 }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Compare-Quantization' {
    Context 'a comparison whose files are kept' {
        BeforeAll {
            $kept = Join-Path $scratch 'kept'
            New-Item -ItemType Directory -Path $kept | Out-Null
            $rows = Get-GgufInfo $Stories | Compare-Quantization @Measure -Type Q8_0, Q4_0 -OutputDirectory $kept -KeepFiles -WarningVariable warnings 3>$null
        }

        It 'returns the source''s baseline row, then a row per type' {
            $rows | Should -HaveCount 3
            $rows[0] | Should -BeOfType ([GgufPs.QuantizationComparison])
            $rows.Type | Should -Be @('F32', 'Q8_0', 'Q4_0')
            $rows[0].IsBaseline | Should -BeTrue
            $rows[0].Quality | Should -Be 'Baseline'
            $rows[0].Delta | Should -Be 0
            $rows[1].Quality | Should -BeIn @('NearLossless', 'Good', 'Noticeable', 'Poor')
            $rows | ForEach-Object { $_.Context | Should -Be 64; $_.Chunks | Should -Be 2 }
        }

        It 'keeps the files under Invoke-Quantize''s names, with their own sizes' {
            $rows[1].Path | Should -Be (Join-Path $kept 'stories260K-Q8_0.gguf')
            foreach ($row in $rows | Select-Object -Skip 1) {
                $row.FileSize | Should -Be (Get-Item $row.Path).Length
                $row.SizeGB | Should -Be ($row.FileSize / 1e9)
                $row.BitsPerWeight | Should -Be (Get-GgufInfo $row.Path).BitsPerWeight
            }
            Test-Path (Join-Path $kept 'stories260K.logits') | Should -BeTrue
        }

        It 'gives the perplexities Measure-Perplexity gives for the same files' {
            foreach ($row in $rows | Select-Object -Skip 1) {
                (Measure-Perplexity $row.Path @Measure).Perplexity | Should -Be $row.Perplexity
            }
            # The source is measured while its log-probabilities are saved, as llama-perplexity --kl-divergence-base
            # does; that mode sums in float, which moves the eighth digit from a plain measurement.
            $logits = Join-Path $scratch 'source.logits'
            (Measure-Perplexity $Stories @Measure -SaveLogits $logits).Perplexity | Should -Be $rows[0].Perplexity
            $plain = (Measure-Perplexity $Stories @Measure).Perplexity
            [math]::Abs($rows[0].Perplexity / $plain - 1) | Should -BeLessThan 1e-6
        }

        It 'measures the generation speed and shows a few greedy words from each type' {
            foreach ($row in $rows) {
                $row.GenerationTokensPerSecond | Should -BeGreaterThan 0
                $row.PromptTokensPerSecond | Should -BeGreaterThan 0
                $row.Sample | Should -BeLike 'Once upon a time*'
                $row.Sample.Length | Should -BeGreaterThan 'Once upon a time'.Length
            }
            $greedy = Invoke-TextGeneration $rows[1].Path -Prompt 'Once upon a time' -Greedy -MaxTokens 16 -Threads 2 6>$null
            $rows[1].Sample | Should -Be ('Once upon a time' + $greedy.Text)
        }

        It 'announces the fallbacks once per kind' {
            $warnings | Should -HaveCount 3
            $warnings[0].Message | Should -Match '^Q8_0: 5 tensors use F32 instead of Q8_0 \(rows of 172'
        }

        It 'refuses to replace kept files without -Force, and replaces them with it' {
            Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $kept -KeepFiles -ErrorVariable err -ErrorAction SilentlyContinue 3>$null |
                Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            $again = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $kept -KeepFiles -Force 3>$null
            $again[1].Perplexity | Should -Be $rows[1].Perplexity
        }
    }

    It 'removes its intermediate files' {
        $temporary = Join-Path $scratch 'temporary'
        New-Item -ItemType Directory -Path $temporary | Out-Null
        $rows = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $temporary 3>$null
        $rows | Should -HaveCount 2
        $rows[1].Path | Should -BeNullOrEmpty
        $rows[1].Model | Should -Be 'stories260K-Q8_0.gguf'
        Get-ChildItem $temporary | Should -BeNullOrEmpty
    }

    It 'keeps its temporaries in a temporary folder of its own, not beside the source, and removes it' {
        $source = Join-Path $scratch 'beside/stories260K.gguf'
        New-Item -ItemType Directory -Path (Split-Path $source) -Force | Out-Null
        Copy-Item $Stories $source
        $temporary = Join-Path $scratch 'system-temp'
        New-Item -ItemType Directory -Path $temporary | Out-Null
        $saved = $env:TMPDIR, $env:TMP, $env:TEMP
        try {
            $env:TMPDIR = $env:TMP = $env:TEMP = $temporary
            $output = Compare-Quantization $source @Measure -Type Q8_0 -Verbose 4>&1 3>$null
        } finally {
            $env:TMPDIR, $env:TMP, $env:TEMP = $saved
        }
        $rows = $output | Where-Object { $_ -is [GgufPs.QuantizationComparison] }
        $rows | Should -HaveCount 2
        # ShouldProcess names the file it is about to write.
        $target = $output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'Quantize to Q8_0' }
        $target.Message | Should -Match ([regex]::Escape((Join-Path $temporary 'ggufps-compare-')))
        Get-ChildItem (Split-Path $source) | ForEach-Object Name | Should -Be @('stories260K.gguf')
        Get-ChildItem $temporary | Should -BeNullOrEmpty
    }

    Context 'free space' {
        BeforeAll {
            # The space the comparison needs at its peak: the largest quantization (Q8_0 here) and the source's
            # log-probabilities, llama.cpp's --kl-divergence-base file for 2 chunks of 64 tokens over 512 tokens.
            $q8 = (Get-GgufQuantizationType $Stories Q8_0).FileSize
            $vocabulary = (Get-GgufInfo $Stories).VocabularySize
            $logits = 20 + 4 * 64 * 2 + 2 * (64 - 1 - 32) * 2 * (2 * [math]::Floor(($vocabulary + 1) / 2) + 4)
            $Needed = $q8 + $logits
            # A file system of 256 KiB, where the test may mount one (root on Linux); elsewhere these are skipped.
            $Small = Join-Path $scratch 'small-disk'
            New-Item -ItemType Directory -Path $Small | Out-Null
            $Mounted = $false
            if ($IsLinux -and (Get-Command mount -ErrorAction SilentlyContinue)) {
                & mount -t tmpfs -o size=256k ggufps-test $Small 2>$null
                $Mounted = $LASTEXITCODE -eq 0
            }
        }

        AfterAll {
            if ($Mounted) {
                & umount $Small
            }
        }

        It 'checks that the files fit before it starts, and says how much it needs' {
            if (-not $Mounted) {
                Set-ItResult -Skipped -Because 'a small file system can only be mounted by root on Linux'
                return
            }
            $Needed | Should -BeGreaterThan 256KB
            Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory (Join-Path $Small 'compare') -ErrorVariable err -ErrorAction SilentlyContinue 3>$null |
                Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'InsufficientDiskSpace,GgufPs.Commands.CompareQuantizationCommand'
            $err[0].CategoryInfo.Category | Should -Be 'WriteError'
            $err[0].Exception.RequiredBytes | Should -Be $Needed
            $err[0].Exception.Message | Should -Match ([regex]::Escape([GgufPs.Workflow.ByteSize]::Format($Needed)))
            Get-ChildItem $Small -Recurse -File | Should -BeNullOrEmpty
        }

        It 'reports a disk that fills up while writing as InsufficientDiskSpace, leaving nothing behind' {
            if (-not $Mounted) {
                Set-ItResult -Skipped -Because 'a small file system can only be mounted by root on Linux'
                return
            }
            Invoke-Quantize $Stories -Type Q8_0 -OutputPath (Join-Path $Small 'q8.gguf') -ErrorVariable err -ErrorAction SilentlyContinue 3>$null |
                Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'InsufficientDiskSpace,GgufPs.Commands.InvokeQuantizeCommand'
            $err[0].CategoryInfo.Category | Should -Be 'WriteError'
            Get-ChildItem $Small -Recurse -File | Should -BeNullOrEmpty
            $long = (Get-Content $TextFile -Raw) * 8
            Measure-Perplexity $Stories -Text $long -Context 64 -Threads 2 -SaveLogits (Join-Path $Small 'big.logits') -ErrorVariable err2 -ErrorAction SilentlyContinue 3>$null |
                Should -BeNullOrEmpty
            $err2[0].FullyQualifiedErrorId | Should -Be 'InsufficientDiskSpace,GgufPs.Commands.MeasurePerplexityCommand'
            Get-ChildItem $Small -Recurse -File | Should -BeNullOrEmpty
        }
    }

    It 'creates a missing -OutputDirectory' {
        $missing = Join-Path $scratch 'new/folder'
        $rows = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $missing -KeepFiles 3>$null
        $rows | Should -HaveCount 2
        $rows[1].Path | Should -Be (Join-Path $missing 'stories260K-Q8_0.gguf')
        Test-Path $rows[1].Path | Should -BeTrue
    }

    It 'shows a Format Comparison table' {
        $text = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $scratch 3>$null | Format-Table | Out-String
        $text | Should -Match 'Format comparison: stories260K\.gguf, 2 chunk\(s\) of 64 tokens'
        $text | Should -Match 'Type\s+Size\s+RAM\s+PPL\s+Delta\s+KLD\s+BPW\s+Tok/s\s+Quality'
        $text | Should -Match 'F32\s+1\.19 MB\s+[\d.]+ MB\s+\d+\.\d{4}\s+baseline'
        $text | Should -Match 'Q8_0\s+489\.25 KB.*[+-]?\d+\.\d\d%\s+\d\.\d{4}\s+12\.97'
    }

    It 'exports to CSV and JSON as plain values' {
        $rows = Compare-Quantization $Stories @Measure -Type Q4_0 -OutputDirectory $scratch 3>$null
        $csv = Join-Path $scratch 'comparison.csv'
        $rows | Export-Csv $csv
        $back = Import-Csv $csv
        $back | Should -HaveCount 2
        ($back[0].PSObject.Properties.Name | Select-Object -First 8) | Should -Be @('Type', 'Perplexity', 'Delta', 'KLD', 'SizeGB', 'BitsPerWeight', 'GenerationTokensPerSecond', 'RamGB')
        $back[0].PSObject.Properties.Name | Should -Contain 'PromptTokensPerSecond'
        $back[1].Sample | Should -Be $rows[1].Sample
        [double]$back[1].Perplexity | Should -Be $rows[1].Perplexity
        $json = $rows | ConvertTo-Json -WarningVariable deep 3>$null | ConvertFrom-Json
        $deep | Should -BeNullOrEmpty
        $json[1].Type | Should -Be 'Q4_0'
        $json[1].Quality | Should -BeOfType ([string])
        $json[1].KLD | Should -BeGreaterThan 0
    }

    It 'writes nothing and measures nothing with -WhatIf' {
        $whatIf = Join-Path $scratch 'whatif'
        New-Item -ItemType Directory -Path $whatIf | Out-Null
        Compare-Quantization $Stories @Measure -Type Q8_0, Q4_0 -OutputDirectory $whatIf -KeepFiles -WhatIf 3>$null | Should -BeNullOrEmpty
        Get-ChildItem $whatIf | Should -BeNullOrEmpty
    }

    It 'continues -SamplePrompt for -SampleTokens tokens, or gives no sample with 0' {
        $rows = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $scratch -SamplePrompt 'Lily and Tom' -SampleTokens 4 3>$null
        $rows | ForEach-Object { $_.Sample | Should -BeLike 'Lily and Tom*' }
        $rows = Compare-Quantization $Stories @Measure -Type Q8_0 -OutputDirectory $scratch -SampleTokens 0 3>$null
        $rows | ForEach-Object { $_.Sample | Should -BeNullOrEmpty }
    }

    It 'takes the text as a string' {
        $text = Get-Content $TextFile -Raw
        $rows = Compare-Quantization $Stories -Text $text -Context 64 -Chunks 2 -Threads 2 -Type Q8_0 -OutputDirectory $scratch 3>$null
        $rows[1].Type | Should -Be 'Q8_0'
    }

    Context 'a type that fails while it is made' {
        BeforeAll {
            # A NaN weight stops every quantization of the model, after the source has been measured.
            $nan = Join-Path $scratch 'nan.gguf'
            Copy-Item $Stories $nan
            $offset = (Get-GgufInfo $nan).DataOffset + (Get-GgufInfo $nan -Tensors | Where-Object Name -eq 'blk.1.attn_q.weight').Offset + 12
            $stream = [IO.File]::OpenWrite($nan)
            try {
                $stream.Position = $offset
                $stream.Write([BitConverter]::GetBytes([single]::NaN), 0, 4)
            } finally {
                $stream.Dispose()
            }
        }

        It 'is reported and the others go on, the rows coming as they are done' {
            $folder = Join-Path $scratch 'failing'
            $rows = Compare-Quantization $nan @Measure -Type Q8_0, Q4_0 -OutputDirectory $folder -ErrorVariable err -ErrorAction SilentlyContinue 3>$null
            $rows | Should -HaveCount 1
            $rows[0].IsBaseline | Should -BeTrue
            $err | Should -HaveCount 2
            $err.TargetObject | Should -Be @('Q8_0', 'Q4_0')
            $err | ForEach-Object { $_.CategoryInfo.Category | Should -Be 'InvalidData' }
            Get-ChildItem $folder | Should -BeNullOrEmpty
        }

        It 'stops the work with -ErrorAction Stop, leaving nothing behind' {
            $folder = Join-Path $scratch 'failing-stop'
            { Compare-Quantization $nan @Measure -Type Q8_0, Q4_0 -OutputDirectory $folder -ErrorAction Stop 3>$null } |
                Should -Throw -ExpectedMessage '*blk.1.attn_q.weight*'
            Get-ChildItem $folder | Should -BeNullOrEmpty
        }
    }

    Context 'errors' {
        It 'reports a missing model as ObjectNotFound' {
            Compare-Quantization (Join-Path $scratch 'missing.gguf') @Measure -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'rejects an unknown type before doing anything' {
            { Compare-Quantization $Stories @Measure -Type Q4_K_X -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownType,GgufPs.Commands.CompareQuantizationCommand'
        }

        It 'refuses an already quantized model' {
            $q8 = Invoke-Quantize $Stories -Type Q8_0 -OutputPath (Join-Path $scratch 'q8.gguf') -Force 3>$null
            Compare-Quantization $q8.Path @Measure -Type Q4_0 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].Exception.Message | Should -Match 'already quantized'
        }

        It 'reports a text too short for the context and leaves nothing behind' {
            $short = Join-Path $scratch 'short'
            New-Item -ItemType Directory -Path $short | Out-Null
            Compare-Quantization $Stories -Text 'Once upon a time.' -Context 64 -Type Q8_0 -OutputDirectory $short -ErrorVariable err -ErrorAction SilentlyContinue 3>$null |
                Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            Get-ChildItem $short | Should -BeNullOrEmpty
        }

    }
}
