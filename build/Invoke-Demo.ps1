#requires -Version 7.4
<#
.SYNOPSIS
    The README's first command: the seed's workflow on the bundled tinystories-3m model, in GgufPs commands.
.DESCRIPTION
    Converts the bundled Hugging Face checkpoint of tinystories-3m (a 3.4M-parameter llama trained on TinyStories,
    whose rows fit every K-quant) to GGUF with Convert-Model, shows it with Get-GgufInfo, lets it continue a story
    with Invoke-TextGeneration, compares the seed's quantization types with Compare-Quantization on the model's
    held-out text at llama-perplexity's settings (perplexity, KL divergence, size, RAM, generation speed, and a few
    words from each type), puts the perplexities beside those llama.cpp printed for the same
    model (tests/fixtures/models/tinystories-3m-hf/llama-cpp-reference.json, which the tests read too), and ends with
    a recommendation drawn from the table. Every command is printed as it is run, from the repository root, so it can
    be typed again, and paths in its output are shown relative to that root.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $FixturePath,
    # Where the unpacked checkpoint, the converted model and the comparison's CSV go.
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
    $checkpoint = "$work/tinystories-3m"
    $model = "$work/tinystories-3m-F16.gguf"
    $text = './tests/fixtures/text/tinystories-3m-heldout.txt'
    # What llama.cpp's converter, llama-quantize and llama-perplexity gave for this model: the types, the context
    # and the perplexities to compare with.
    $referencePath = './tests/fixtures/models/tinystories-3m-hf/llama-cpp-reference.json'
    $reference = Get-Content $referencePath -Raw | ConvertFrom-Json
    $llamaCpp = @{}
    foreach ($entry in $reference.types) { $llamaCpp[$entry.type] = $entry.perplexity }
    $types = @($reference.types.type | Where-Object { $_ -notin 'F32', 'F16' })
    $context = $reference.context

    function Show-Command([string] $Command) {
        Write-Host ''
        Write-Host "PS> $Command"
    }

    # Formatted output with the clone's root written as '.', as the commands above it are: the objects keep their
    # full paths, only the transcript is relative.
    $rootPrefix = $root.TrimEnd([IO.Path]::DirectorySeparatorChar) + [IO.Path]::DirectorySeparatorChar
    function Show-Output {
        Write-Host -NoNewline ($input | Out-String).Replace($rootPrefix, '.' + [IO.Path]::DirectorySeparatorChar)
    }

    Write-Host 'GgufPs demo: the seed''s workflow (convert, inspect, generate, compare quantizations, choose) on tinystories-3m,'
    Write-Host 'a 3.4M-parameter llama trained on TinyStories whose rows (256, 768) fit every K-quant, measured on its'
    Write-Host "held-out text as llama-perplexity -c $context measures it."

    # The fixture keeps the weights gzipped to stay small; a checkpoint folder is what Convert-Model reads.
    $source = './tests/fixtures/models/tinystories-3m-hf'
    New-Item -ItemType Directory -Path $checkpoint -Force | Out-Null
    Get-ChildItem $source -File | Where-Object Extension -ne '.gz' | Copy-Item -Destination $checkpoint -Force
    $packed = [IO.File]::OpenRead((Join-Path $source 'model.safetensors.gz'))
    try {
        $unpacked = [IO.File]::Create((Join-Path $checkpoint 'model.safetensors'))
        try {
            $gzip = [IO.Compression.GZipStream]::new($packed, [IO.Compression.CompressionMode]::Decompress)
            $gzip.CopyTo($unpacked)
        } finally { $unpacked.Dispose() }
    } finally { $packed.Dispose() }
    Write-Host ''
    Write-Host "(The bundled checkpoint was unpacked to $checkpoint.)"

    Show-Command "Convert-Model $checkpoint -OutType F16 -OutputPath $model -Force | Format-Table"
    Convert-Model $checkpoint -OutType F16 -OutputPath $model -Force | Format-Table | Show-Output

    Show-Command "Get-GgufInfo $model | Format-List"
    Get-GgufInfo $model | Format-List | Show-Output

    # The model writes: the text streams to the console as it is generated, then the result's summary.
    Show-Command "Invoke-TextGeneration $model -Prompt 'Once upon a time' -MaxTokens 60 -Seed 42"
    Invoke-TextGeneration $model -Prompt 'Once upon a time' -MaxTokens 60 -Seed 42 | Format-Table | Show-Output

    Show-Command "`$rows = Compare-Quantization $model -TextPath $text -Context $context -Type $($types -join ',') -SampleTokens 24"
    $rows = Compare-Quantization $model -TextPath $text -Context $context -Type $types -SampleTokens 24
    Show-Command '$rows | Format-Table'
    $rows | Format-Table | Show-Output

    # A few words from each type, greedily from the same prompt: a quantization that garbles the model shows here.
    Show-Command '$rows | ForEach-Object { ''{0,-7}{1}'' -f $_.Type, $_.Sample }'
    $rows | ForEach-Object { '{0,-7}{1}' -f $_.Type, $_.Sample } | Show-Output

    Show-Command "`$rows | Export-Csv $work/comparison.csv"
    $rows | Export-Csv "$work/comparison.csv"

    Write-Host ''
    Write-Host "The same perplexities from llama.cpp ($($reference.source.llamaCpp)), from $referencePath`:"
    $rows | ForEach-Object {
        $type = if ($_.IsBaseline) { 'F16' } else { $_.Type }
        [pscustomobject]@{ Type = $type; GgufPs = '{0:F4}' -f $_.Perplexity; 'llama.cpp' = '{0:F4}' -f $llamaCpp[$type] }
    } | Format-Table | Show-Output

    # The recommendation, from the table: the smallest file rated good or better, as the seed recommends Q4_K_M.
    $quantized = @($rows | Where-Object { -not $_.IsBaseline })
    $best = $quantized | Where-Object Quality -in 'NearLossless', 'Good' | Sort-Object FileSize | Select-Object -First 1
    $exact = $quantized | Where-Object Quality -eq 'NearLossless' | Sort-Object FileSize | Select-Object -First 1
    $noticeable = @($quantized | Where-Object Quality -eq 'Noticeable' | ForEach-Object Type)
    $poor = @($quantized | Where-Object Quality -eq 'Poor' | ForEach-Object Type)
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
