#requires -Version 7.4
<#
.SYNOPSIS
    The README's first command: shows GgufPs on the bundled tiny models.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $FixturePath
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $ModulePath -Force

function Show-Step([string] $Command) {
    Write-Host ''
    Write-Host "PS> $Command"
    Invoke-Expression $Command | Out-Host
}

$stories = Join-Path $FixturePath 'models/stories260K/stories260K.gguf'
Show-Step "Get-ChildItem '$FixturePath' -Recurse -Filter *.gguf | Get-GgufInfo | Sort-Object FileSize | Format-Table"
Show-Step "Get-GgufInfo '$stories' | Format-List"
Show-Step "Get-GgufInfo '$stories' -Tensors | Select-Object -First 6 | Format-Table"
Show-Step "Get-GgufInfo '$stories' -Metadata | Where-Object Key -like 'tokenizer.*' | Format-Table"
