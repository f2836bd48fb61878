namespace GgufPs.Conversion;

/// <summary>The element types a safetensors header can name (its "dtype" strings).</summary>
internal enum SafetensorsDataType
{
    Bool,
    U8,
    I8,
    F8_E4M3,
    F8_E5M2,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    I64,
    U64,
    F64,
}
