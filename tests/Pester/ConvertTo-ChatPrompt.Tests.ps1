BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $Conversation = @(
        @{ Role = 'system'; Content = 'You are a helpful assistant' }
        @{ Role = 'user'; Content = 'Hello' }
    )
    $Chatml = "<|im_start|>system`nYou are a helpful assistant<|im_end|>`n<|im_start|>user`nHello<|im_end|>`n"
    function New-TempGguf([string] $Prefix) {
        Join-Path ([IO.Path]::GetTempPath()) ("ggufps-$Prefix-" + [guid]::NewGuid().ToString('N') + '.gguf')
    }
}

Describe 'ConvertTo-ChatPrompt' {
    It 'formats hashtables with a built-in template and opens the assistant turn on request' {
        ConvertTo-ChatPrompt -Message $Conversation -Template chatml | Should -BeExactly $Chatml
        ConvertTo-ChatPrompt $Conversation chatml -AddGenerationPrompt | Should -BeExactly ($Chatml + "<|im_start|>assistant`n")
    }

    It 'returns one string' {
        $prompt = ConvertTo-ChatPrompt -Message $Conversation -Template llama3
        $prompt | Should -BeOfType ([string])
        @($prompt).Count | Should -Be 1
    }

    It 'takes pscustomobjects from the pipeline as one conversation, roles in any case' {
        $messages = @(
            [pscustomobject]@{ Role = 'System'; Content = 'Be brief.' }
            [pscustomobject]@{ Role = 'USER'; Content = '  Why?  ' }
        )
        $prompt = $messages | ConvertTo-ChatPrompt -Template llama3 -AddGenerationPrompt
        $prompt | Should -BeExactly ("<|start_header_id|>system<|end_header_id|>`n`nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>`n`nWhy?<|eot_id|><|start_header_id|>assistant<|end_header_id|>`n`n")
    }

    It 'takes ChatMessage objects and keeps roles it does not know as given' {
        $message = [GgufPs.Generation.ChatMessage]::new('Narrator', 'Once upon a time')
        ConvertTo-ChatPrompt -Message $message -Template phi3 | Should -BeExactly "<|Narrator|>`nOnce upon a time<|end|>`n"
    }

    It 'recognises a template text as llama.cpp does' {
        $jinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
        ConvertTo-ChatPrompt -Message $Conversation -Template $jinja | Should -BeExactly $Chatml
        $verbose = ConvertTo-ChatPrompt -Message $Conversation -Template '<|start_header_id|><|end_header_id|>' -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Be 'Chat template: llama3.'
    }

    It 'uses chatml without -Template or -Path, as llama.cpp does' {
        ConvertTo-ChatPrompt -Message $Conversation | Should -BeExactly $Chatml
    }

    It 'uses the model''s tokenizer.chat_template with -Path' {
        $model = New-TempGguf 'chat'
        try {
            Set-GgufMetadata -Path $Stories -Set @{ 'tokenizer.chat_template' = "{% for m in messages %}<start_of_turn>{{ m['content'] }}{% endfor %}" } -OutputPath $model -Force | Out-Null
            ConvertTo-ChatPrompt -Path $model -Message @{ Role = 'user'; Content = 'Hi' } -AddGenerationPrompt |
                Should -BeExactly "<start_of_turn>user`nHi<end_of_turn>`n<start_of_turn>model`n"
            Get-Item $model | ConvertTo-ChatPrompt -Message @{ Role = 'user'; Content = 'Hi' } |
                Should -BeExactly "<start_of_turn>user`nHi<end_of_turn>`n"
            ConvertTo-ChatPrompt -Path $model -Template chatml -Message @{ Role = 'user'; Content = 'Hi' } |
                Should -BeExactly "<|im_start|>user`nHi<|im_end|>`n"
        } finally {
            Remove-Item $model -ErrorAction SilentlyContinue
        }
    }

    It 'falls back to chatml with a warning for a model without a chat template' {
        $prompt = ConvertTo-ChatPrompt -Path $Stories -Message @{ Role = 'user'; Content = 'Hi' } -WarningVariable warnings -WarningAction SilentlyContinue
        $prompt | Should -BeExactly "<|im_start|>user`nHi<|im_end|>`n"
        $warnings[0] | Should -Match 'no chat template'
    }

    It 'refuses an unknown template with the built-in names' {
        { ConvertTo-ChatPrompt -Message $Conversation -Template 'no-such-template' -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownChatTemplate,GgufPs.Commands.ConvertToChatPromptCommand'
        try {
            ConvertTo-ChatPrompt -Message $Conversation -Template 'no-such-template' -ErrorAction Stop
        } catch {
            $_.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $_.Exception.Message | Should -Match 'chatml, .*llama3'
        }
    }

    It 'reports a model template llama.cpp does not recognise, naming -Template' {
        $model = New-TempGguf 'badchat'
        try {
            Set-GgufMetadata -Path $Stories -Set @{ 'tokenizer.chat_template' = '{{ messages }}' } -OutputPath $model -Force | Out-Null
            ConvertTo-ChatPrompt -Path $model -Message $Conversation -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Match '^UnknownChatTemplate'
            $err[0].Exception.Message | Should -Match '-Template'
        } finally {
            Remove-Item $model -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a message without Role and Content' {
        { ConvertTo-ChatPrompt -Message 'just text' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidChatMessage,GgufPs.Commands.ConvertToChatPromptCommand'
        { ConvertTo-ChatPrompt -Message @{ Role = 'user' } -ErrorAction Stop } | Should -Throw '*Role and a Content*'
    }

    It 'says what to give when called without messages, instead of prompting' {
        { ConvertTo-ChatPrompt -Template chatml -ErrorAction Stop } | Should -Throw -ErrorId 'MissingInput,GgufPs.Commands.ConvertToChatPromptCommand'
    }

    It 'reports a missing model as ObjectNotFound' {
        ConvertTo-ChatPrompt -Path (Join-Path $Fixtures 'nope.gguf') -Message $Conversation -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'completes -Template with the built-in names' {
        $line = 'ConvertTo-ChatPrompt -Template mistral-v'
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Be @('mistral-v1', 'mistral-v3', 'mistral-v3-tekken', 'mistral-v7', 'mistral-v7-tekken')
        $completions.CompletionMatches[0].ToolTip | Should -Match '\[INST\]'
        $line = 'ConvertTo-ChatPrompt -Template '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -HaveCount 54
    }
}
