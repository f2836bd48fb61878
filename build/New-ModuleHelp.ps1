#requires -Version 7.4
<#
.SYNOPSIS
    Makes MAML help (GgufPs.dll-Help.xml) and about topics from PlatyPS-schema markdown in docs/help.
.DESCRIPTION
    PlatyPS is not served here, so this does its New-ExternalHelp step. The markdown holds the prose: synopsis,
    description, examples, parameter descriptions, inputs, outputs, notes and links. Parameter metadata (type,
    position, mandatory, pipeline input, aliases, wildcards, parameter sets) comes from Get-Command on the built
    module, so help never disagrees with the code; a yaml block in the markdown that contradicts the code fails the
    build. Prose the markdown lacks is reported as a warning here and as a failure by the Pester help tests.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$MamlNs = 'http://schemas.microsoft.com/maml/2004/10'
$CommandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$DevNs = 'http://schemas.microsoft.com/maml/dev/2004/10'
$StandardDescriptions = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

function Split-Paragraphs([string[]] $Lines) {
    # Blank lines separate paragraphs; list items and fenced code lines stay paragraphs of their own.
    $paras = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') {
            if ($current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
            $inCode = -not $inCode
            continue
        }
        if ($inCode) { $paras.Add($line); continue }
        if ($line.Trim() -eq '') {
            if ($current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
            continue
        }
        if ($line -match '^\s*([-*]|\d+\.)\s+' -and $current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
        $current.Add($line.Trim())
    }
    if ($current.Count) { $paras.Add(($current -join ' ')) }
    , $paras.ToArray()
}

function Get-Sections([string[]] $Lines, [string] $Prefix) {
    # Ordered map of "<Prefix> Title" headings to the lines under them (fenced code is never a heading).
    $sections = [ordered]@{}
    $name = $null
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inCode = -not $inCode }
        if (-not $inCode -and $line -match "^$([regex]::Escape($Prefix)) (.+)$") {
            $name = $Matches[1].Trim()
            $sections[$name] = [System.Collections.Generic.List[string]]::new()
            continue
        }
        if ($null -ne $name) { $sections[$name].Add($line) }
    }
    $sections
}

function Read-HelpMarkdown([string] $Path) {
    $lines = Get-Content $Path
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        $lines = $lines[($end + 1)..($lines.Count - 1)]
    }
    $top = Get-Sections $lines '##'
    $doc = [ordered]@{ Synopsis = @(); Description = @(); Examples = @(); Parameters = @{}; Inputs = @(); Outputs = @(); Notes = @(); Links = @() }
    if ($top.Contains('SYNOPSIS')) { $doc.Synopsis = Split-Paragraphs $top['SYNOPSIS'] }
    if ($top.Contains('DESCRIPTION')) { $doc.Description = Split-Paragraphs $top['DESCRIPTION'] }
    if ($top.Contains('NOTES')) { $doc.Notes = Split-Paragraphs $top['NOTES'] }
    if ($top.Contains('EXAMPLES')) {
        $examples = Get-Sections $top['EXAMPLES'] '###'
        foreach ($title in $examples.Keys) {
            $body = $examples[$title]
            $start = -1; $stop = -1
            for ($i = 0; $i -lt $body.Count; $i++) {
                if ($body[$i] -match '^\s*```') { if ($start -lt 0) { $start = $i } elseif ($stop -lt 0) { $stop = $i; break } }
            }
            $code = if ($start -ge 0 -and $stop -gt $start) { ($body[($start + 1)..($stop - 1)] -join "`n") } else { '' }
            $rest = if ($stop -ge 0 -and $stop + 1 -lt $body.Count) { $body[($stop + 1)..($body.Count - 1)] } else { @() }
            $doc.Examples += [pscustomobject]@{ Title = $title; Code = $code; Remarks = (Split-Paragraphs $rest) }
        }
    }
    if ($top.Contains('PARAMETERS')) {
        $parameters = Get-Sections $top['PARAMETERS'] '###'
        foreach ($key in $parameters.Keys) {
            if ($key -notmatch '^-(.+)$') { continue }
            $name = $Matches[1]
            $prose = [System.Collections.Generic.List[string]]::new()
            $yamlBlocks = [System.Collections.Generic.List[hashtable]]::new()
            $yaml = $null
            foreach ($line in $parameters[$key]) {
                if ($line -match '^\s*```yaml') { $yaml = @{}; continue }
                if ($null -ne $yaml -and $line -match '^\s*```') { $yamlBlocks.Add($yaml); $yaml = $null; continue }
                if ($null -ne $yaml) {
                    if ($line -match '^([^:]+):\s*(.*)$') { $yaml[$Matches[1].Trim()] = $Matches[2].Trim() }
                    continue
                }
                $prose.Add($line)
            }
            $doc.Parameters[$name] = [pscustomobject]@{ Description = (Split-Paragraphs $prose); Yaml = $yamlBlocks.ToArray() }
        }
    }
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if (-not $top.Contains($kind)) { continue }
        $types = Get-Sections $top[$kind] '###'
        $list = foreach ($t in $types.Keys) { [pscustomobject]@{ Type = $t; Description = (Split-Paragraphs $types[$t]) } }
        if ($kind -eq 'INPUTS') { $doc.Inputs = @($list) } else { $doc.Outputs = @($list) }
    }
    if ($top.Contains('RELATED LINKS')) {
        foreach ($line in $top['RELATED LINKS']) {
            if ($line -match '^\s*\[([^\]]+)\]\(([^)]*)\)') {
                $uri = if ($Matches[2] -match '^https?://') { $Matches[2] } else { '' }
                $doc.Links += [pscustomobject]@{ Text = $Matches[1]; Uri = $uri }
            }
        }
    }
    [pscustomobject]$doc
}

function Get-FriendlyTypeName([type] $Type) {
    if ($Type.IsArray) { return (Get-FriendlyTypeName $Type.GetElementType()) + '[]' }
    if ($Type.IsGenericType) {
        $typeArgs = ($Type.GetGenericArguments() | ForEach-Object { Get-FriendlyTypeName $_ }) -join ', '
        $base = $Type.Name -replace '`\d+$', ''
        if ($base -eq 'Nullable') { return $typeArgs }
        return "$base[$typeArgs]"
    }
    $Type.Name
}

function Get-PipelineInput($Parameter) {
    $kinds = @()
    if ($Parameter.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($Parameter.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Get-ParameterFacts($Command) {
    # Parameter metadata per parameter set, from the compiled cmdlet. Common parameters are left out, as in PlatyPS.
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + @('UseTransaction')
    $facts = [ordered]@{}
    foreach ($set in $Command.ParameterSets) {
        foreach ($p in $set.Parameters) {
            if ($p.Name -in $common) { continue }
            if (-not $facts.Contains($p.Name)) {
                $facts[$p.Name] = [pscustomobject]@{
                    Name = $p.Name
                    Type = Get-FriendlyTypeName $p.ParameterType
                    IsSwitch = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
                    Aliases = @($p.Aliases)
                    Globbing = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                    Sets = [ordered]@{}
                }
            }
            $facts[$p.Name].Sets[$set.Name] = [pscustomobject]@{
                Required = $p.IsMandatory
                Position = if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }
                Pipeline = Get-PipelineInput $p
            }
        }
    }
    $facts
}

function Test-YamlAgainstCode([string] $Command, $Fact, $Doc) {
    # The yaml in the markdown is documentation; where it states a fact, that fact must be the code's.
    $problems = @()
    foreach ($yaml in $Doc.Yaml) {
        if ($yaml.ContainsKey('Type') -and $yaml['Type'] -ne $Fact.Type) {
            $problems += "$Command -$($Fact.Name): the markdown says Type $($yaml['Type']), the cmdlet has $($Fact.Type)."
        }
        $setNames = if ($yaml.ContainsKey('Parameter Sets') -and $yaml['Parameter Sets'] -ne '(All)') {
            @($yaml['Parameter Sets'] -split ',\s*')
        } else { @($Fact.Sets.Keys) }
        foreach ($setName in $setNames) {
            if (-not $Fact.Sets.Contains($setName)) {
                $problems += "$Command -$($Fact.Name): the markdown names parameter set '$setName', which the cmdlet does not have."
                continue
            }
            $s = $Fact.Sets[$setName]
            if ($yaml.ContainsKey('Required') -and ($yaml['Required'] -eq 'True') -ne $s.Required) {
                $problems += "$Command -$($Fact.Name) ($setName): the markdown says Required $($yaml['Required']), the cmdlet says $($s.Required)."
            }
            if ($yaml.ContainsKey('Position') -and $yaml['Position'] -ne $s.Position) {
                $problems += "$Command -$($Fact.Name) ($setName): the markdown says Position $($yaml['Position']), the cmdlet says $($s.Position)."
            }
            if ($yaml.ContainsKey('Accept pipeline input') -and $yaml['Accept pipeline input'] -ne $s.Pipeline) {
                $problems += "$Command -$($Fact.Name) ($setName): the markdown says pipeline input $($yaml['Accept pipeline input']), the cmdlet says $($s.Pipeline)."
            }
        }
    }
    $problems
}

function Write-Paras([System.Xml.XmlWriter] $W, [string[]] $Paras) {
    if (-not $Paras) { $W.WriteElementString('para', $MamlNs, ''); return }
    foreach ($p in $Paras) { $W.WriteElementString('para', $MamlNs, $p) }
}

function Write-Description([System.Xml.XmlWriter] $W, [string[]] $Paras) {
    $W.WriteStartElement('maml', 'description', $MamlNs)
    Write-Paras $W $Paras
    $W.WriteEndElement()
}

function Write-ParameterElement([System.Xml.XmlWriter] $W, $Fact, $SetFacts, [string[]] $Description, [string] $DefaultValue) {
    $W.WriteStartElement('command', 'parameter', $CommandNs)
    $W.WriteAttributeString('required', $SetFacts.Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $Fact.Globbing.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $SetFacts.Pipeline)
    $W.WriteAttributeString('position', $SetFacts.Position)
    $W.WriteAttributeString('aliases', $(if ($Fact.Aliases) { $Fact.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('name', $MamlNs, $Fact.Name)
    Write-Description $W $Description
    if (-not $Fact.IsSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $CommandNs)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($Fact.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $DevNs)
    $W.WriteElementString('name', $MamlNs, $Fact.Type)
    $W.WriteElementString('uri', $MamlNs, '')
    $W.WriteEndElement()
    $W.WriteElementString('defaultValue', $DevNs, $DefaultValue)
    $W.WriteEndElement()
}

function Write-CommandHelp([System.Xml.XmlWriter] $W, $Command, $Doc) {
    $facts = Get-ParameterFacts $Command
    $descriptionOf = {
        param($name)
        if ($Doc -and $Doc.Parameters.ContainsKey($name) -and $Doc.Parameters[$name].Description) { return $Doc.Parameters[$name].Description }
        if ($StandardDescriptions.ContainsKey($name)) { return @($StandardDescriptions[$name]) }
        @()
    }
    $defaultOf = {
        param($name)
        if ($Doc -and $Doc.Parameters.ContainsKey($name)) {
            foreach ($y in $Doc.Parameters[$name].Yaml) { if ($y.ContainsKey('Default value') -and $y['Default value']) { return $y['Default value'] } }
        }
        if ($facts[$name].IsSwitch) { 'False' } else { 'None' }
    }

    $W.WriteStartElement('command', 'command', $CommandNs)
    $W.WriteAttributeString('xmlns', 'maml', $null, $MamlNs)
    $W.WriteAttributeString('xmlns', 'dev', $null, $DevNs)

    $W.WriteStartElement('command', 'details', $CommandNs)
    $W.WriteElementString('name', $CommandNs, $Command.Name)
    $W.WriteElementString('verb', $CommandNs, $Command.Verb)
    $W.WriteElementString('noun', $CommandNs, $Command.Noun)
    Write-Description $W $(if ($Doc) { $Doc.Synopsis } else { @() })
    $W.WriteEndElement()

    Write-Description $W $(if ($Doc) { $Doc.Description } else { @() })

    $W.WriteStartElement('command', 'syntax', $CommandNs)
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault })
    foreach ($set in $sets) {
        $W.WriteStartElement('command', 'syntaxItem', $CommandNs)
        $W.WriteElementString('name', $MamlNs, $Command.Name)
        $inSet = @($facts.Values | Where-Object { $_.Sets.Contains($set.Name) } |
            Sort-Object { if ($_.Sets[$set.Name].Position -eq 'named') { [int]::MaxValue } else { [int]$_.Sets[$set.Name].Position } }, { -not $_.Sets[$set.Name].Required })
        foreach ($fact in $inSet) {
            Write-ParameterElement $W $fact $fact.Sets[$set.Name] (& $descriptionOf $fact.Name) (& $defaultOf $fact.Name)
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $CommandNs)
    foreach ($fact in $facts.Values) {
        $first = $fact.Sets[0]
        $merged = [pscustomobject]@{
            Required = [bool]($fact.Sets.Values | Where-Object Required)
            Position = $first.Position
            Pipeline = ($fact.Sets.Values | Sort-Object { $_.Pipeline.Length } -Descending | Select-Object -First 1).Pipeline
        }
        Write-ParameterElement $W $fact $merged (& $descriptionOf $fact.Name) (& $defaultOf $fact.Name)
    }
    $W.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType', 'Inputs'), @('returnValues', 'returnValue', 'Outputs'))) {
        $W.WriteStartElement('command', $kind[0], $CommandNs)
        foreach ($t in @(if ($Doc) { $Doc.($kind[2]) })) {
            $W.WriteStartElement('command', $kind[1], $CommandNs)
            $W.WriteStartElement('dev', 'type', $DevNs)
            $W.WriteElementString('name', $MamlNs, $t.Type)
            $W.WriteEndElement()
            Write-Description $W $t.Description
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }

    $W.WriteStartElement('maml', 'alertSet', $MamlNs)
    $W.WriteStartElement('maml', 'alert', $MamlNs)
    Write-Paras $W $(if ($Doc) { $Doc.Notes } else { @() })
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $CommandNs)
    foreach ($example in @(if ($Doc) { $Doc.Examples })) {
        $W.WriteStartElement('command', 'example', $CommandNs)
        $W.WriteElementString('title', $MamlNs, "-------------------------- $($example.Title) --------------------------")
        $W.WriteElementString('code', $DevNs, $example.Code)
        $W.WriteStartElement('dev', 'remarks', $DevNs)
        Write-Paras $W $example.Remarks
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $CommandNs)
    foreach ($link in @(if ($Doc) { $Doc.Links })) {
        $W.WriteStartElement('maml', 'navigationLink', $MamlNs)
        $W.WriteElementString('linkText', $MamlNs, $link.Text)
        $W.WriteElementString('uri', $MamlNs, $link.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

function Convert-AboutTopic([string] $Path) {
    # about_*.md (PlatyPS about schema) to the plain text that Get-Help reads from about_*.help.txt.
    $lines = Get-Content $Path
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        $lines = $lines[($end + 1)..($lines.Count - 1)]
    }
    $text = [System.Text.StringBuilder]::new()
    $inCode = $false
    foreach ($line in $lines) {
        if ($line -match '^\s*```') { $inCode = -not $inCode; continue }
        if ($inCode) { [void]$text.AppendLine('        ' + $line); continue }
        if ($line -match '^# (.+)$') { [void]$text.AppendLine('TOPIC').AppendLine('    ' + $Matches[1]).AppendLine(); continue }
        if ($line -match '^#{2,3} (.+)$') { [void]$text.AppendLine($Matches[1].ToUpperInvariant()); continue }
        if ($line.Trim() -eq '') { [void]$text.AppendLine(); continue }
        [void]$text.AppendLine('    ' + $line)
    }
    $text.ToString()
}

Import-Module $ModulePath -Force
$module = Get-Module GgufPs
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null

$problems = @()
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$target = Join-Path $OutputPath 'GgufPs.dll-Help.xml'
$writer = [System.Xml.XmlWriter]::Create($target, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($command in $commands) {
        $markdown = Join-Path $DocsPath "$($command.Name).md"
        $doc = $null
        if (Test-Path $markdown) {
            $doc = Read-HelpMarkdown $markdown
            $facts = Get-ParameterFacts $command
            foreach ($name in $doc.Parameters.Keys) {
                if (-not $facts.Contains($name)) { $problems += "$($command.Name): the markdown documents -$name, which the cmdlet does not have."; continue }
                $problems += Test-YamlAgainstCode $command.Name $facts[$name] $doc.Parameters[$name]
            }
            foreach ($name in $facts.Keys) {
                if (-not $doc.Parameters.ContainsKey($name) -and -not $StandardDescriptions.ContainsKey($name)) {
                    Write-Warning "$($command.Name): -$name has no description in $markdown."
                }
            }
            if (-not $doc.Synopsis) { Write-Warning "$($command.Name): no SYNOPSIS in $markdown." }
            if (-not $doc.Examples) { Write-Warning "$($command.Name): no EXAMPLES in $markdown." }
        } else {
            Write-Warning "$($command.Name) has no help page: expected $markdown."
        }
        Write-CommandHelp $writer $command $doc
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
} finally {
    $writer.Dispose()
}

foreach ($about in Get-ChildItem $DocsPath -Filter 'about_*.md') {
    $name = [IO.Path]::GetFileNameWithoutExtension($about.Name)
    Set-Content -Path (Join-Path $OutputPath "$name.help.txt") -Value (Convert-AboutTopic $about.FullName) -Encoding utf8NoBOM
}

if ($problems) {
    $problems | ForEach-Object { Write-Host "help: $_" }
    throw "$($problems.Count) disagreement(s) between docs/help and the cmdlets."
}
Write-Host "Help: $target ($($commands.Count) cmdlets)"
