BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-generate-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    # stories260K separates its stories with BOS; this copy names BOS its EOS, so a story ends the generation.
    $Ending = Join-Path $scratch 'stories260K-eos.gguf'
    Set-GgufMetadata -Path $Stories -Set @{ 'tokenizer.ggml.eos_token_id' = 1 } -OutputPath $Ending -Force | Out-Null
    $Greedy = @{ Greedy = $true; Threads = 2 }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-TextGeneration' {
    Context 'a continuation of stories260K' {
        BeforeAll {
            $result = Invoke-TextGeneration $Stories -Prompt 'Once upon a time' -MaxTokens 24 @Greedy -InformationVariable shown 6>$null
        }

        It 'returns one GenerationResult with the continuation, its tokens and speed' {
            $result | Should -HaveCount 1
            $result | Should -BeOfType ([GgufPs.GenerationResult])
            $result.Model | Should -Be 'stories260K.gguf'
            $result.Path | Should -Be $Stories
            $result.Prompt | Should -Be 'Once upon a time'
            $result.Text | Should -BeLike ', there was a little girl named Lily.*'
            $result.Tokens | Should -HaveCount 24
            $result.TokenCount | Should -Be 24
            $result.PromptTokenCount | Should -Be 5
            $result.StopReason | Should -Be ([GgufPs.StopReason]::MaxTokens)
            $result.TokensPerSecond | Should -BeGreaterThan 0
            $result.PromptTokensPerSecond | Should -BeGreaterThan 0
            $result.Seconds | Should -BeGreaterThan 0
            "$result" | Should -Be $result.Text
        }

        It 'streams the text to the information stream as it is generated' {
            $pieces = @($shown | Where-Object { $_.Tags -contains 'PSHOST' })
            $pieces.Count | Should -BeGreaterThan 10 -Because 'every token''s piece is written when it is generated'
            ($pieces.MessageData.Message -join '') | Should -Be $result.Text
        }

        It 'shows a summary table after the text' {
            $text = $result | Format-Table | Out-String
            $text | Should -Match 'Model\s+Prompt\s+Tokens\s+StopReason\s+Prompt t/s\s+t/s\s+Seed'
            $text | Should -Match 'stories260K\.gguf\s+5\s+24\s+MaxTokens'
        }
    }

    It 'writes each piece to the pipeline with -Stream, and nothing else' {
        $pieces = Invoke-TextGeneration $Stories -Prompt 'Once upon a time' -MaxTokens 24 @Greedy -Stream -InformationVariable shown
        $pieces | Should -Not -BeNullOrEmpty
        $pieces | ForEach-Object { $_ | Should -BeOfType ([string]) }
        $whole = Invoke-TextGeneration $Stories -Prompt 'Once upon a time' -MaxTokens 24 @Greedy 6>$null
        ($pieces -join '') | Should -Be $whole.Text
        $shown | Where-Object { $_.Tags -contains 'PSHOST' } | Should -BeNullOrEmpty
    }

    It 'stops at a stop string and leaves it out' {
        $r = Invoke-TextGeneration $Stories -Prompt 'Once upon a time' -MaxTokens 100 -Stop ' Lily', 'never' @Greedy 6>$null
        $r.StopReason | Should -Be 'Stop'
        $r.StopString | Should -Be ' Lily'
        $r.Text | Should -Be ', there was a little girl named'
    }

    It 'stops at the end of generation unless told to ignore it' {
        $r = Invoke-TextGeneration $Ending -Prompt 'Once upon a time' -MaxTokens -1 @Greedy 6>$null
        $r.StopReason | Should -Be 'EndOfGeneration'
        $r.Tokens | Should -Not -Contain 1
        $more = Invoke-TextGeneration $Ending -Prompt 'Once upon a time' -MaxTokens ($r.TokenCount + 20) -IgnoreEos @Greedy 6>$null
        $more.StopReason | Should -Be 'MaxTokens'
        $more.Text | Should -BeLike "$([WildcardPattern]::Escape($r.Text))*"
    }

    It 'stops with a warning when the context is full' {
        $r = Invoke-TextGeneration $Stories -Prompt 'Once upon a time' -MaxTokens 100 -Context 16 @Greedy -WarningVariable warn 3>$null 6>$null
        $r.StopReason | Should -Be 'ContextFull'
        $r.TokenCount | Should -Be 12
        $warn[0].Message | Should -Match 'context is full'
    }

    It 'samples with llama.cpp''s defaults, reports the random seed and repeats with it' {
        $a = Invoke-TextGeneration $Stories -Prompt 'Lily and Tom' -MaxTokens 30 -Threads 2 6>$null
        $a.Seed | Should -BeOfType ([uint32])
        $b = Invoke-TextGeneration $Stories -Prompt 'Lily and Tom' -MaxTokens 30 -Threads 2 -Seed $a.Seed 6>$null
        $b.Text | Should -Be $a.Text
        $c = Invoke-TextGeneration $Stories -Prompt 'Lily and Tom' -MaxTokens 30 -Threads 2 -Seed 7 -Temperature 1.5 -TopK 0 -TopP 1 -MinP 0 -RepeatPenalty 1.3 -RepeatLastN 16 6>$null
        $c.Seed | Should -Be 7
        $c.TokenCount | Should -Be 30
    }

    It 'describes the sampler chain with -Verbose' {
        $verbose = Invoke-TextGeneration $Stories -Prompt 'Once' -MaxTokens 2 -Threads 2 -RepeatPenalty 1.1 -Verbose 4>&1 6>$null |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Contain 'Sampler chain: penalties -> top-k -> top-p -> min-p -> temp-ext -> dist'
    }

    It 'formats -Message with the chat template, as ConvertTo-ChatPrompt does' {
        $messages = @{ Role = 'system'; Content = 'You tell stories.' }, [pscustomobject]@{ Role = 'User'; Content = 'Once upon a time' }
        $r = Invoke-TextGeneration $Stories -Message $messages -ChatTemplate llama2 -MaxTokens 4 @Greedy 6>$null
        $r.Prompt | Should -Be (ConvertTo-ChatPrompt -Message $messages -Template llama2 -AddGenerationPrompt)
        $r = Invoke-TextGeneration $Stories -Message $messages -MaxTokens 4 @Greedy -WarningVariable warn 3>$null 6>$null
        $r.Prompt | Should -BeLike '<|im_start|>system*'
        $warn[0].Message | Should -Match 'no chat template'
    }

    It 'generates with what Invoke-Quantize writes, from the pipeline' {
        $q8 = Join-Path $scratch 'stories-q8_0.gguf'
        $r = Invoke-Quantize -Path $Stories -Type Q8_0 -OutputPath $q8 -Force 3>$null | Invoke-TextGeneration -Prompt 'Once upon a time' -MaxTokens 8 @Greedy 6>$null
        $r.Path | Should -Be $q8
        $r.TokenCount | Should -Be 8
        $r.Text | Should -BeLike ', there was*'
    }

    It 'takes models from Get-ChildItem, one result each' {
        $r = Get-Item $Stories, $Ending | Invoke-TextGeneration -Prompt 'Once' -MaxTokens 3 @Greedy 6>$null
        $r | Should -HaveCount 2
        $r.Model | Should -Be @('stories260K.gguf', 'stories260K-eos.gguf')
    }

    Context 'bad input' {
        It 'reports a missing model as ObjectNotFound' {
            Invoke-TextGeneration (Join-Path $scratch 'nope.gguf') -Prompt 'x' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses a prompt longer than the context' {
            Invoke-TextGeneration $Stories -Prompt ('Once upon a time ' * 20) -Context 16 -ErrorVariable err -ErrorAction SilentlyContinue 6>$null
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].Exception.Message | Should -Match 'context of 16'
            $err[0].TargetObject | Should -Be $Stories
        }

        It 'names an unknown chat template and a message without a role' {
            { Invoke-TextGeneration $Stories -Message @{ Role = 'user'; Content = 'x' } -ChatTemplate nosuch -ErrorAction Stop } |
                Should -Throw -ErrorId 'UnknownChatTemplate,GgufPs.Commands.InvokeTextGenerationCommand'
            { Invoke-TextGeneration $Stories -Message 'just text' -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidChatMessage,GgufPs.Commands.InvokeTextGenerationCommand'
        }

        It 'refuses sampling settings out of range' {
            { Invoke-TextGeneration $Stories -Prompt 'x' -TopP 2 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,GgufPs.Commands.InvokeTextGenerationCommand'
            { Invoke-TextGeneration $Stories -Prompt 'x' -MaxTokens -2 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,GgufPs.Commands.InvokeTextGenerationCommand'
        }

        It 'names an unsupported architecture' {
            $mamba = Join-Path $scratch 'mamba.gguf'
            Set-GgufMetadata -Path $Stories -Set @{ 'general.architecture' = 'mamba' } -OutputPath $mamba -Force | Out-Null
            Invoke-TextGeneration $mamba -Prompt 'x' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        }
    }
}
