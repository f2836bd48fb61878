# Ctrl+C at the console: the long-running cmdlets that can return what they did so far read it as a key, but only in
# the console's own runspace with a user at the keyboard; elsewhere they leave Console.TreatControlCAsInput and the
# keyboard alone. The tests run PowerShell on a pseudo-terminal (util-linux script), so the console is a real one.
BeforeDiscovery {
    $script:NoTerminal = -not ($IsLinux -and (Get-Command script -ErrorAction SilentlyContinue))
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
    $TextFile = Join-Path $Fixtures 'text/tinystories_heldout.txt'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) ("ggufps-controlc-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $scratch | Out-Null
    $module = (Resolve-Path $ModulePath).Path

    # Runs $Script in a new PowerShell on a pseudo-terminal, presses Ctrl+C once a line of its output matches
    # $PressAt, and returns its output lines, escape sequences removed.
    function Invoke-AtConsole([string] $Script, [string] $PressAt) {
        $file = Join-Path $scratch ("console-" + [guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content $file ("Import-Module '$module'; `$ProgressPreference = 'SilentlyContinue'`n" + $Script)
        $self = [Environment]::ProcessPath
        $pwsh = if ((Split-Path $self -Leaf) -like 'pwsh*') { "'$self'" } else { "'$self' '$(Join-Path $PSHOME 'pwsh.dll')'" }
        $start = [Diagnostics.ProcessStartInfo]::new('script')
        foreach ($argument in '-qefc', "$pwsh -NoProfile -File '$file'", '/dev/null') {
            $start.ArgumentList.Add($argument)
        }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.Environment['NO_COLOR'] = '1'
        $process = [Diagnostics.Process]::Start($start)
        $lines = [Collections.Generic.List[string]]::new()
        $pressed = -not $PressAt
        $deadline = [DateTime]::UtcNow.AddSeconds(180)
        try {
            while ($true) {
                $read = $process.StandardOutput.ReadLineAsync()
                while (-not $read.Wait(200)) {
                    if ([DateTime]::UtcNow -gt $deadline) {
                        throw "No end after 180 s; the output so far:`n$($lines -join "`n")"
                    }
                }
                if ($null -eq $read.Result) {
                    break
                }
                $line = $read.Result -replace '\e\[[0-9;?]*[A-Za-z]|\e[=>]', ''
                $lines.Add($line)
                if (-not $pressed -and $line -match $PressAt) {
                    $process.StandardInput.Write([char]3)
                    $process.StandardInput.Flush()
                    $pressed = $true
                }
            }
            $process.WaitForExit()
        } finally {
            if (-not $process.HasExited) {
                $process.Kill($true)
            }
            $process.Dispose()
        }
        $pressed | Should -BeTrue -Because "the output should have reached '$PressAt':`n$($lines -join "`n")"
        $lines
    }

    function Get-Result([string[]] $Lines) {
        $line = $Lines | Where-Object { $_ -match '^RESULT ' } | Select-Object -Last 1
        $line | Should -Not -BeNullOrEmpty -Because "the script should have finished:`n$($Lines -join "`n")"
        $values = @{}
        foreach ($pair in ($line -replace '^RESULT ') -split ' ') {
            $name, $value = $pair -split '=', 2
            $values[$name] = $value
        }
        $values
    }
}

AfterAll {
    Remove-Item $scratch -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Ctrl+C' -Skip:$NoTerminal {
    It 'returns what was measured when pressed at the console, and ends the command there' {
        $lines = Invoke-AtConsole -PressAt 'VERBOSE: \[2\]' @"
`$before = [Console]::TreatControlCAsInput
`$results = @('$Stories', '$Stories') | Measure-Perplexity -TextPath '$TextFile' -Context 64 -Threads 1 -Verbose
"RESULT count=`$(@(`$results).Count) completed=`$(`$results[0].Completed) chunks=`$(`$results[0].Chunks) before=`$before after=`$([Console]::TreatControlCAsInput)"
"@
        $result = Get-Result $lines
        $result.count | Should -Be 1 -Because 'the second input is not measured after Ctrl+C'
        $result.completed | Should -Be 'False'
        [int]$result.chunks | Should -BeGreaterOrEqual 2
        [int]$result.chunks | Should -BeLessThan 300
        $result.after | Should -Be $result.before
        $lines | Should -Contain "WARNING: Stopped after $($result.chunks) chunk(s); the result covers those only."
    }

    It 'is left alone in Start-ThreadJob and ForEach-Object -Parallel, and two runs at once leave it as they found it' {
        $lines = Invoke-AtConsole @"
`$job = Start-ThreadJob { Import-Module '$module'; Measure-Perplexity '$Stories' -TextPath '$TextFile' -Context 64 -Chunks 12 -Threads 1 }
`$parallel = 1 | ForEach-Object -AsJob -Parallel { Import-Module '$module'; Measure-Perplexity '$Stories' -TextPath '$TextFile' -Context 64 -Chunks 8 -Threads 1 }
`$intercepted = `$false
while (`$job.State -in 'NotStarted', 'Running' -or `$parallel.State -in 'NotStarted', 'Running') {
    if ([Console]::TreatControlCAsInput) { `$intercepted = `$true }
    Start-Sleep -Milliseconds 10
}
`$a = Receive-Job `$job -Wait
`$b = Receive-Job `$parallel -Wait
"RESULT intercepted=`$intercepted job=`$(`$a.Completed) parallel=`$(`$b.Completed) after=`$([Console]::TreatControlCAsInput)"
"@
        $result = Get-Result $lines
        $result.job | Should -Be 'True'
        $result.parallel | Should -Be 'True'
        $result.intercepted | Should -Be 'False' -Because 'the prompt may be reading the keyboard while background runspaces work'
        $result.after | Should -Be 'False'
    }

    It 'interrupts the console''s command only, while a thread job measures too, and is restored after both' {
        $lines = Invoke-AtConsole -PressAt 'VERBOSE: \[2\]' @"
`$job = Start-ThreadJob { Import-Module '$module'; Measure-Perplexity '$Stories' -TextPath '$TextFile' -Context 64 -Chunks 30 -Threads 1 }
`$console = Measure-Perplexity '$Stories' -TextPath '$TextFile' -Context 64 -Threads 1 -Verbose
`$background = Receive-Job `$job -Wait
"RESULT console=`$(`$console.Completed) job=`$(`$background.Completed) jobChunks=`$(`$background.Chunks) after=`$([Console]::TreatControlCAsInput)"
"@
        $result = Get-Result $lines
        $result.console | Should -Be 'False'
        $result.job | Should -Be 'True'
        $result.jobChunks | Should -Be 30
        $result.after | Should -Be 'False'
    }
}
