#requires -Version 7.4
<#
.SYNOPSIS
    The README's first command: the seed's workflow on the bundled stories260K model, in GgufPs commands.
.DESCRIPTION
    Converts karpathy's stories260K llama2.c checkpoint to GGUF with Convert-Model, shows it with Get-GgufInfo, asks
    Get-GgufQuantizationType which types fit its tensor shapes, compares those with Compare-Quantization on held-out
    TinyStories text (perplexity, KL divergence, size, RAM, speed), and ends with a recommendation drawn from the
    table. Every command is printed as it is run, from the repository root, so it can be typed again.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $FixturePath,
    # Where the converted model and the comparison's CSV go.
    [string] $WorkPath
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath -Force

$clock = [Diagnostics.Stopwatch]::StartNew()
$root = Split-Path (Split-Path (Resolve-Path $FixturePath).Path)
if (-not $WorkPath) { $WorkPath = Join-Path $root 'out/demo' }
New-Item -ItemType Directory -Path $WorkPath -Force | Out-Null
Push-Location $root
try {
    # Paths as the user would type them from the repository root.
    $work = [IO.Path]::GetRelativePath($root, (Resolve-Path $WorkPath).Path) -replace '\\', '/'
    $work = if ($work.StartsWith('.')) { $work } else { "./$work" }
    $model = "$work/stories260K.gguf"
    $text = './tests/fixtures/text/tinystories_heldout.txt'

    function Show-Command([string] $Command) {
        Write-Host ''
        Write-Host "PS> $Command"
    }

    Write-Host 'GgufPs demo: the seed''s workflow (convert, inspect, compare quantizations, choose) on karpathy''s'
    Write-Host 'stories260K, a 260K-parameter llama trained on TinyStories, measured on held-out TinyStories text.'

    Show-Command "Convert-Model ./tests/fixtures/models/stories260K/stories260K.bin -OutType F32 -OutputPath $model -Force | Format-Table"
    Convert-Model ./tests/fixtures/models/stories260K/stories260K.bin -OutType F32 -OutputPath $model -Force | Format-Table | Out-Host
    $same = (Get-FileHash $model).Hash -eq (Get-FileHash ./tests/fixtures/models/stories260K/stories260K.gguf).Hash
    Write-Host "Byte-identical to the stories260K.gguf llama.cpp's convert-llama2c-to-ggml wrote: $same"

    Show-Command "Get-GgufInfo $model | Format-List"
    Get-GgufInfo $model | Format-List | Out-Host

    Show-Command "Get-GgufQuantizationType -Path $model | Format-Table"
    $estimates = Get-GgufQuantizationType -Path $model
    $estimates | Format-Table | Out-Host

    # The seed compares Q8_0 down to Q2_K; on this model only the types whose blocks fit its rows mean anything.
    $fitting = $estimates | Where-Object { $_.Fits -and $_.Type -notin 'F32', 'BF16' } | Sort-Object FileSize -Descending
    $types = @($fitting.Type)
    $left = @($estimates | Where-Object { -not $_.Fits })
    Write-Host ("stories260K's rows are 64 wide (172 in ffn_down): the {0} types with blocks of 256 (the K-quant" -f $left.Count)
    Write-Host 'mixes, IQ4_XS, TQ1_0, TQ2_0) would mostly fall back to other types, so they are left out. Compared'
    Write-Host "are the types that fit, largest first: $($types -join ', ')."
    Write-Host 'The fallbacks that remain (ffn_down''s 172-wide rows fit no block type) are announced as warnings.'

    Show-Command "`$rows = Compare-Quantization $model -TextPath $text -Context 128 -Chunks 40 -Type $($types -join ',')"
    $rows = Compare-Quantization $model -TextPath $text -Context 128 -Chunks 40 -Type $types
    Show-Command '$rows | Format-Table'
    $rows | Format-Table | Out-Host

    Show-Command "`$rows | Export-Csv $work/comparison.csv"
    $rows | Export-Csv "$work/comparison.csv"

    # The recommendation, from the table: the smallest file rated good or better, as the seed recommends Q4_K_M.
    $quantized = @($rows | Where-Object { -not $_.IsBaseline })
    $best = $quantized | Where-Object Quality -in 'NearLossless', 'Good' | Sort-Object FileSize | Select-Object -First 1
    $exact = $quantized | Where-Object Quality -eq 'NearLossless' | Sort-Object FileSize | Select-Object -First 1
    $noticeable = @($quantized | Where-Object Quality -eq 'Noticeable' | ForEach-Object Type)
    $poor = @($quantized | Where-Object Quality -eq 'Poor' | ForEach-Object Type)
    Write-Host ''
    if ($best) {
        Write-Host ("Recommended: {0} ({1:+0.00;-0.00}% perplexity, KLD {2:F4}, {3:N0} KB, {4:N2} bits per weight): the smallest rated good or better." -f
            $best.Type, $best.Delta, $best.KLD, ($best.FileSize / 1e3), $best.BitsPerWeight)
    } else {
        Write-Host 'Recommended: none of these loses little enough; keep the source.'
    }
    if ($exact) {
        Write-Host ("For technical work: {0}, near-lossless ({1:+0.00;-0.00}% perplexity, KLD {2:F4})." -f $exact.Type, $exact.Delta, $exact.KLD)
    }
    if ($noticeable) { Write-Host "Noticeable loss: $($noticeable -join ', ')." }
    Write-Host ('Not recommended (poor): ' + $(if ($poor) { $poor -join ', ' } else { 'none of these' }) + '.')
    Write-Host ''
    Write-Host ("Demo finished in {0:N1} s." -f $clock.Elapsed.TotalSeconds)
} finally {
    Pop-Location
}
