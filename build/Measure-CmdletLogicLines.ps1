<#
.SYNOPSIS
Counts the logic lines of each cmdlet file (src/GgufPs/*Command.cs): what a reader must read apart from the parameter
declarations. Issue 14 asks that each cmdlet be readable in one screen; tests/Pester/CmdletSize.Tests.ps1 holds it.

.DESCRIPTION
Not counted: blank lines, doc comments (///), using and namespace lines, lines of braces and brackets only, attribute lines
([Parameter], [Alias], [Cmdlet], ...) and public auto-properties with a setter (the parameters themselves, with their
initializers). Everything else counts: fields, constants, methods and their bodies.
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot '../src/GgufPs')
)

foreach ($file in Get-ChildItem -Path $Path -Filter '*Command.cs' | Sort-Object Name) {
    $count = 0
    foreach ($raw in [System.IO.File]::ReadAllLines($file.FullName)) {
        $line = $raw.Trim()
        $skip = $line -eq '' -or
            $line.StartsWith('///') -or
            $line -match '^(global\s+)?using\s+[\w.=\s]+;$' -or
            $line -match '^namespace\s+[\w.]+;?$' -or
            $line -match '^[{}()\[\];,]+$' -or
            $line -match '^\[.*\]$' -or
            $line -match '^public\s+[^=(]+\{\s*get;\s*set;\s*\}(\s*=.*;)?$'
        if (-not $skip) { $count++ }
    }
    [pscustomobject]@{ File = $file.Name; LogicLines = $count }
}
