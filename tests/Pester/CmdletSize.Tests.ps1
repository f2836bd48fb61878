BeforeDiscovery {
    # Cmdlet files only: the bases (LongRunningCommand, GenerationCommand) declare no [Cmdlet].
    $script:CmdletFiles = Get-ChildItem (Join-Path $PSScriptRoot '../../src/GgufPs') -Filter '*Command.cs' |
        Where-Object { (Get-Content $_.FullName -Raw) -match '(?m)^\[Cmdlet\(' } |
        ForEach-Object { @{ Name = $_.Name } }
}

BeforeAll {
    $script:Counts = @{}
    & (Join-Path $PSScriptRoot '../../build/Measure-CmdletLogicLines.ps1') | ForEach-Object { $Counts[$_.File] = $_.LogicLines }
}

# Issue 14: cmdlets stay thin (binding, ShouldProcess, progress, errors) and the logic lives in GgufPs.Core, so each
# cmdlet file reads in one screen apart from its parameter declarations: 80 lines, a laptop editor's screen, counting
# braces, attributes, fields and comments.
Describe 'Cmdlet files' {
    It 'finds the cmdlet files' {
        $CmdletFiles.Count | Should -BeGreaterThan 15
    }

    It '<Name> has at most 80 lines apart from its parameters' -ForEach $CmdletFiles {
        $Counts[$Name] | Should -BeLessOrEqual 80 -Because "$Name should read in one screen apart from its parameters (build/Measure-CmdletLogicLines.ps1 counts); move logic to GgufPs.Core"
    }
}

Describe 'The line count' {
    It 'leaves out blank lines, doc comments, usings and parameter declarations, and counts everything else' {
        $folder = Join-Path ([System.IO.Path]::GetTempPath()) ([guid]::NewGuid())
        New-Item -ItemType Directory $folder | Out-Null
        try {
            Set-Content (Join-Path $folder 'SampleCommand.cs') @'
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>Doc.</summary>
[Cmdlet(VerbsCommon.Get, "Sample")]
[OutputType(typeof(string))]
public sealed class SampleCommand : PSCmdlet
{
    private int _count;

    [Alias("P")]
    [Parameter(Mandatory = true)]
    [ValidateSet("a",
        "b")]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Hidden]
    public int Shown { get; set; }

    protected override void ProcessRecord()
    {
        // Why.
        WriteObject(Path);
    }
}
'@
            $count = & (Join-Path $PSScriptRoot '../../build/Measure-CmdletLogicLines.ps1') -Path $folder
            # [Cmdlet], [OutputType], class, {, _count, [Hidden], Shown, ProcessRecord, {, // Why., WriteObject, }, }
            $count.LogicLines | Should -Be 13
        }
        finally {
            Remove-Item $folder -Recurse -Force
        }
    }
}
