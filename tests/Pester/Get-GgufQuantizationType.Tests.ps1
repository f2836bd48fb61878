BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
}

Describe 'Get-GgufQuantizationType' {
    It 'lists every type Invoke-Quantize -Type completes, in the same order' {
        $types = Get-GgufQuantizationType
        $types[0] | Should -BeOfType ([GgufPs.QuantizationType])
        $line = 'Invoke-Quantize -Type '
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Be $types.Name
        $q4km = $completions | Where-Object CompletionText -eq 'Q4_K_M'
        $q4km.ToolTip | Should -Match '4\.5 bpw.*Recommended'
    }

    It 'describes a type: bits, block layout, llama.cpp''s note, use and importance matrix' {
        $t = Get-GgufQuantizationType Q4_K_M
        $t.BitsPerWeight | Should -Be 4.5
        $t.BlockSize | Should -Be 256
        $t.BlockBytes | Should -Be 144
        $t.Layout | Should -Match '8 sub-blocks of 32'
        $t.Description | Should -Match 'Llama-3-8B'
        $t.UseCase | Should -Match 'Recommended'
        $t.RequiresImportanceMatrix | Should -BeFalse
        (Get-GgufQuantizationType Q2_K_S).RequiresImportanceMatrix | Should -BeTrue
    }

    It 'filters by wildcard, case-insensitively' {
        (Get-GgufQuantizationType q4_k*).Name | Should -Be @('Q4_K', 'Q4_K_S', 'Q4_K_M')
    }

    It 'reports an unknown name' {
        Get-GgufQuantizationType Q4_K_X -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'UnknownType,GgufPs.Commands.GetGgufQuantizationTypeCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -Be 'Q4_K_X'
        $err[0].Exception.Message | Should -Match 'Valid types: Q4_0'
        $err[0].Exception.Message | Should -Match '\(-Path\)'
    }

    It 'shows a table with the use of each type' {
        $text = Get-GgufQuantizationType Q4_K_M, Q8_0 | Format-Table | Out-String -Width 200
        $text | Should -Match 'Name\s+BPW\s+Block\s+Imatrix\s+llama\.cpp\s+UseCase'
        $text | Should -Match 'Q4_K_M\s+4\.50\s+256/144 B'
    }

    Context 'for a model' {
        BeforeAll {
            $estimates = Get-GgufInfo $Stories | Get-GgufQuantizationType Q8_0, Q4_K_M
        }

        It 'predicts the size Invoke-Quantize writes and tells which types fit' {
            $estimates | Should -HaveCount 2
            $estimates[0] | Should -BeOfType ([GgufPs.QuantizationEstimate])
            $out = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-estimate-" + [guid]::NewGuid().ToString('N') + '.gguf')
            try {
                $written = Invoke-Quantize $Stories -Type Q8_0 -OutputPath $out 3>$null
                $estimates[0].FileSize | Should -Be $written.FileSize
            } finally {
                Remove-Item $out -ErrorAction SilentlyContinue
            }
            $estimates[0].Fits | Should -BeTrue
            $estimates[0].FallbackTensors | Should -Be 5
            $estimates[1].Fits | Should -BeFalse
            $estimates[1].Fallbacks | Should -Not -BeNullOrEmpty
        }

        It 'takes the model''s path positionally, as -Path, with or without type names' {
            $positional = Get-GgufQuantizationType $Stories Q8_0, Q4_K_M
            $positional | Should -HaveCount 2
            $positional[0] | Should -BeOfType ([GgufPs.QuantizationEstimate])
            $positional.FileSize | Should -Be $estimates.FileSize
            (Get-GgufQuantizationType $Stories, Q8_0, Q4_K_M).FileSize | Should -Be $estimates.FileSize
            $all = Get-GgufQuantizationType $Stories
            $all.Type | Should -Be (Get-GgufQuantizationType -Path $Stories).Type
            Push-Location (Split-Path $Stories)
            try {
                (Get-GgufQuantizationType ./stories260K.gguf Q8_0).FileSize | Should -Be $estimates[0].FileSize
            } finally {
                Pop-Location
            }
        }

        It 'reports a missing model file as ObjectNotFound, not as an unknown type' {
            Get-GgufQuantizationType ./missing-model.gguf -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'shows them in a table' {
            $text = $estimates | Format-Table | Out-String
            $text | Should -Match 'Type\s+Size\s+BPW\s+Fallbacks\s+Fits'
            $text | Should -Match 'Q8_0\s+489\.25 KB\s+12\.97\s+5 of 37 yes'
        }
    }
}
