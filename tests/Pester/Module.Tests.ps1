BeforeAll {
    . (Join-Path $PSScriptRoot 'TestEnvironment.ps1')
}

Describe 'The GgufPs module' {
    It 'imports from the build output' {
        Get-Module GgufPs | Should -Not -BeNullOrEmpty
    }

    It 'exports every cmdlet the manifest lists, and only those' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'GgufPs.psd1')
        $exported = (Get-Command -Module GgufPs -CommandType Cmdlet).Name | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'uses approved verbs only' {
        $approved = (Get-Verb).Verb
        foreach ($command in Get-Command -Module GgufPs) {
            $command.Verb | Should -BeIn $approved -Because "$($command.Name) must use an approved verb"
        }
    }

    It 'offers SupportsShouldProcess on every cmdlet whose verb writes' {
        $writing = 'New', 'Set', 'Invoke', 'Convert', 'Compare', 'Remove', 'Export', 'Update'
        foreach ($command in Get-Command -Module GgufPs | Where-Object Verb -in $writing) {
            $command.Parameters.Keys | Should -Contain 'WhatIf' -Because "$($command.Name) writes files"
            $command.Parameters.Keys | Should -Contain 'Confirm' -Because "$($command.Name) writes files"
        }
    }

    It 'loads its format views' {
        $info = Get-GgufInfo $Stories
        ($info | Format-Table | Out-String) | Should -Match 'BPW'
    }
}
