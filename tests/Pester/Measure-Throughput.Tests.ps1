BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-throughput-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    # Short tests: the rows, not the speed, are under test.
    $Small = @{ PromptTokens = 16; GenerateTokens = 4; Repetitions = 2 }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Measure-Throughput' {
    Context 'llama-bench''s two tests on stories260K' {
        BeforeAll {
            $rows = Measure-Throughput $Stories @Small -Threads 1, 2
            $info = Get-GgufInfo $Stories
        }

        It 'returns a row per thread count and test, in llama-bench''s order' {
            $rows | Should -HaveCount 4
            $rows | ForEach-Object { $_ | Should -BeOfType ([GgufPs.ThroughputResult]) }
            $rows.Test | Should -Be @('pp16', 'tg4', 'pp16', 'tg4')
            $rows.Threads | Should -Be @(1, 1, 2, 2)
        }

        It 'describes the model as llama-bench does, and the rate over the repetitions' {
            foreach ($row in $rows) {
                $row.Model | Should -Be 'stories260K.gguf'
                $row.Type | Should -Be 'F32'
                $row.SizeBytes | Should -Be $info.TensorBytes
                $row.Parameters | Should -Be $info.ParameterCount
                $row.Samples | Should -HaveCount 2
                $row.TokensPerSecond | Should -BeGreaterThan 0
                [math]::Abs($row.TokensPerSecond - ($row.Samples | Measure-Object -Average).Average) | Should -BeLessThan 1e-6
                $row.StandardDeviation | Should -BeGreaterOrEqual 0
                $row.Path | Should -Be $Stories
            }
            $rows[0].PromptTokens | Should -Be 16
            $rows[1].GeneratedTokens | Should -Be 4
        }

        It 'shows a table like llama-bench''s markdown' {
            $text = $rows | Format-Table | Out-String
            $text | Should -Match 'model\s+type\s+size\s+params\s+threads\s+test\s+t/s'
            $text | Should -Match 'stories260K\.gguf\s+F32\s+1\.12 MiB\s+0\.29 M\s+1\s+pp16\s+[\d.]+ ± [\d.]+'
        }

        It 'exports to CSV and JSON' {
            $csv = Join-Path $scratch 'bench.csv'
            $rows | Export-Csv $csv
            $back = Import-Csv $csv
            $back | Should -HaveCount 4
            ($back[0].PSObject.Properties.Name | Select-Object -First 9) |
                Should -Be @('Model', 'Type', 'SizeBytes', 'Parameters', 'Threads', 'Test', 'TokensPerSecond', 'StandardDeviation', 'Samples')
            [double]$back[0].TokensPerSecond | Should -Be $rows[0].TokensPerSecond
            ($back[0].Samples -split ' ' | ForEach-Object { [double]$_ }) | Should -Be @($rows[0].Samples)
            $json = $rows | ConvertTo-Json | ConvertFrom-Json
            $json[1].Test | Should -Be 'tg4'
            $json[1].Samples | Should -HaveCount 2
        }
    }

    It 'measures the files Get-ChildItem lists' {
        $folder = Join-Path $scratch 'models'
        New-Item -ItemType Directory -Path $folder | Out-Null
        Copy-Item $Stories (Join-Path $folder 'a.gguf')
        Invoke-Quantize $Stories -Type Q8_0 -OutputPath (Join-Path $folder 'b.gguf') 3>$null | Out-Null
        $rows = Get-ChildItem (Join-Path $folder '*.gguf') | Measure-Throughput -PromptTokens 8 -GenerateTokens 0 -Repetitions 1 -Threads 2
        $rows.Model | Should -Be @('a.gguf', 'b.gguf')
        $rows.Type | Should -Be @('F32', 'Q8_0')
        $rows.Test | Should -Be @('pp8', 'pp8')
        $wild = Measure-Throughput (Join-Path $folder '*.gguf') -PromptTokens 0 -GenerateTokens 2 -Repetitions 1 -Threads 2
        $wild.Test | Should -Be @('tg2', 'tg2')
    }

    It 'warns of nothing when left alone' {
        Measure-Throughput $Stories @Small -Threads 2 -WarningVariable warn 3>$null | Should -HaveCount 2
        $warn | Should -BeNullOrEmpty
    }

    Context 'bad input' {
        It 'reports a missing model as ObjectNotFound and goes on with the next' {
            $rows = Measure-Throughput (Join-Path $scratch 'nope.gguf'), $Stories -PromptTokens 4 -GenerateTokens 0 -Repetitions 1 -Threads 1 -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $rows | Should -HaveCount 1
        }

        It 'refuses to measure nothing' {
            { Measure-Throughput $Stories -PromptTokens 0 -GenerateTokens 0 } | Should -Throw -ErrorId 'NothingToMeasure,GgufPs.Commands.MeasureThroughputCommand'
            { Measure-Throughput $Stories -Repetitions 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,GgufPs.Commands.MeasureThroughputCommand'
        }

        It 'names a file that is not a model' {
            $bad = Join-Path $scratch 'bad.gguf'
            Set-Content $bad 'not a model'
            Measure-Throughput $bad -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -BeIn 'InvalidData', 'ReadError'
            $err[0].TargetObject | Should -Be $bad
        }
    }
}
