BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-pester-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    function New-Copy([string] $Name) {
        $path = Join-Path $scratch $Name
        Copy-Item $Stories $path -Force
        $path
    }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Set-GgufMetadata' {
    It 'edits a same-size value in place and returns the model' {
        $path = New-Copy 'inplace.gguf'
        $size = (Get-Item $path).Length
        $info = Set-GgufMetadata -Path $path -Set @{ 'llama.context_length' = 4096 } -Force
        $info | Should -BeOfType ([GgufPs.GgufModelInfo])
        $info.ContextLength | Should -Be 4096
        (Get-Item $path).Length | Should -Be $size
    }

    It 'takes values PowerShell wraps, and arrays as arrays of their elements'' type' {
        $path = New-Copy 'wrapped.gguf'
        $wrapped = Write-Output 5
        $info = Set-GgufMetadata $path -Set @{ 'custom.count' = $wrapped; 'custom.names' = @('a', (Write-Output 'b')); 'custom.sizes' = @(1, 2, 3) } -OutputPath (Join-Path $scratch 'wrapped-out.gguf')
        $info.Metadata['custom.count'] | Should -Be 5
        $entries = Get-GgufInfo $info.Path -Metadata
        ($entries | Where-Object Key -eq 'custom.names').Value | Should -Be @('a', 'b')
        ($entries | Where-Object Key -eq 'custom.names').DisplayValue | Should -Match 'string'
        ($entries | Where-Object Key -eq 'custom.sizes').Value | Should -Be @(1, 2, 3)
        ($entries | Where-Object Key -eq 'custom.sizes').DisplayValue | Should -Match 'i32'
    }

    It 'shows a bar while it copies the tensors, and completes it' {
        $path = New-Copy 'progress.gguf'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $ModulePath).AddStatement()
            $null = $ps.AddCommand('Set-GgufMetadata').AddParameter('Path', $path).AddParameter('Set', @{ 'general.name' = 'a much longer name than the one before' }).
                AddParameter('OutputPath', (Join-Path $scratch 'progress-out.gguf'))
            $ps.Invoke() | Should -HaveCount 1
            $bars = @($ps.Streams.Progress | Where-Object Activity -eq 'Set-GgufMetadata')
            $bars | Should -Not -BeNullOrEmpty
            $bars[-1].RecordType | Should -Be 'Completed'
        } finally {
            $ps.Dispose()
        }
    }

    It 'writes a copy with -OutputPath and leaves the input untouched' {
        $path = New-Copy 'source.gguf'
        $hash = (Get-FileHash $path).Hash
        $out = Join-Path $scratch 'renamed.gguf'
        $info = Set-GgufMetadata $path -Set @{ 'general.name' = 'my tiny stories'; 'custom.rating' = 5 } -OutputPath $out
        $info.Name | Should -Be 'my tiny stories'
        $info.Metadata['custom.rating'] | Should -Be 5
        (Get-FileHash $path).Hash | Should -Be $hash
        (Get-GgufInfo $out -Tensors).Count | Should -Be 48
    }

    It 'refuses a layout change in place without -Force, and does it through a temporary copy with -Force' {
        $path = New-Copy 'layout.gguf'
        $hash = (Get-FileHash $path).Hash
        Set-GgufMetadata $path -Set @{ 'general.name' = 'a longer name than before' } -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LayoutChange*'
        $err[0].Exception.Message | Should -Match '-OutputPath'
        (Get-FileHash $path).Hash | Should -Be $hash

        (Set-GgufMetadata $path -Set @{ 'general.name' = 'a longer name than before' } -Force).Name | Should -Be 'a longer name than before'
        Get-ChildItem $scratch -Filter 'layout.gguf.tmp-*' | Should -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        $path = New-Copy 'whatif.gguf'
        $hash = (Get-FileHash $path).Hash
        $out = Join-Path $scratch 'whatif-out.gguf'
        Set-GgufMetadata $path -Set @{ 'general.name' = 'x' } -OutputPath $out -WhatIf
        Set-GgufMetadata $path -Set @{ 'llama.context_length' = 1024 } -WhatIf -Force
        Test-Path $out | Should -BeFalse
        (Get-FileHash $path).Hash | Should -Be $hash
    }

    It 'asks before touching a key llama.cpp needs, unless -Force' {
        $path = New-Copy 'required.gguf'
        $hash = (Get-FileHash $path).Hash
        { Set-GgufMetadata $path -Remove 'llama.context_length' -OutputPath (Join-Path $scratch 'r.gguf') -ErrorAction Stop } | Should -Throw
        (Get-FileHash $path).Hash | Should -Be $hash
        $info = Set-GgufMetadata $path -Remove 'tokenizer.ggml.seperator_token_id' -OutputPath (Join-Path $scratch 'r2.gguf') -Force
        $info.Metadata.ContainsKey('tokenizer.ggml.seperator_token_id') | Should -BeFalse
    }

    It 'refuses to replace an existing output without -Force' {
        $path = New-Copy 'exists-src.gguf'
        $out = New-Copy 'exists-out.gguf'
        Set-GgufMetadata $path -Set @{ 'general.name' = 'x' } -OutputPath $out -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'reports a value of the wrong type as InvalidArgument' {
        $path = New-Copy 'badvalue.gguf'
        Set-GgufMetadata $path -Set @{ 'general.name' = 'ok'; 'llama.block_count' = 'five' } -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'llama.block_count'
    }

    It 'takes models from the pipeline' {
        $path = New-Copy 'pipe.gguf'
        (Get-GgufInfo $path | Set-GgufMetadata -Set @{ 'llama.context_length' = 1024 } -Force).ContextLength | Should -Be 1024
        (Get-Item $path | Set-GgufMetadata -Set @{ 'llama.context_length' = 2048 } -Force).ContextLength | Should -Be 2048
    }

    It 'reports a missing file as ObjectNotFound' {
        Set-GgufMetadata (Join-Path $scratch 'none.gguf') -Set @{ a = 1 } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
