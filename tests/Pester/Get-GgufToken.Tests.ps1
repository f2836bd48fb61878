BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $LlamaVocab = Join-Path $Fixtures 'vocab/ggml-vocab-llama-spm.gguf'
    $Gpt2Vocab = Join-Path $Fixtures 'vocab/ggml-vocab-gpt-2.gguf'
}

Describe 'Get-GgufToken' {
    It 'returns one GgufToken per token with llama-tokenize''s defaults' {
        $tokens = Get-GgufToken -Path $LlamaVocab -Text 'Hello world'
        $tokens | Should -HaveCount 3
        $tokens[0] | Should -BeOfType ([GgufPs.GgufToken])
        $tokens.Id | Should -Be @(1, 15043, 3186)
        $tokens.Index | Should -Be @(0, 1, 2)
        $tokens.Piece | Should -Be @('<s>', ' Hello', ' world')
        $tokens[1].Text | Should -Be ([string][char]0x2581 + 'Hello')
    }

    It 'parses control-token text by default and not with -NoSpecial' {
        (Get-GgufToken $Gpt2Vocab -Text '<|endoftext|>Hi').Id | Should -Be @(50256, 17250)
        $plain = Get-GgufToken $Gpt2Vocab -Text '<|endoftext|>Hi' -NoSpecial
        $plain.Id | Should -Not -Contain 50256
        ($plain.Piece -join '') | Should -Be '<|endoftext|>Hi'
    }

    It 'adds no BOS with -NoSpecial' {
        (Get-GgufToken $LlamaVocab -Text 'Hello world' -NoSpecial).Id | Should -Be @(15043, 3186)
    }

    It 'takes text from the pipeline and counts with -CountOnly' {
        $counts = 'Hello world', '', 'Hello world again' | Get-GgufToken -Path $LlamaVocab -CountOnly
        $counts | Should -Be @(3, 1, 4)
    }

    It 'takes the model from Get-GgufInfo by property name' {
        $info = Get-GgufInfo $Stories
        ($info | Get-GgufToken -Text 'Once upon a time' -CountOnly) | Should -BeGreaterThan 1
    }

    It 'shows Index, Id and Piece in a table' {
        $text = Get-GgufToken $LlamaVocab -Text "a`tb" | Format-Table | Out-String
        $text | Should -Match 'Index\s+Id\s+Piece'
        $text | Should -Match "'<s>'"
        $text | Should -Match '\\t'
    }

    It 'tokenizes a WordPiece (bert) vocabulary with [CLS] and [SEP] as llama-tokenize does' {
        $bert = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-bert-" + [guid]::NewGuid().ToString('N') + '.gguf')
        try {
            $gz = [IO.Compression.GZipStream]::new([IO.File]::OpenRead((Join-Path $Fixtures 'vocab/ggml-vocab-bert-bge.gguf.gz')), [IO.Compression.CompressionMode]::Decompress)
            $out = [IO.File]::Create($bert)
            try { $gz.CopyTo($out) } finally { $out.Dispose(); $gz.Dispose() }
            $tokens = Get-GgufToken -Path $bert -Text 'Hello, Wörld!'
            $tokens.Id | Should -Be @(101, 7592, 1010, 2088, 999, 102)
            $tokens.Piece | Should -Be @('[CLS]', ' hello', ' ,', ' world', ' !', '[SEP]')
            (Get-GgufToken -Path $bert -Text 'Hello, Wörld!' -NoSpecial).Id | Should -Be @(7592, 1010, 2088, 999)
        } finally {
            Remove-Item $bert -ErrorAction SilentlyContinue
        }
    }

    It 'reports a missing model as ObjectNotFound' {
        Get-GgufToken -Path (Join-Path $Fixtures 'nope.gguf') -Text 'x' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports a file without a tokenizer as InvalidData' {
        $bare = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-notok-" + [guid]::NewGuid().ToString('N') + '.gguf')
        try {
            Set-GgufMetadata -Path $Stories -Remove 'tokenizer.ggml.model' -OutputPath $bare -Force | Out-Null
            Get-GgufToken -Path $bare -Text 'x' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].Exception.Message | Should -Match 'tokenizer'
        } finally {
            Remove-Item $bare -ErrorAction SilentlyContinue
        }
    }
}
