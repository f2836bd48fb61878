BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-imatrix-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $model = Join-Path $scratch 'stories260K.gguf'
    Copy-Item $Stories $model
    $common = @{ TextPath = $TextFile; Context = 128; Threads = 2 }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'New-ImportanceMatrix' {
    Context 'a matrix of stories260K' {
        BeforeAll {
            $result = Get-GgufInfo $model | New-ImportanceMatrix @common -Chunks 4 -Statistics
        }

        It 'writes model.imatrix.gguf beside the model and describes it' {
            $result | Should -BeOfType ([GgufPs.ImportanceMatrixInfo])
            $result.Path | Should -Be (Join-Path $scratch 'stories260K.imatrix.gguf')
            Test-Path $result.Path | Should -BeTrue
            $result.Format | Should -Be 'Gguf'
            $result.Model | Should -Be $model
            $result.Entries | Should -Be (5 * 7)
            $result.Chunks | Should -Be 4
            $result.ChunkSize | Should -Be 128
            $result.Datasets | Should -Be @($TextFile)
            $result.Completed | Should -BeTrue
        }

        It 'reports the perplexity of the text alongside' {
            $result.Perplexity | Should -BeGreaterThan 1
            $result.StandardError | Should -BeGreaterThan 0
            $result.TokensPerSecond | Should -BeGreaterThan 0
        }

        It 'has the statistics with -Statistics, and a table view' {
            $result.Statistics | Should -HaveCount 35
            $result.Statistics[0] | Should -BeOfType ([GgufPs.ImportanceMatrixTensorStatistics])
            ($result | Format-Table | Out-String) | Should -Match 'FileName\s+Format\s+Entries\s+Chunks'
            ($result.Statistics | Format-Table | Out-String) | Should -Match 'Layer\s+Tensor\s+Σ\(Act²\)'
        }

        It 'is read back by Get-ImportanceMatrix, with llama-imatrix statistics' {
            $info = $result | Get-ImportanceMatrix
            $info.Entries | Should -Be 35
            $info.Chunks | Should -Be 4
            $info.ChunkSize | Should -Be 128
            $info.Model | Should -BeNullOrEmpty
            $stats = Get-ImportanceMatrix $result.Path -Statistics
            $stats | Should -HaveCount 35
            $stats[0].Tensor | Should -Be 'attn_k'
            $stats | Where-Object Tensor -eq 'ffn_down' | ForEach-Object Elements | Select-Object -Unique | Should -Be 172
            ($stats | Where-Object Layer -eq 0 | ForEach-Object CosineSimilarity | Select-Object -Unique) | Should -Be 0
        }
    }

    It 'quantizes in one pipeline with Invoke-Quantize' {
        $out = Join-Path $scratch 'q2ks.gguf'
        $q = New-ImportanceMatrix $model @common -Chunks 2 -OutputPath (Join-Path $scratch 'pipe.imatrix.gguf') -NoPerplexity |
            Invoke-Quantize -Type Q2_K_S -OutputPath $out -WarningAction SilentlyContinue
        $q | Should -BeOfType ([GgufPs.GgufModelInfo])
        $q.Path | Should -Be $out
        $q.Metadata['quantize.imatrix.entries_count'] | Should -Be 35
        $q.Metadata['quantize.imatrix.chunks_count'] | Should -Be 2
        $q.Metadata['quantize.imatrix.dataset'] | Should -Be $TextFile
    }

    It 'writes the legacy format for .dat or -Format Dat, and -NoPerplexity leaves the perplexity out' {
        $dat = New-ImportanceMatrix $model @common -Chunks 2 -OutputPath (Join-Path $scratch 'm.dat') -NoPerplexity
        $dat.Format | Should -Be 'Dat'
        $dat.Perplexity | Should -BeNullOrEmpty
        $other = New-ImportanceMatrix $model @common -Chunks 2 -Format Dat -OutputPath (Join-Path $scratch 'm.legacy') -NoPerplexity
        (Get-FileHash $other.Path).Hash | Should -Be (Get-FileHash $dat.Path).Hash
        $read = Get-ImportanceMatrix $dat.Path
        $read.Format | Should -Be 'Dat'
        $read.Chunks | Should -Be 2
        $read.Dataset | Should -Be $TextFile
    }

    It 'merges matrices, weighting them by their counts' {
        $a = New-ImportanceMatrix $model @common -Chunks 2 -OutputPath (Join-Path $scratch 'a.gguf') -NoPerplexity
        $b = New-ImportanceMatrix $model @common -Chunks 2 -SkipChunks 2 -OutputPath (Join-Path $scratch 'b.dat') -NoPerplexity
        $merged = New-ImportanceMatrix -Merge $a.Path, $b.Path -OutputPath (Join-Path $scratch 'ab.gguf')
        $merged.Entries | Should -Be 35
        $merged.Chunks | Should -Be 4
        $merged.Datasets | Should -HaveCount 2
        $continued = New-ImportanceMatrix $model @common -Chunks 1 -Merge $merged.Path -OutputPath (Join-Path $scratch 'abc.gguf') -NoPerplexity
        $continued.Chunks | Should -Be 5
        $continued.Datasets | Should -HaveCount 3
    }

    It 'writes nothing with -WhatIf, refuses an existing output without -Force and replaces it with -Force' {
        $whatIf = Join-Path $scratch 'whatif.gguf'
        New-ImportanceMatrix $model @common -Chunks 1 -OutputPath $whatIf -WhatIf | Should -BeNullOrEmpty
        Test-Path $whatIf | Should -BeFalse
        $existing = Join-Path $scratch 'exists.gguf'
        Set-Content $existing 'keep'
        New-ImportanceMatrix $model @common -Chunks 1 -OutputPath $existing -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $existing | Should -Be 'keep'
        (New-ImportanceMatrix $model @common -Chunks 1 -OutputPath $existing -Force -NoPerplexity).Chunks | Should -Be 1
        New-ImportanceMatrix $model @common -Chunks 1 -OutputPath $model -Force -ErrorVariable same -ErrorAction SilentlyContinue
        $same[0].FullyQualifiedErrorId | Should -Match '^OutputIsInput'
    }

    Context 'bad input' {
        It 'refuses a text too short for two contexts' {
            New-ImportanceMatrix $model -Text 'Once upon a time.' -Context 128 -OutputPath (Join-Path $scratch 'short.gguf') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].Exception.Message | Should -Match 'needs at least 256'
            Test-Path (Join-Path $scratch 'short.gguf') | Should -BeFalse
        }

        It 'refuses a file that is not an importance matrix' {
            New-ImportanceMatrix -Merge $TextFile -OutputPath (Join-Path $scratch 'x.gguf') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $TextFile
            Get-ImportanceMatrix $Stories -ErrorVariable err2 -ErrorAction SilentlyContinue
            $err2[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err2[0].Exception.Message | Should -Match 'no importance matrix'
            Get-ImportanceMatrix (Join-Path $scratch 'missing.gguf') -ErrorVariable err3 -ErrorAction SilentlyContinue
            $err3[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses the model among the matrices to merge' {
            New-ImportanceMatrix $model @common -Chunks 1 -Merge $model -OutputPath (Join-Path $scratch 'self.gguf') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'MergeIsModel,GgufPs.Commands.NewImportanceMatrixCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $model
            $err[0].Exception.Message | Should -Be "'$model' is the model, not an importance matrix."
            Test-Path (Join-Path $scratch 'self.gguf') | Should -BeFalse
        }

        It 'refuses to merge the matrix of another model, naming the tensors' {
            $tiny = New-ImportanceMatrix $TinyRandom -TextPath $TextFile -Context 32 -Chunks 1 -Threads 2 -OutputPath (Join-Path $scratch 'tiny.gguf') -NoPerplexity
            New-ImportanceMatrix $model @common -Chunks 1 -Merge $tiny.Path -OutputPath (Join-Path $scratch 'mixed.gguf') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].Exception.Message | Should -Match "blk\.0\.\w+\.weight' has 8 columns where the model's has 64"
            Test-Path (Join-Path $scratch 'mixed.gguf') | Should -BeFalse
        }
    }

    Context 'stopping' {
        BeforeAll {
            # Stops the pipeline once the second chunk is done and returns what the command reported, so a test can
            # check that it ran that far (a command that failed to start would leave nothing behind as well).
            function Stop-Midway([string] $output, [switch] $Force) {
                $ps = [powershell]::Create()
                try {
                    $null = $ps.AddCommand('Import-Module').AddParameter('Name', $ModulePath).AddStatement()
                    $null = $ps.AddCommand('New-ImportanceMatrix').AddParameter('Path', $model).AddParameter('TextPath', $TextFile).
                        AddParameter('Context', 64).AddParameter('Threads', 2).AddParameter('OutputPath', $output).AddParameter('Force', [bool]$Force)
                    $handle = $ps.BeginInvoke()
                    $deadline = [DateTime]::UtcNow.AddSeconds(60)
                    # Progress is shown a few times a second, so the bar may skip from chunk 1 to a later one.
                    while (-not ($ps.Streams.Progress | Where-Object StatusDescription -match '^Chunk ([2-9]|\d\d)') -and [DateTime]::UtcNow -lt $deadline) {
                        Start-Sleep -Milliseconds 20
                    }
                    $ps.Stop()
                    try { $null = $ps.EndInvoke($handle) } catch { }
                    [pscustomobject]@{
                        Chunks = ($ps.Streams.Progress | Where-Object StatusDescription -match '^Chunk \d+' |
                            ForEach-Object { [int]($_.StatusDescription -replace '^Chunk (\d+).*', '$1') } | Measure-Object -Maximum).Maximum
                        Errors = @($ps.Streams.Error | Where-Object FullyQualifiedErrorId -ne 'PipelineStopped')
                        State  = $ps.InvocationStateInfo.State
                    }
                } finally {
                    $ps.Dispose()
                }
            }
        }

        It 'saves the finished chunks with -Force' {
            $output = Join-Path $scratch 'stopped.gguf'
            $run = Stop-Midway $output -Force
            $run.Errors | Should -BeNullOrEmpty
            $run.Chunks | Should -BeGreaterOrEqual 2
            $run.State | Should -Be 'Stopped'
            Test-Path $output | Should -BeTrue
            $info = Get-ImportanceMatrix $output
            $info.Chunks | Should -BeGreaterOrEqual 2
            $info.Chunks | Should -BeLessThan 150
        }

        It 'leaves nothing without -Force, after running until it was stopped' {
            $output = Join-Path $scratch 'nothing.gguf'
            $run = Stop-Midway $output
            $run.Errors | Should -BeNullOrEmpty
            $run.Chunks | Should -BeGreaterOrEqual 2 -Because 'the command must have run for its stop to mean anything'
            $run.State | Should -Be 'Stopped'
            Test-Path $output | Should -BeFalse
            Get-ChildItem $scratch -Filter 'nothing.gguf*' | Should -BeNullOrEmpty
        }
    }

    Context 'parameter sets a user can guess' {
        It 'takes the model and the text positionally in the default set' {
            (Get-Command New-ImportanceMatrix).DefaultParameterSet | Should -Be 'TextPath'
            $result = New-ImportanceMatrix $model $TextFile -Context 128 -Chunks 1 -Threads 2 -OutputPath (Join-Path $scratch 'positional.gguf') -NoPerplexity
            $result.Chunks | Should -Be 1
            $result.Datasets | Should -Be @($TextFile)
        }

        It 'says what to give when called bare, without prompting for merge inputs' {
            $err = { New-ImportanceMatrix -ErrorAction Stop } | Should -Throw -ErrorId 'MissingInput,GgufPs.Commands.NewImportanceMatrixCommand' -PassThru
            $err.Exception.Message | Should -Match '-Path'
            $err.Exception.Message | Should -Match '-TextPath'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            # No parameter set needs a merge input, so PowerShell has nothing to prompt for.
            (Get-Command New-ImportanceMatrix).ParameterSets | ForEach-Object { $_.Parameters | Where-Object IsMandatory } |
                ForEach-Object Name | Should -Be @('Text')
        }

        It 'asks for the text when given only a model' {
            $err = { New-ImportanceMatrix $model -ErrorAction Stop } | Should -Throw -ErrorId 'MissingInput,GgufPs.Commands.NewImportanceMatrixCommand' -PassThru
            $err.Exception.Message | Should -Match '-TextPath.*-Text'
        }

        It 'merges without a model, which needs -OutputPath and refuses the options of a computation' {
            $a = New-ImportanceMatrix $model @common -Chunks 1 -OutputPath (Join-Path $scratch 'merge-a.gguf') -NoPerplexity
            ({ New-ImportanceMatrix -Merge $a.Path -ErrorAction Stop } | Should -Throw -PassThru).Exception.Message | Should -Match '-OutputPath'
            ({ New-ImportanceMatrix -Merge $a.Path -OutputPath (Join-Path $scratch 'm.gguf') -Chunks 2 -ErrorAction Stop } | Should -Throw -PassThru).Exception.Message |
                Should -Match '-Chunks applies to computing'
            (New-ImportanceMatrix -Merge $a.Path -OutputPath (Join-Path $scratch 'merged-only.gguf')).Chunks | Should -Be 1
        }
    }
}
