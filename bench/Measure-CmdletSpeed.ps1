#requires -Version 7.4
<#
.SYNOPSIS
    Times the cmdlets in-process, as a user sees them: Get-GgufInfo warm, and Measure-Perplexity's first call in a
    fresh session (module, JIT and all) against a second call in the same session.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkPath,
    [string] $TextPath = (Join-Path $PSScriptRoot '../tests/fixtures/text/tinystories_heldout.txt'),
    [int] $Chunks = 4,
    [int] $Threads = 2
)

$ErrorActionPreference = 'Stop'
$clock = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath -Force
$importSeconds = $clock.Elapsed.TotalSeconds
$model = Join-Path $WorkPath 'bench-llama-f16.gguf'
if (-not (Test-Path $model)) {
    Write-Host "Skipping the cmdlet timings: $model is made by the 'info' benchmark."
    return
}

# A cold call first: this session has not run the module's inference yet.
$q8 = Join-Path $WorkPath 'bench-llama-q8_0.gguf'
if ((Test-Path $q8) -and (Test-Path $TextPath)) {
    $process = [Diagnostics.Process]::GetCurrentProcess()
    foreach ($call in 'first call in this session', 'second call') {
        $process.Refresh()
        $cpu = $process.TotalProcessorTime
        $clock.Restart()
        $result = Measure-Perplexity $q8 -TextPath $TextPath -Context 512 -Chunks $Chunks -Threads $Threads
        $wall = $clock.Elapsed.TotalSeconds
        $process.Refresh()
        Write-Host ('Measure-Perplexity {0}, {1} chunks, {2} threads ({3}): {4:N2} s wall, {5:N2} s CPU, {6:N1} tok/s over the call; its TokensPerSecond {7:N1} (chunks only); PPL {8:N4}' -f
            (Split-Path $q8 -Leaf), $result.Chunks, $Threads, $call, $wall, ($process.TotalProcessorTime - $cpu).TotalSeconds,
            ($result.Chunks * 512 / $wall), $result.TokensPerSecond, $result.Perplexity)
    }
    Write-Host ('(Import-Module took {0:N2} s; load average {1})' -f $importSeconds, ((Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ')[0])
}

function Get-MedianMilliseconds([scriptblock] $Action, [int] $Runs = 30) {
    1..5 | ForEach-Object { & $Action | Out-Null }
    $times = foreach ($i in 1..$Runs) { (Measure-Command { & $Action | Out-Null }).TotalMilliseconds }
    ($times | Sort-Object)[[int]($Runs / 2)]
}

$info = Get-GgufInfo $model
$ms = Get-MedianMilliseconds { Get-GgufInfo $model }
Write-Host ''
Write-Host ("Get-GgufInfo {0} ({1:N0} MB, vocabulary {2}): median {3:N2} ms warm, in-process" -f $info.FileName, ($info.FileSize / 1e6), $info.VocabularySize, $ms)
