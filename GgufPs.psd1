@{
    RootModule           = 'GgufPs.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f6a0e-3c1d-4f0e-9a52-6f3e2b7d9c41'
    Author               = 'GgufPs contributors'
    CompanyName          = 'GgufPs'
    Copyright            = '(c) GgufPs contributors. MIT License.'
    Description          = 'Convert, quantize, evaluate and inspect GGUF models natively in .NET, compatible with llama.cpp.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('GgufPs.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-GgufInfo'
        'Set-GgufMetadata'
        'Split-GgufFile'
        'Join-GgufFile'
        'Invoke-Quantize'
        'Convert-Model'
        'Get-GgufToken'
        'ConvertTo-ChatPrompt'
        'Invoke-TextGeneration'
        'Enter-Chat'
        'Measure-Perplexity'
        'Compare-Quantization'
        'Measure-Throughput'
        'Get-GgufQuantizationType'
        'New-ImportanceMatrix'
        'Get-ImportanceMatrix'
        'Find-HfModel'
        'Get-HfModelFile'
        'Save-HfModel'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('GGUF', 'llama.cpp', 'LLM', 'quantization')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
