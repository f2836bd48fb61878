# Save-HfModel, Get-HfModelFile and Find-HfModel against the stand-in Hub (tests/GgufPs.HubStandIn) started as a
# process on loopback, serving the tinystories-3m checkpoint and GGUF fixtures.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-hub-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null

    # The checkpoint as the Hub holds it: the fixture's weights are stored gzipped, the repository has them plain.
    $tinystories = Join-Path $scratch 'repos/tinystories-3m'
    New-Item -ItemType Directory -Path $tinystories -Force | Out-Null
    Get-ChildItem (Join-Path $Fixtures 'models/tinystories-3m-hf') -File | Where-Object Name -ne 'model.safetensors.gz' | Copy-Item -Destination $tinystories
    $gz = [IO.File]::OpenRead((Join-Path $Fixtures 'models/tinystories-3m-hf/model.safetensors.gz'))
    try {
        $unzip = [IO.Compression.GZipStream]::new($gz, [IO.Compression.CompressionMode]::Decompress)
        $plain = [IO.File]::Create((Join-Path $tinystories 'model.safetensors'))
        try { $unzip.CopyTo($plain) } finally { $plain.Dispose(); $unzip.Dispose() }
    } finally { $gz.Dispose() }

    $ggufRepo = Join-Path $scratch 'repos/tiny-gguf'
    New-Item -ItemType Directory -Path $ggufRepo | Out-Null
    Copy-Item $Stories (Join-Path $ggufRepo 'stories260K.F32.gguf')
    Copy-Item $TinyRandom (Join-Path $ggufRepo 'llama-2-tiny-random.F16.gguf')
    Set-Content (Join-Path $ggufRepo 'README.md') '# tiny GGUF models' -NoNewline

    $config = Join-Path $scratch 'standin.json'
    @{
        repositories = @(
            @{ id = 'test-org/tinystories-3m'; folder = $tinystories; downloads = 50; likes = 3; tags = @('safetensors', 'text-generation') }
            @{ id = 'test-org/tiny-GGUF'; folder = $ggufRepo; downloads = 900; likes = 7; tags = @('gguf', 'text-generation')
               gguf = @{ architecture = 'llama'; contextLength = 128; total = 292928 } }
            @{ id = 'test-org/gated-GGUF'; folder = $ggufRepo; gated = $true; grantedTokens = @('hf_granted'); tags = @('gguf') }
        )
    } | ConvertTo-Json -Depth 5 | Set-Content $config

    $standIn = Join-Path $root 'tests/GgufPs.HubStandIn/bin/Release/net10.0/GgufPs.HubStandIn.dll'
    if (-not (Test-Path $standIn)) {
        & dotnet build (Join-Path $root 'tests/GgufPs.HubStandIn/GgufPs.HubStandIn.csproj') -c Release -nologo -v q | Out-Null
    }
    $urls = Join-Path $scratch 'urls.json'
    $server = Start-Process -FilePath 'dotnet' -ArgumentList @($standIn, '--config', $config, '--urls-file', $urls, '--parent-pid', $PID) -PassThru `
        -RedirectStandardOutput (Join-Path $scratch 'standin.out') -RedirectStandardError (Join-Path $scratch 'standin.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path $urls) -and [DateTime]::UtcNow -lt $deadline -and -not $server.HasExited) { Start-Sleep -Milliseconds 100 }
    if (-not (Test-Path $urls)) { throw "The stand-in Hub did not start: $(Get-Content (Join-Path $scratch 'standin.err') -Raw)" }
    $hub = (Get-Content $urls -Raw | ConvertFrom-Json).hub

    $savedEnvironment = @{}
    foreach ($name in 'HF_ENDPOINT', 'HF_HOME', 'HF_TOKEN', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN_PATH') {
        $savedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    $env:HF_ENDPOINT = $hub
    $env:HF_HOME = Join-Path $scratch 'hf-home'
}

AfterAll {
    foreach ($name in $savedEnvironment.Keys) { [Environment]::SetEnvironmentVariable($name, $savedEnvironment[$name]) }
    if ($server -and -not $server.HasExited) { Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue }
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Save-HfModel' {
    It 'downloads a checkpoint into a folder that Convert-Model turns into GGUF' {
        $output = Join-Path $scratch 'models/tinystories'
        $folder = Save-HfModel test-org/tinystories-3m -OutputPath $output
        $folder | Should -BeOfType ([IO.DirectoryInfo])
        $folder.FullName | Should -Be $output
        $folder.Repository | Should -Be 'test-org/tinystories-3m'
        $folder.CommitHash | Should -Match '^[0-9a-f]{40}$'
        (Get-FileHash (Join-Path $output 'model.safetensors')).Hash | Should -Be (Get-FileHash (Join-Path $tinystories 'model.safetensors')).Hash
        Get-Content (Join-Path $output '.cache/huggingface/download/config.json.metadata') -TotalCount 1 | Should -Be $folder.CommitHash

        $info = $folder | Convert-Model -OutType F16 -OutputPath (Join-Path $scratch 'tinystories-F16.gguf') 3>$null
        $info.Architecture | Should -Be 'llama'
        $info.FileType | Should -Be 'MOSTLY_F16'
    }

    It 'pipes straight into Convert-Model, as the README shows' {
        $info = Save-HfModel test-org/tinystories-3m -OutputPath (Join-Path $scratch 'models/piped') | Convert-Model -OutType F16 3>$null
        $info.Path | Should -Be (Join-Path $scratch 'models/piped-F16.gguf')
        $info.TensorCount | Should -BeGreaterThan 0
    }

    It 'downloads one GGUF file into the shared cache and pipes it into Get-GgufInfo' {
        $file = Save-HfModel test-org/tiny-GGUF stories260K.F32.gguf
        $file | Should -BeOfType ([IO.FileInfo])
        $file.Repository | Should -Be 'test-org/tiny-GGUF'
        $cache = Join-Path $env:HF_HOME 'hub/models--test-org--tiny-GGUF'
        $file.FullName | Should -Be (Join-Path $cache "snapshots/$($file.CommitHash)/stories260K.F32.gguf")
        Get-Content (Join-Path $cache 'refs/main') -Raw | Should -Be $file.CommitHash
        if (-not $IsWindows) { (Get-Item $file.FullName).LinkTarget | Should -Match '^\.\./\.\./blobs/[0-9a-f]{64}$' }

        $info = Save-HfModel test-org/tiny-GGUF stories260K.F32.gguf | Get-GgufInfo
        $info.TensorCount | Should -Be 48
        $info.Architecture | Should -Be 'llama'
    }

    It 'skips files already downloaded' {
        $output = Join-Path $scratch 'models/again'
        $first = Save-HfModel test-org/tiny-GGUF README.md -OutputPath $output
        $written = $first.LastWriteTimeUtc
        Start-Sleep -Milliseconds 50
        $second = Save-HfModel test-org/tiny-GGUF README.md -OutputPath $output
        $second.LastWriteTimeUtc | Should -Be $written
        (Save-HfModel test-org/tiny-GGUF README.md -OutputPath $output -Force).LastWriteTimeUtc | Should -BeGreaterThan $written
    }

    It 'lists files, sizes and what is present with -WhatIf, and writes nothing' {
        $output = Join-Path $scratch 'models/whatif'
        Save-HfModel test-org/tiny-GGUF README.md -OutputPath $output | Out-Null
        $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $command = "`$env:HF_ENDPOINT='$hub'; Import-Module '$ModulePath'; Save-HfModel test-org/tiny-GGUF -OutputPath '$output' -WhatIf"
        $text = if (Test-Path $pwsh) { & $pwsh -NoProfile -NonInteractive -Command $command } else { & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $command }
        $text = $text -join "`n"
        $text | Should -Match 'stories260K\.F32\.gguf \(\d\.\d\d MB\)'
        $text | Should -Match 'Keep \(already present\).*README\.md|README\.md.*Keep \(already present\)'
        $text | Should -Match '"Download" on target "test-org/tiny-GGUF/llama-2-tiny-random\.F16\.gguf'
        Test-Path (Join-Path $output 'stories260K.F32.gguf') | Should -BeFalse
    }

    It 'gives each Hub error its category' {
        Save-HfModel nobody/nothing -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RepositoryNotFound*'
        $err[0].Exception.Message | Should -Match 'private'

        Save-HfModel test-org/gated-GGUF README.md -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err[0].Exception.Message | Should -Match 'licence'
        $err[0].Exception.Message | Should -Match 'HF_TOKEN'
        (Save-HfModel test-org/gated-GGUF README.md -Token hf_granted -OutputPath (Join-Path $scratch 'models/gated')).Name | Should -Be 'README.md'

        Save-HfModel test-org/tiny-GGUF missing.gguf -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EntryNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'

        Save-HfModel test-org/tiny-GGUF -Revision v9 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RevisionNotFound*'
    }

    It 'answers from the cache when offline, and says so when the files are not there' {
        Save-HfModel test-org/tiny-GGUF llama-2-tiny-random.F16.gguf | Out-Null
        $env:HF_HUB_OFFLINE = '1'
        try {
            $file = Save-HfModel test-org/tiny-GGUF llama-2-tiny-random.F16.gguf 3>$null
            $file.Name | Should -Be 'llama-2-tiny-random.F16.gguf'
            Save-HfModel test-org/tinystories-3m -ErrorVariable err -ErrorAction SilentlyContinue 3>$null | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'OfflineCacheMiss*'
            $err[0].Exception.Message | Should -Match 'HF_HUB_OFFLINE'
        } finally {
            $env:HF_HUB_OFFLINE = $null
        }
    }
}

Describe 'Get-HfModelFile' {
    It 'lists files with sizes, hashes and quantization types, and pipes into Save-HfModel' {
        $files = Get-HfModelFile test-org/tiny-GGUF
        $files.Path | Should -Be @('README.md', 'llama-2-tiny-random.F16.gguf', 'stories260K.F32.gguf')
        ($files | Where-Object Path -eq 'stories260K.F32.gguf').Size | Should -Be (Get-Item $Stories).Length
        ($files | Where-Object Path -eq 'stories260K.F32.gguf').Sha256 | Should -Be (Get-FileHash $Stories).Hash.ToLowerInvariant()
        $files.QuantizationType | Should -Be @($null, 'F16', 'F32')
        ($files | Where-Object IsLfs).Count | Should -Be 2

        $output = Join-Path $scratch 'models/picked'
        $saved = $files | Where-Object QuantizationType -eq F16 | Save-HfModel -OutputPath $output
        $saved | Should -BeOfType ([IO.FileInfo])
        $saved.FullName | Should -Be (Join-Path $output 'llama-2-tiny-random.F16.gguf')
        (Get-GgufInfo $saved.FullName).TensorCount | Should -Be 12
    }

    It 'reports a missing repository as ObjectNotFound' {
        Get-HfModelFile nobody/nothing -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Find-HfModel' {
    It 'finds models by tag with the GGUF summary, sorted by downloads' {
        $found = Find-HfModel -Filter gguf -Author test-org
        $found[0].Id | Should -Be 'test-org/tiny-GGUF'
        $found[0].Downloads | Should -Be 900
        $found[0].Architecture | Should -Be 'llama'
        $found[0].ContextLength | Should -Be 128
        $found.Id | Should -Contain 'test-org/gated-GGUF'
        ($found | Where-Object Id -eq 'test-org/gated-GGUF').Gated | Should -BeTrue
        (Find-HfModel tinystories).Id | Should -Be @('test-org/tinystories-3m')
        (Find-HfModel -Author test-org -First 1 -Sort Likes).Id | Should -Be 'test-org/tiny-GGUF'
    }

    It 'pipes into Get-HfModelFile' {
        (Find-HfModel tiny-GGUF | Get-HfModelFile).Count | Should -Be 3
    }
}
