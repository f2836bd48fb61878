BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'ConsoleSession.ps1')
    $script:NoTerminal = -not (Test-ConsoleSession)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    . (Join-Path $PSScriptRoot 'ConsoleSession.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-chat-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $module = (Resolve-Path $ModulePath).Path
    $Chat = @{ Greedy = $true; Threads = 2; ChatTemplate = 'chatml' }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Enter-Chat' {
    Context 'a conversation piped in' {
        BeforeAll {
            $results = 'Tell me a story.', 'What happened next?' |
                Enter-Chat $Stories -SystemPrompt 'You tell stories.' -MaxTokens 16 -PassThru @Chat -InformationVariable shown 6>$null
            $transcript = ($shown | Where-Object { $_.Tags -contains 'PSHOST' } | ForEach-Object { $_.MessageData.ToString() + $(if (-not $_.MessageData.NoNewLine) { "`n" }) }) -join ''
        }

        It 'answers each line, with -PassThru one GenerationResult per answer' {
            $results | Should -HaveCount 2
            $results | ForEach-Object { $_ | Should -BeOfType ([GgufPs.GenerationResult]) }
            $results.TokenCount | Should -Be @(16, 16)
            $results[1].Prompt | Should -Be (ConvertTo-ChatPrompt -Template chatml -AddGenerationPrompt -Message @(
                @{ Role = 'system'; Content = 'You tell stories.' }
                @{ Role = 'user'; Content = 'Tell me a story.' }
                @{ Role = 'assistant'; Content = $results[0].Text }
                @{ Role = 'user'; Content = 'What happened next?' }))
        }

        It 'evaluates only what the KV cache lacks from the second turn on' {
            $results[0].CachedPromptTokenCount | Should -Be 0
            $results[1].CachedPromptTokenCount | Should -BeGreaterOrEqual $results[0].PromptTokenCount
        }

        It 'writes the conversation to the host as it goes' {
            $transcript | Should -Match 'Chatting with .*stories260K\.gguf \(chatml template'
            $transcript | Should -Match '(?s)> Tell me a story\.\n.+> What happened next\?\n.+'
            $transcript | Should -Match ([regex]::Escape($results[1].Text))
        }
    }

    It 'ends at /bye or an empty line' {
        @('Hi', '/bye', 'never asked') | Enter-Chat $Stories -MaxTokens 4 -PassThru @Chat 6>$null | Should -HaveCount 1
        @('Hi', '', 'never asked') | Enter-Chat $Stories -MaxTokens 4 -PassThru @Chat 6>$null | Should -HaveCount 1
    }

    It 'writes nothing to the pipeline without -PassThru' {
        'Hi' | Enter-Chat $Stories -MaxTokens 4 @Chat 6>$null | Should -BeNullOrEmpty
    }

    It 'warns and ends when the conversation outgrows the context' {
        $results = 'Hi', 'Tell me more about the little girl and her dog.', 'And then?' |
            Enter-Chat $Stories -MaxTokens 40 -Context 48 -PassThru @Chat -WarningVariable warn -ErrorVariable err -ErrorAction SilentlyContinue 3>$null 6>$null
        $results | Should -HaveCount 1
        $results[0].StopReason | Should -Be 'ContextFull'
        $warn[0].Message | Should -Match 'fills the context'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].Exception.Message | Should -Match 'context of 48'
    }

    Context 'bad input' {
        It 'reports a missing model as ObjectNotFound' {
            'Hi' | Enter-Chat (Join-Path $scratch 'nope.gguf') -ErrorVariable err -ErrorAction SilentlyContinue 6>$null
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'names an unknown chat template' {
            { 'Hi' | Enter-Chat $Stories -ChatTemplate nosuch -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownChatTemplate,GgufPs.Commands.EnterChatCommand'
        }
    }

    Context 'at the console' -Skip:$NoTerminal {
        It 'reads each message from the console until /bye' {
            $lines = Invoke-ConsoleSession -ModulePath $module -Scratch $scratch -Steps @(
                @{ When = '(?m)^> $'; Send = "Tell me a story.`r" }
                @{ When = '(?m)^> $'; Send = "/bye`r" }
            ) -Script @"
`$r = Enter-Chat '$Stories' -ChatTemplate chatml -Greedy -MaxTokens 12 -Threads 2 -PassThru
"RESULT count=`$(@(`$r).Count) tokens=`$(`$r[0].TokenCount) reason=`$(`$r[0].StopReason)"
"@
            $lines | Should -Contain 'RESULT count=1 tokens=12 reason=MaxTokens'
            ($lines -join "`n") | Should -Match 'An empty line or /bye ends the chat'
        }

        It 'stops the answer at Ctrl+C and goes on with the chat, which Ctrl+C at the prompt ends' {
            $lines = Invoke-ConsoleSession -ModulePath $module -Scratch $scratch -Steps @(
                @{ When = '(?m)^> $'; Send = "Tell me a long story.`r" }
                @{ When = 'Lily'; Send = [string][char]3 }
                @{ When = '(?m)^> $'; Send = [string][char]3 }
            ) -Script @"
`$before = [Console]::TreatControlCAsInput
`$r = Enter-Chat '$Stories' -ChatTemplate chatml -Greedy -MaxTokens -1 -Threads 1 -PassThru
"RESULT count=`$(@(`$r).Count) reason=`$(`$r[0].StopReason) tokens=`$(`$r[0].TokenCount) restored=`$([Console]::TreatControlCAsInput -eq `$before)"
"@
            $result = $lines | Where-Object { $_ -match '^RESULT ' } | Select-Object -Last 1
            $result | Should -Match 'RESULT count=1 reason=Cancelled tokens=\d+ restored=True'
            [int]($result -replace '.*tokens=(\d+).*', '$1') | Should -BeLessThan 2000
            ($lines -join "`n") | Should -Match '\[stopped\]'
        }
    }
}
