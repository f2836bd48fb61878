#requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, documents and benchmarks GgufPs.
.DESCRIPTION
    Build  compiles the module into out/GgufPs (importable with Import-Module ./out/GgufPs), including its MAML help.
    Test   builds, runs the xunit tests and then the Pester tests, prints "N passed, N failed, N skipped" and exits
           non-zero on any failure.
    TestTiers  runs the inference and evaluation xunit tests again with .NET told to leave out instruction sets, so
           that the kernels of every tier run here: AVX2 without AVX-512, AVX-VNNI or GFNI, AVX-512 without AVX-VNNI, and
           Vector128 only (no AVX2, as on ARM64). Prints the time and counts of each; exits non-zero on any failure.
    Help   turns docs/help into out/GgufPs/en-US (part of Build).
    Bench  runs the benchmarks in bench/GgufPs.Bench against llama.cpp on this machine: against the llama.cpp build in
           -LlamaCppPath when given (its llama-perplexity runs as a user runs it), else against the NuGet oracle.
           -BenchArgs profile prints where a perplexity chunk's time goes; -BenchArgs generation compares tg64 with
           llama-bench (give -LlamaCppPath), -BenchArgs gemv,--threads,1 times the batch-1 products alone, and
           -BenchArgs decode prints where a decode step's time goes.
    Demo   builds and runs the seed's workflow on the bundled tiny models.
    Clean  removes out/ and every bin/ and obj/.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'TestTiers', 'Help', 'Bench', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Passed to the benchmark program, e.g. -BenchArgs info, -BenchArgs quantize,--types,Q4_K_M or
    # -BenchArgs perplexity,--models,320M,--chunks,8,--rounds,2.
    [string[]] $BenchArgs = @(),

    # A folder holding a llama.cpp build (llama-perplexity, llama-bench, ...): the benchmark compares against it.
    [string] $LlamaCppPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$env:NO_COLOR = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'GgufPs'

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    Write-Host "> $Command $($Arguments -join ' ')"
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command exited with code $LASTEXITCODE." }
}

# Runs a script in a fresh pwsh process, so modules it imports do not stay loaded in this one.
function Invoke-ChildPwsh {
    param([string] $File, [string[]] $Arguments)
    $dotnet = [Environment]::ProcessPath
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    if ((Split-Path $dotnet -Leaf) -like 'pwsh*') {
        Invoke-Native $dotnet (@('-NoProfile', '-NonInteractive', '-File', $File) + $Arguments)
    } else {
        Invoke-Native $dotnet (@($pwshDll, '-NoProfile', '-NonInteractive', '-File', $File) + $Arguments)
    }
}

function Test-ScriptSyntax {
    $files = Get-ChildItem $Root -Recurse -File -Include *.ps1, *.psd1, *.psm1 |
        Where-Object { $_.FullName -notmatch '[\\/](out|bin|obj|TestResults)[\\/]' }
    $bad = 0
    foreach ($file in $files) {
        $tokens = $null; $errors = $null
        [void][System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$tokens, [ref]$errors)
        foreach ($e in $errors) {
            Write-Host "$($file.FullName):$($e.Extent.StartLineNumber):$($e.Extent.StartColumnNumber): $($e.Message)"
            $bad++
        }
    }
    if ($bad) { throw "$bad PowerShell syntax error(s)." }
    Write-Host "Parsed $($files.Count) PowerShell files: no syntax errors."
}

function Invoke-Build {
    Test-ScriptSyntax
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/GgufPs/GgufPs.csproj'), '-c', $Configuration, '-nologo', '-clp:NoSummary')
    $bin = Join-Path $Root "src/GgufPs/bin/$Configuration/net10.0"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleOut | Out-Null
    Copy-Item (Join-Path $bin '*.dll') $ModuleOut
    Copy-Item (Join-Path $bin 'GgufPs.deps.json') $ModuleOut
    Copy-Item (Join-Path $bin 'GgufPs.Format.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'GgufPs.psd1') $ModuleOut
    Invoke-Help
    Write-Host "Module: $ModuleOut"
}

function Invoke-Help {
    Invoke-ChildPwsh (Join-Path $Root 'build/New-ModuleHelp.ps1') @(
        '-ModulePath', $ModuleOut,
        '-DocsPath', (Join-Path $Root 'docs/help'),
        '-OutputPath', (Join-Path $ModuleOut 'en-US'))
}

function Get-PesterModulePath {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/pester/Pester.Restore.csproj'), '-nologo', '-v', 'q')
    $line = (& dotnet nuget locals global-packages --list) | Select-Object -First 1
    $packages = ($line -replace '^\s*global-packages:\s*', '').Trim()
    $psd1 = Join-Path $packages 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $psd1)) { throw "Pester was not found at $psd1 after restore." }
    $psd1
}

function Read-TrxCounts {
    param([string] $Directory)
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $Directory -Filter *.trx -ErrorAction SilentlyContinue) {
        $run = ([xml](Get-Content $trx.FullName -Raw)).TestRun
        $counters = $run.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        # VSTest leaves the notExecuted counter at 0 for xunit's skipped tests: count their results instead.
        $skipped += @($run.Results.UnitTestResult | Where-Object { $_.outcome -eq 'NotExecuted' }).Count
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $Out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }

    $xunitFailed = $false
    try {
        Invoke-Native dotnet @('test', (Join-Path $Root 'tests/GgufPs.Core.Tests/GgufPs.Core.Tests.csproj'),
            '-c', $Configuration, '-nologo', '--logger', 'trx;LogFileName=core.trx', '--logger', 'console;verbosity=normal',
            '--results-directory', $results)
    } catch {
        Write-Host $_.Exception.Message
        $xunitFailed = $true
    }
    $xunit = Read-TrxCounts $results
    if ($xunitFailed -and $xunit.Failed -eq 0) { $xunit.Failed = 1 }  # a build or host failure counts as a failure

    $pester = Get-PesterModulePath
    $summary = Join-Path $results 'pester-summary.json'
    Invoke-ChildPwsh (Join-Path $Root 'build/Invoke-PesterTests.ps1') @(
        '-PesterPath', $pester, '-ModulePath', $ModuleOut, '-TestPath', (Join-Path $Root 'tests/Pester'), '-SummaryPath', $summary) -ErrorAction Continue
    $p = if (Test-Path $summary) { Get-Content $summary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }

    $passed = $xunit.Passed + $p.Passed
    $failed = $xunit.Failed + $p.Failed
    $skipped = $xunit.Skipped + $p.Skipped
    Write-Host ''
    Write-Host "xunit:  $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped"
    Write-Host "Pester: $($p.Passed) passed, $($p.Failed) failed, $($p.Skipped) skipped"
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-TestTiers {
    $project = Join-Path $Root 'tests/GgufPs.Core.Tests/GgufPs.Core.Tests.csproj'
    Invoke-Native dotnet @('build', $project, '-c', $Configuration, '-nologo', '-clp:NoSummary')
    # Of the real model, the oracle comparisons of Q8_0 and Q4_K_M (the two integer kernels); the float kernels run on
    # the synthetic F32, F16 and BF16 models of the evaluation tests. Greedy decoding runs the batch-1 kernels.
    $filter = 'FullyQualifiedName~GgufPs.Tests.Inference|FullyQualifiedName~GgufPs.Tests.Evaluation|' +
        '(FullyQualifiedName~TinyStories3mTests.PerplexityIsTheOraclesOverEveryChunk&(DisplayName~Q8_0|DisplayName~Q4_K_M))|' +
        'FullyQualifiedName~GenerationOracleTests.GreedyDecodingIsLlamaCpps'
    $tiers = [ordered]@{
        'AVX2 and FMA (no AVX-512, AVX-VNNI, GFNI)' = @{ DOTNET_EnableAVX512 = '0'; DOTNET_EnableAVXVNNI = '0'; DOTNET_EnableGFNI = '0' }
        'AVX-512 without AVX-VNNI'                   = @{ DOTNET_EnableAVXVNNI = '0' }
        'Vector128 (no AVX2)'                        = @{ DOTNET_EnableAVX2 = '0' }
    }
    $failed = 0
    $lines = @()
    $i = 0
    foreach ($tier in $tiers.GetEnumerator()) {
        $i++
        $results = Join-Path $Out "test-results-tier$i"
        if (Test-Path $results) { Remove-Item $results -Recurse -Force }
        foreach ($name in $tier.Value.Keys) { Set-Item "env:$name" $tier.Value[$name] }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        try {
            Write-Host "== $($tier.Key): $(($tier.Value.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' ')"
            Invoke-Native dotnet @('test', $project, '-c', $Configuration, '--no-build', '-nologo', '--filter', $filter,
                '--logger', 'trx;LogFileName=tier.trx', '--results-directory', $results)
        } catch {
            Write-Host $_.Exception.Message
        } finally {
            foreach ($name in $tier.Value.Keys) { Remove-Item "env:$name" }
        }
        $counts = Read-TrxCounts $results
        if ($counts.Passed -eq 0 -and $counts.Failed -eq 0) { $counts.Failed = 1 }  # a host failure counts as a failure
        $failed += $counts.Failed
        $lines += '{0}: {1} passed, {2} failed, {3} skipped in {4:N0} s' -f $tier.Key, $counts.Passed, $counts.Failed, $counts.Skipped, $clock.Elapsed.TotalSeconds
    }
    Write-Host ''
    $lines | ForEach-Object { Write-Host $_ }
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Bench {
    Invoke-Build
    $project = Join-Path $Root 'bench/GgufPs.Bench/GgufPs.Bench.csproj'
    Invoke-Native dotnet @('build', $project, '-c', 'Release', '-nologo', '-clp:NoSummary')
    $exe = Join-Path $Root 'bench/GgufPs.Bench/bin/Release/net10.0/GgufPs.Bench.dll'
    # pwsh -File passes 'quantize,--types,Q4_K_M,Q6_K' as one string: split it into the program's arguments.
    $arguments = @($BenchArgs | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
    if ($LlamaCppPath) {
        if (-not (Test-Path -LiteralPath $LlamaCppPath -PathType Container)) { throw "-LlamaCppPath '$LlamaCppPath' is not a folder." }
        $arguments += @('--llama-cpp', (Resolve-Path -LiteralPath $LlamaCppPath).ProviderPath)
    }
    Invoke-Native dotnet (@($exe, '--work', (Join-Path $Out 'bench')) + $arguments)
    Invoke-ChildPwsh (Join-Path $Root 'bench/Measure-CmdletSpeed.ps1') @('-ModulePath', $ModuleOut, '-WorkPath', (Join-Path $Out 'bench'))
}

function Invoke-Demo {
    Invoke-Build
    Invoke-ChildPwsh (Join-Path $Root 'build/Invoke-Demo.ps1') @('-ModulePath', $ModuleOut, '-FixturePath', (Join-Path $Root 'tests/fixtures'),
        '-WorkPath', (Join-Path $Out 'demo'))
}

function Invoke-Clean {
    if (Test-Path $Out) { Remove-Item $Out -Recurse -Force }
    Get-ChildItem $Root -Recurse -Directory -Include bin, obj |
        Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' } |
        Remove-Item -Recurse -Force
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'TestTiers' { Invoke-TestTiers }
        'Help' { Invoke-Help }
        'Bench' { Invoke-Bench }
        'Demo' { Invoke-Demo }
        'Clean' { Invoke-Clean }
    }
} finally {
    Pop-Location
}
