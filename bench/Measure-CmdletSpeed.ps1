#requires -Version 7.4
<#
.SYNOPSIS
    Times the cmdlets in-process, warm, as a user sees them.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkPath
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$model = Join-Path $WorkPath 'bench-llama-f16.gguf'
if (-not (Test-Path $model)) {
    Write-Host "Skipping the cmdlet timings: $model is made by the 'info' benchmark."
    return
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
