#requires -Version 7.4
<#
.SYNOPSIS
    Download speed of Save-HfModel against curl, both fetching the same 2 GiB LFS file from the stand-in Hub on loopback.
.DESCRIPTION
    Makes a 2 GiB file of random bytes (once), serves it from the stand-in as an LFS file (resolve answers 302 to the
    CDN host), then alternates curl -L and Save-HfModel -OutputPath, each into a fresh file, -Runs times. Save-HfModel's
    time includes its listing requests and the SHA-256 check of the whole file; curl only downloads. Prints every
    time and the best of each, and the ratio of the best throughputs.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/GgufPs.HubStandIn/Measure-Download.ps1 -ModulePath out/GgufPs -WorkPath /tmp/hub-bench
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkPath,
    [int] $Runs = 3,
    [long] $Size = 2GB
)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
Import-Module (Resolve-Path $ModulePath).Path -Force
$repo = Join-Path $WorkPath 'repo'
New-Item -ItemType Directory -Path $repo -Force | Out-Null
$weights = Join-Path $repo 'model.safetensors'
if (-not (Test-Path $weights) -or (Get-Item $weights).Length -ne $Size) {
    $buffer = [byte[]]::new(1MB)
    $random = [Random]::new(42)
    $stream = [IO.File]::Create($weights)
    try {
        for ($written = 0L; $written -lt $Size; $written += $buffer.Length) {
            $random.NextBytes($buffer)
            $stream.Write($buffer, 0, [int][Math]::Min([long]$buffer.Length, $Size - $written))
        }
    } finally { $stream.Dispose() }
}

$standIn = Join-Path $root 'tests/GgufPs.HubStandIn/bin/Release/net10.0/GgufPs.HubStandIn.dll'
if (-not (Test-Path $standIn)) { & dotnet build (Join-Path $root 'tests/GgufPs.HubStandIn/GgufPs.HubStandIn.csproj') -c Release -nologo -v q | Out-Null }
$urls = Join-Path $WorkPath 'urls.json'
Remove-Item $urls -ErrorAction SilentlyContinue
$server = Start-Process dotnet -ArgumentList @($standIn, '--repo', "bench/big=$repo", '--urls-file', $urls, '--parent-pid', $PID) -PassThru `
    -RedirectStandardOutput (Join-Path $WorkPath 'standin.out') -RedirectStandardError (Join-Path $WorkPath 'standin.err')
try {
    while (-not (Test-Path $urls)) { Start-Sleep -Milliseconds 100 }
    $hub = (Get-Content $urls -Raw | ConvertFrom-Json).hub
    $url = "$hub/bench/big/resolve/main/model.safetensors"
    # The stand-in hashes the file at its first HEAD: do that before timing anything.
    & curl -sI $url | Out-Null

    $results = foreach ($run in 1..$Runs) {
        $target = Join-Path $WorkPath 'curl.bin'
        Remove-Item $target -ErrorAction SilentlyContinue
        $curl = Measure-Command { & curl -sL -o $target $url }
        Remove-Item $target
        [pscustomobject]@{ Run = $run; Tool = 'curl'; Seconds = $curl.TotalSeconds; MiBps = $Size / 1MB / $curl.TotalSeconds }

        $output = Join-Path $WorkPath 'save'
        Remove-Item $output -Recurse -Force -ErrorAction SilentlyContinue
        $save = Measure-Command { Save-HfModel bench/big model.safetensors -OutputPath $output -Endpoint $hub -ProgressAction SilentlyContinue | Out-Null }
        Remove-Item $output -Recurse -Force
        [pscustomobject]@{ Run = $run; Tool = 'Save-HfModel'; Seconds = $save.TotalSeconds; MiBps = $Size / 1MB / $save.TotalSeconds }
    }
    $results | Format-Table Run, Tool, @{ n = 'Seconds'; e = { '{0:F2}' -f $_.Seconds } }, @{ n = 'MiB/s'; e = { '{0:F0}' -f $_.MiBps } } | Out-String | Write-Host
    $best = $results | Group-Object Tool | ForEach-Object { [pscustomobject]@{ Tool = $_.Name; MiBps = ($_.Group | Measure-Object MiBps -Maximum).Maximum } }
    $curlBest = ($best | Where-Object Tool -eq 'curl').MiBps
    $saveBest = ($best | Where-Object Tool -eq 'Save-HfModel').MiBps
    Write-Host ("Best: curl {0:F0} MiB/s, Save-HfModel {1:F0} MiB/s (SHA-256 included): {2:F2}x curl" -f $curlBest, $saveBest, ($saveBest / $curlBest))
} finally {
    Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue
}
