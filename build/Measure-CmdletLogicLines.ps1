<#
.SYNOPSIS
Counts the lines a reader must read in each cmdlet file (src/GgufPs/*Command.cs) apart from its parameter declarations.
Issue 14 asks that each cmdlet be readable in one screen; tests/Pester/CmdletSize.Tests.ps1 holds it.

.DESCRIPTION
Not counted: blank lines, doc comments (///), using and namespace lines, and parameter declarations: a group of
attribute lines that holds a [Parameter(...)] (with the [Alias], [Validate*], [ArgumentCompleter], ... attached to the
same property) together with the property line that follows it. Everything else counts: braces, the class attributes,
fields, constants, // comments, methods and their bodies.
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot '../src/GgufPs')
)

function Test-Ignored([string] $line) {
    $line -eq '' -or
        $line.StartsWith('///') -or
        $line -match '^(global\s+)?using\s+[\w.=\s]+;$' -or
        $line -match '^namespace\s+[\w.]+;?$'
}

foreach ($file in Get-ChildItem -Path $Path -Filter '*Command.cs' | Sort-Object Name) {
    $lines = [System.IO.File]::ReadAllLines($file.FullName) | ForEach-Object { $_.Trim() }
    $count = 0
    $i = 0
    while ($i -lt $lines.Count) {
        $line = $lines[$i]
        if (Test-Ignored $line) {
            $i++
            continue
        }
        if ($line.StartsWith('[')) {
            # An attribute group: attribute lines (an attribute may span lines until its brackets close), then what it
            # is attached to. Attached to a property with a [Parameter], the whole group is a parameter declaration.
            $start = $i
            $counted = 0
            $isParameter = $false
            while ($i -lt $lines.Count -and ($lines[$i].StartsWith('[') -or (Test-Ignored $lines[$i]))) {
                $depth = 0
                do {
                    $text = $lines[$i]
                    if (-not (Test-Ignored $text)) {
                        $counted++
                    }
                    if ($text -match '^\[Parameter\b') {
                        $isParameter = $true
                    }
                    $depth += ($text.ToCharArray() | Where-Object { $_ -eq '[' }).Count - ($text.ToCharArray() | Where-Object { $_ -eq ']' }).Count
                    $i++
                } while ($depth -gt 0 -and $i -lt $lines.Count)
            }
            $isProperty = $i -lt $lines.Count -and $lines[$i] -match '^public\s+[^=(]+\{\s*get;\s*set;\s*\}(\s*=.*;)?$'
            if ($isParameter -and $isProperty) {
                $i++
            }
            else {
                $count += $counted
            }
            continue
        }
        $count++
        $i++
    }
    [pscustomobject]@{ File = $file.Name; LogicLines = $count }
}
