BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-ppl-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Measure-Perplexity' {
    Context 'the seed''s measurement on stories260K' {
        BeforeAll {
            $result = Get-GgufInfo $Stories | Measure-Perplexity -TextPath $TextFile -Context 128 -Chunks 20 -Threads 2
        }

        It 'returns a PerplexityResult equal to llama-perplexity''s' {
            $result | Should -BeOfType ([GgufPs.PerplexityResult])
            # llama.cpp (the test oracle) gives 5.352856 for this model, text, context and chunk count.
            [math]::Abs([math]::Log($result.Perplexity / 5.352856)) | Should -BeLessThan 1e-3
            $result.StandardError | Should -BeGreaterThan 0.1
            $result.Context | Should -Be 128
            $result.Chunks | Should -Be 20
            $result.TokensScored | Should -Be (20 * 63)
            $result.Completed | Should -BeTrue
            $result.ChunkPerplexities | Should -HaveCount 20
            $result.TokensPerSecond | Should -BeGreaterThan 0
            $result.Model | Should -Be $Stories
        }

        It 'shows the result in a table with the llama.cpp numbers' {
            $text = $result | Format-Table | Out-String
            $text | Should -Match 'Model\s+PPL\s+\+/-\s+Context\s+Chunks\s+Tok/s'
            $text | Should -Match 'stories260K\.gguf\s+5\.35'
        }
    }

    It 'takes the text as a string and files from Get-ChildItem' {
        $text = Get-Content $TextFile -Raw
        $a = Measure-Perplexity -Path $Stories -Text $text -Context 64 -Chunks 2 -Threads 2
        $b = Get-Item $Stories | Measure-Perplexity -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2
        $a.Perplexity | Should -Be $b.Perplexity
    }

    It 'measures what Invoke-Quantize writes, from the pipeline' {
        $q8 = Join-Path $scratch 'stories-q8_0.gguf'
        $r = Invoke-Quantize -Path $Stories -Type Q8_0 -OutputPath $q8 -Force | Measure-Perplexity -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2
        $r.Model | Should -Be $q8
        $r.Perplexity | Should -BeGreaterThan 1
        $f32 = Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2
        [math]::Abs([math]::Log($r.Perplexity / $f32.Perplexity)) | Should -BeLessThan 0.05
    }

    It 'writes the running estimate with -Verbose' {
        $verbose = Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 3 -Threads 2 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Match '^\[1\]\d+\.\d{4}$|^\[2\]|^\[3\]'
        $verbose | Should -HaveCount 3
    }

    It 'compares with a reference model in the same pass' {
        $r = Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2 -ReferenceModel $Stories
        $r.KlDivergence | Should -BeOfType ([GgufPs.KlDivergenceResult])
        $r.KlDivergence.SameTopTokenPercent | Should -Be 100
        [math]::Abs($r.KlDivergence.MeanKlDivergence) | Should -BeLessThan 1e-6
        ($r.KlDivergence | Format-List | Out-String) | Should -Match 'MeanKlDivergence'
    }

    It 'saves llama.cpp logits and compares with them' {
        $logits = Join-Path $scratch 'base.logits'
        Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 2 -Threads 2 -SaveLogits $logits | Out-Null
        Test-Path $logits | Should -BeTrue
        [System.Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($logits), 0, 8) | Should -Be '_logits_'
        $r = Measure-Perplexity $Stories -ReferenceLogits $logits -Threads 2
        $r.Chunks | Should -Be 2
        $r.KlDivergence.SameTopTokenPercent | Should -Be 100
    }

    It 'does not replace a logits file without -Force, and writes nothing with -WhatIf' {
        $logits = Join-Path $scratch 'exists.logits'
        Set-Content $logits 'keep'
        Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 1 -SaveLogits $logits -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $logits | Should -Be 'keep'
        $whatIf = Join-Path $scratch 'whatif.logits'
        Measure-Perplexity $Stories -TextPath $TextFile -Context 64 -Chunks 1 -SaveLogits $whatIf -WhatIf | Should -BeNullOrEmpty
        Test-Path $whatIf | Should -BeFalse
    }

    Context 'bad input' {
        It 'reports a missing model as ObjectNotFound' {
            Measure-Perplexity -Path (Join-Path $scratch 'nope.gguf') -TextPath $TextFile -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports a missing text file as ObjectNotFound' {
            Measure-Perplexity -Path $Stories -TextPath (Join-Path $scratch 'nope.txt') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses an empty text and a text shorter than two contexts' {
            Measure-Perplexity -Path $Stories -Text '' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].Exception.Message | Should -Match 'empty'
            Measure-Perplexity -Path $Stories -Text 'Once upon a time.' -Context 128 -ErrorVariable err2 -ErrorAction SilentlyContinue
            $err2[0].Exception.Message | Should -Match 'needs at least 256'
        }

        It 'warns when the context is beyond the training context, as llama.cpp does' {
            $short = Join-Path $scratch 'short-context.gguf'
            Set-GgufMetadata -Path $Stories -Set @{ 'llama.context_length' = 64 } -OutputPath $short -Force | Out-Null
            $r = Measure-Perplexity $short -TextPath $TextFile -Context 128 -Chunks 1 -Threads 2 -WarningVariable warn -WarningAction SilentlyContinue
            $warn[0].Message | Should -Match 'trained on only 64'
            $r.Chunks | Should -Be 1
        }

        It 'names an unsupported architecture' {
            $mamba = Join-Path $scratch 'mamba.gguf'
            Set-GgufMetadata -Path $Stories -Set @{ 'general.architecture' = 'mamba' } -OutputPath $mamba -Force | Out-Null
            Measure-Perplexity $mamba -TextPath $TextFile -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            $err[0].Exception.Message | Should -Match 'mamba'
        }
    }
}
