BeforeDiscovery {
    $modulePath = if ($env:GGUFPS_MODULE_PATH) { $env:GGUFPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/GgufPs' }
    Import-Module $modulePath -Force
    $commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $script:Commands = foreach ($command in Get-Command -Module GgufPs -CommandType Cmdlet) {
        @{
            Name       = $command.Name
            Parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $commonParameters } | ForEach-Object { @{ Command = $command.Name; Parameter = $_ } })
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
}

Describe 'Help for <Name>' -ForEach $Commands {
    BeforeAll {
        $help = Get-Help $Name -Full
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s+\[')  # not the auto-generated syntax line
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes -<Parameter>' -ForEach $Parameters {
        $parameterHelp = $help.Parameters.Parameter | Where-Object Name -eq $Parameter
        $parameterHelp | Should -Not -BeNullOrEmpty
        ($parameterHelp.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }
}

Describe 'The about topic' {
    It 'is found by Get-Help' {
        (Get-Help about_GgufPs | Out-String) | Should -Match 'GgufModelInfo'
    }
}
