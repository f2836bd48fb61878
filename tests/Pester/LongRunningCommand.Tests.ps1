# The contract of the base every long-running cmdlet is built on, checked with a small cmdlet compiled here against
# the module: what the worker reports arrives on the right streams in order, progress bars are throttled and
# completed, errors go through the catalogue, and a stop (or -ErrorAction Stop) ends the work before the call returns.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $assemblies = @((Get-Command Invoke-Quantize).ImplementingType.Assembly, [GgufPs.GgufModelInfo].Assembly, [psobject].Assembly | ForEach-Object Location) + 'System.Threading' + 'System.Threading.Thread'
    Add-Type -ReferencedAssemblies $assemblies -IgnoreWarnings -TypeDefinition @'
using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using GgufPs.Commands;

[Cmdlet("Invoke", "GgufPsBaseTestWork")]
public sealed class InvokeGgufPsBaseTestWorkCommand : LongRunningCommand
{
    public static int Running;
    public static int Finished;

    [Parameter] public int Items { get; set; } = 5;
    [Parameter] public int DelayMilliseconds { get; set; }
    [Parameter] public int FailAt { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(RunWorker((channel, cancel) =>
            {
                Interlocked.Increment(ref Running);
                try
                {
                    for (int i = 1; i <= Items; i++)
                    {
                        cancel.ThrowIfCancellationRequested();
                        channel.Progress(new WorkerProgress(1, "Test work", "item " + i) { PercentComplete = WorkerProgress.Percent(i, Items) });
                        channel.Progress(new WorkerProgress(2, "Item", "item " + i) { ParentId = 1 });
                        channel.Verbose("verbose " + i);
                        channel.Warning("warning " + i);
                        channel.Information("information " + i, "test");
                        channel.HostText("piece" + i + " ");
                        channel.Output(i);
                        if (i == FailAt)
                        {
                            channel.Error(new InvalidDataException("item " + i + " is bad"), i);
                        }
                        Thread.Sleep(DelayMilliseconds);
                    }
                    return "done";
                }
                finally
                {
                    Interlocked.Decrement(ref Running);
                    Interlocked.Increment(ref Finished);
                }
            }));
        }
        catch (InvalidDataException ex)
        {
            WriteCoreError(ex, null);
        }
    }
}
'@
    Import-Module -Assembly ([InvokeGgufPsBaseTestWorkCommand].Assembly)

    # Runs the test cmdlet in a runspace of its own and returns the PowerShell object with its streams.
    function Invoke-Isolated([hashtable] $Parameters) {
        $ps = [powershell]::Create()
        $null = $ps.AddCommand('Import-Module').AddParameter('Assembly', [InvokeGgufPsBaseTestWorkCommand].Assembly).AddStatement()
        $null = $ps.AddCommand('Invoke-GgufPsBaseTestWork').AddParameters($Parameters)
        try {
            $output = $ps.Invoke()
            [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error) }
        } finally {
            $ps.Dispose()
        }
    }
}

Describe 'LongRunningCommand' {
    It 'writes what the worker reports on each stream, in order' {
        $all = Invoke-GgufPsBaseTestWork -Items 3 -Verbose -InformationVariable information 6>$null 3>&1 4>&1
        $output = $all | Where-Object { $_ -is [int] -or $_ -is [string] }
        $output | Should -Be @(1, 2, 3, 'done')
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Be @('verbose 1', 'verbose 2', 'verbose 3')
        ($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Message | Should -Be @('warning 1', 'warning 2', 'warning 3')
        $tagged = $information | Where-Object { $_.Tags -contains 'test' }
        $tagged.MessageData | Should -Be @('information 1', 'information 2', 'information 3')
        $text = $information | Where-Object { $_.Tags -contains 'PSHOST' }
        $text.MessageData.Message | Should -Be @('piece1 ', 'piece2 ', 'piece3 ')
        $text.MessageData.NoNewLine | Should -Be @($true, $true, $true)
        # Each item's verbose line comes before its output, as the worker sent them.
        $order = $all | ForEach-Object { if ($_ -is [int]) { "o$_" } elseif ($_ -is [System.Management.Automation.VerboseRecord]) { 'v' + ($_.Message -replace '\D') } }
        ($order -join ',') | Should -Be 'v1,o1,v2,o2,v3,o3'
    }

    It 'shows progress bars a few times a second at most, child under parent, and completes them' {
        $run = Invoke-Isolated @{ Items = 400; DelayMilliseconds = 1 }
        $run.Output | Should -HaveCount 401
        $bars = $run.Progress
        $parent = @($bars | Where-Object ActivityId -eq 1)
        $child = @($bars | Where-Object ActivityId -eq 2)
        $parent.Count | Should -BeGreaterOrEqual 2
        $parent.Count | Should -BeLessThan 100 -Because '400 reports over about half a second are throttled'
        $child | ForEach-Object { $_.ParentActivityId | Should -Be 1 }
        $parent[-1].RecordType | Should -Be 'Completed'
        $child[-1].RecordType | Should -Be 'Completed'
    }

    It 'writes the worker''s errors through the catalogue and goes on' {
        $run = Invoke-Isolated @{ Items = 4; FailAt = 2; WarningAction = 'SilentlyContinue' }
        $run.Output | Should -Be @(1, 2, 3, 4, 'done')
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -Be 'InvalidData,InvokeGgufPsBaseTestWorkCommand'
        $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $run.Errors[0].TargetObject | Should -Be 2
    }

    It 'ends the work before it returns when -ErrorAction Stop turns an error into a stop' {
        $finished = [InvokeGgufPsBaseTestWorkCommand]::Finished
        { Invoke-GgufPsBaseTestWork -Items 50 -DelayMilliseconds 20 -FailAt 2 -ErrorAction Stop 3>$null 6>$null | Out-Null } | Should -Throw -ExpectedMessage 'item 2 is bad'
        [InvokeGgufPsBaseTestWorkCommand]::Running | Should -Be 0
        [InvokeGgufPsBaseTestWorkCommand]::Finished | Should -Be ($finished + 1)
    }

    It 'cancels the work when the pipeline stops, and waits for it' {
        $finished = [InvokeGgufPsBaseTestWorkCommand]::Finished
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Assembly', [InvokeGgufPsBaseTestWorkCommand].Assembly).AddStatement()
            $null = $ps.AddCommand('Invoke-GgufPsBaseTestWork').AddParameter('Items', 1000).AddParameter('DelayMilliseconds', 20)
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ($ps.Streams.Warning.Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }
            [InvokeGgufPsBaseTestWorkCommand]::Running | Should -Be 1 -Because 'the work must have started for its stop to mean anything'
            $ps.Stop()
            try { $null = $ps.EndInvoke($handle) } catch { }
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            [InvokeGgufPsBaseTestWorkCommand]::Running | Should -Be 0
            [InvokeGgufPsBaseTestWorkCommand]::Finished | Should -Be ($finished + 1)
        } finally {
            $ps.Dispose()
        }
    }
}
