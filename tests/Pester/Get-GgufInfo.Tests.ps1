BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-pester-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-GgufInfo' {
    Context 'one file' {
        BeforeAll {
            $info = Get-GgufInfo -Path $Stories
        }

        It 'returns a GgufModelInfo' {
            $info | Should -BeOfType ([GgufPs.GgufModelInfo])
            $info.PSObject.TypeNames[0] | Should -Be 'GgufPs.GgufModelInfo'
        }

        It 'reports the model summary' {
            $info.FileName | Should -Be 'stories260K.gguf'
            $info.Architecture | Should -Be 'llama'
            $info.TensorCount | Should -Be 48
            $info.Version | Should -Be 3
            $info.FileSize | Should -Be (Get-Item $Stories).Length
            $info.BitsPerWeight | Should -Be 32
            $info.EmbeddingLength | Should -Be 64
            $info.BlockCount | Should -Be 5
            $info.HeadCount | Should -Be 8
            $info.HeadCountKv | Should -Be 4
            $info.VocabularySize | Should -Be 512
            $info.TokenizerModel | Should -Be 'llama'
        }

        It 'indexes metadata by key and enumerates it in file order' {
            $info.Metadata['general.architecture'] | Should -Be 'llama'
            @($info.Metadata)[0].Key | Should -Be 'tokenizer.ggml.tokens'
            @($info.Metadata).Count | Should -Be 19
        }

        It 'shows arrays as a summary and decodes them on access' {
            $tokens = $info.Metadata | Where-Object Key -eq 'tokenizer.ggml.tokens'
            $tokens.DisplayValue | Should -Be '[string × 512]'
            $tokens.Count | Should -Be 512
            $info.Metadata['tokenizer.ggml.tokens'].Count | Should -Be 512
        }

        It 'names the file type' {
            (Get-GgufInfo $TinyRandom).FileType | Should -Be 'MOSTLY_F16'
        }

        It 'renders the default table with the seed columns' {
            $text = $info | Format-Table | Out-String
            $text | Should -Match 'FileName\s+Architecture\s+FileType\s+Params\s+Size\s+BPW'
            $text | Should -Match 'stories260K\.gguf\s+llama'
            $text | Should -Match '32\.00'
        }

        It 'renders a list view of the hyperparameters' {
            $text = $info | Format-List | Out-String
            $text | Should -Match 'EmbeddingLength\s*:\s*64'
            $text | Should -Match 'HeadCountKv\s*:\s*4'
        }
    }

    Context 'tensors and metadata' {
        It 'outputs tensors with -Tensors' {
            $tensors = Get-GgufInfo $Stories -Tensors
            $tensors.Count | Should -Be 48
            $tensors[0] | Should -BeOfType ([GgufPs.GgufTensorInfo])
            $embd = $tensors | Where-Object Name -eq 'token_embd.weight'
            $embd.TypeName | Should -Be 'F32'
            $embd.Shape | Should -Be @(64, 512)
            $embd.ByteSize | Should -Be (64 * 512 * 4)
            ($tensors | Format-Table | Out-String) | Should -Match 'token_embd\.weight\s+F32\s+\[64, 512\]'
        }

        It 'outputs metadata entries with -Metadata, filterable by key' {
            $entries = Get-GgufInfo $Stories -Metadata | Where-Object Key -like 'tokenizer.*'
            $entries.Key | Should -Contain 'tokenizer.ggml.model'
            ($entries | Format-Table | Out-String) | Should -Match '\[string × 512\]'
        }

        It 'refuses -Tensors with -Metadata' {
            { Get-GgufInfo $Stories -Tensors -Metadata -ErrorAction Stop } | Should -Throw '*not both*'
        }
    }

    Context 'pipeline input' {
        It 'takes files from Get-ChildItem' {
            $all = Get-ChildItem $Fixtures -Recurse -Filter *.gguf | Get-GgufInfo
            $all.Count | Should -Be (Get-ChildItem $Fixtures -Recurse -Filter *.gguf).Count
        }

        It 'takes strings by value' {
            ($Stories, $TinyRandom | Get-GgufInfo).FileName | Should -Be @('stories260K.gguf', 'llama-2-tiny-random.gguf')
        }

        It 'takes objects by their Path property' {
            (Get-GgufInfo $Stories | Get-GgufInfo).FileName | Should -Be 'stories260K.gguf'
        }

        It 'takes objects by their FullName property' {
            ([pscustomobject]@{ FullName = $Stories } | Get-GgufInfo).FileName | Should -Be 'stories260K.gguf'
        }

        It 'expands wildcards in -Path' {
            (Get-GgufInfo (Join-Path $Fixtures 'models/*/*.gguf')).Count | Should -Be 2
        }

        It 'takes -LiteralPath without expanding wildcards' {
            $odd = Join-Path $scratch 'model[1].gguf'
            Copy-Item -LiteralPath $Stories -Destination $odd
            (Get-GgufInfo -LiteralPath $odd).FileName | Should -Be 'model[1].gguf'
            (Get-GgufInfo $odd).FileName | Should -Be 'model[1].gguf'
        }
    }

    Context 'errors' {
        It 'reports a missing file as ObjectNotFound' {
            Get-GgufInfo (Join-Path $scratch 'missing.gguf') -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -BeLike '*missing.gguf'
        }

        It 'reports a non-GGUF file as InvalidData naming the file and the problem' {
            $text = Join-Path $scratch 'notes.gguf'
            Set-Content $text 'this is not a model'
            Get-GgufInfo $text -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $text
            $err[0].Exception.Message | Should -Match 'notes\.gguf.*magic'
        }

        It 'reports a truncated file as InvalidData' {
            $cut = Join-Path $scratch 'cut.gguf'
            $bytes = [IO.File]::ReadAllBytes($Stories)
            [IO.File]::WriteAllBytes($cut, $bytes[0..999])
            Get-GgufInfo $cut -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].Exception.Message | Should -Match 'truncated'
        }

        It 'keeps going after a bad file' {
            $bad = Join-Path $scratch 'bad.gguf'
            Set-Content $bad 'nope'
            $out = $bad, $Stories, (Join-Path $scratch 'missing.gguf'), $TinyRandom | Get-GgufInfo -ErrorVariable err -ErrorAction SilentlyContinue
            $out.FileName | Should -Be @('stories260K.gguf', 'llama-2-tiny-random.gguf')
            $err.Count | Should -Be 2
        }

        It 'reports a folder as InvalidArgument' {
            Get-GgufInfo $scratch -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'never modifies the file it reads' {
            $before = (Get-FileHash $Stories).Hash
            Get-GgufInfo $Stories | Out-Null
            (Get-FileHash $Stories).Hash | Should -Be $before
        }
    }
}
