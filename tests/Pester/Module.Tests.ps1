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
        # Invoke-TextGeneration only runs a model: it writes no file.
        $readOnly = 'Invoke-TextGeneration'
        foreach ($command in Get-Command -Module GgufPs | Where-Object { $_.Verb -in $writing -and $_.Name -notin $readOnly }) {
            $command.Parameters.Keys | Should -Contain 'WhatIf' -Because "$($command.Name) writes files"
            $command.Parameters.Keys | Should -Contain 'Confirm' -Because "$($command.Name) writes files"
        }
    }

    It 'requires the PowerShell its assemblies run on, and says so in the README' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'GgufPs.psd1')
        # net10.0 assemblies load in PowerShell 7.6 (on .NET 10) and later only.
        $manifest.PowerShellVersion | Should -Be '7.6'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $framework = (Get-Command Get-GgufInfo).ImplementingType.Assembly.GetCustomAttributes([System.Runtime.Versioning.TargetFrameworkAttribute], $false)
        $framework.FrameworkName | Should -Be '.NETCoreApp,Version=v10.0'
        $readme = Get-Content (Join-Path $PSScriptRoot '../../README.md') -Raw
        $readme | Should -Match '## Requirements[\s\S]*PowerShell 7\.6[\s\S]*\.NET 10[\s\S]*x64 Linux'
    }

    It 'has the MIT licence the manifest names' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'GgufPs.psd1')
        $manifest.PrivateData.PSData.LicenseUri | Should -Match 'MIT'
        $licence = Get-Content (Join-Path $PSScriptRoot '../../LICENSE') -Raw
        $licence | Should -Match '^MIT License'
        $licence | Should -Match 'Copyright \(c\) \d{4} GgufPs contributors'
        $licence | Should -Match 'THE SOFTWARE IS PROVIDED "AS IS"'
    }

    It 'never makes PowerShell prompt for a value no one can type' {
        # A missing mandatory parameter is prompted for at the console; only strings, numbers, enums and the like
        # can be typed there. (Hashtables can be, but none is mandatory either.)
        foreach ($command in Get-Command -Module GgufPs -CommandType Cmdlet) {
            foreach ($set in $command.ParameterSets) {
                foreach ($parameter in $set.Parameters | Where-Object IsMandatory) {
                    $type = $parameter.ParameterType
                    $element = if ($type.IsArray) { $type.GetElementType() } else { $type }
                    ($element -eq [string] -or $element.IsPrimitive -or $element.IsEnum) |
                        Should -BeTrue -Because "$($command.Name) -$($parameter.Name) ($type, set $($set.Name)) is mandatory"
                }
            }
        }
    }

    It 'loads its format views' {
        $info = Get-GgufInfo $Stories
        ($info | Format-Table | Out-String) | Should -Match 'BPW'
    }
}
