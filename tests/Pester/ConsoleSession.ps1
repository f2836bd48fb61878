# Dot-sourced by the tests that need a console: runs a script in a new PowerShell on a pseudo-terminal (util-linux
# script), so that Host.UI.ReadLine and Ctrl+C behave as for a user at the keyboard, and types into it as it goes.

# Whether the tests can have a pseudo-terminal here.
function Test-ConsoleSession {
    $IsLinux -and [bool](Get-Command script -ErrorAction SilentlyContinue)
}

# Runs $Script (after importing $ModulePath) at a console. Each step is a hashtable: when the output since the
# previous step matches When (a regex, escape sequences removed), Send is typed ("`r" is Enter, [char]3 is Ctrl+C).
# Returns the output lines, escape sequences removed; fails when a step was never reached.
function Invoke-ConsoleSession([string] $Script, [object[]] $Steps = @(), [string] $ModulePath, [string] $Scratch, [int] $TimeoutSeconds = 180) {
    $file = Join-Path $Scratch ("console-" + [guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content $file ("Import-Module '$ModulePath'; `$ProgressPreference = 'SilentlyContinue'`n" + $Script)
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
    $screen = [Text.StringBuilder]::new()
    $buffer = [char[]]::new(4096)
    $step = 0
    $mark = 0
    $clean = ''
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    try {
        while ($true) {
            $read = $process.StandardOutput.ReadAsync($buffer, 0, $buffer.Length)
            while (-not $read.Wait(200)) {
                if ([DateTime]::UtcNow -gt $deadline) {
                    throw "No end after $TimeoutSeconds s; the output so far:`n$clean"
                }
            }
            if ($read.Result -eq 0) {
                break
            }
            [void]$screen.Append($buffer, 0, $read.Result)
            $clean = $screen.ToString() -replace '\e\[[0-9;?]*[A-Za-z]|\e[=>]|\e\][^\a]*\a', ''
            if ($step -lt $Steps.Count -and $mark -le $clean.Length -and $clean.Substring($mark) -match $Steps[$step].When) {
                $mark = $clean.Length
                $process.StandardInput.Write($Steps[$step].Send)
                $process.StandardInput.Flush()
                $step++
            }
        }
        $process.WaitForExit()
    } finally {
        if (-not $process.HasExited) {
            $process.Kill($true)
        }
        $process.Dispose()
    }
    $step | Should -Be $Steps.Count -Because "every step should have been reached:`n$clean"
    $clean -split "\r?\n"
}
