using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>
/// llama_model_kv_override: tag (0 int, 1 float, 2 bool, 3 string), a 128-byte key, and a union of int64, double,
/// bool and a 128-byte string at offset 136. The array handed over ends with an empty key. The layout is checked by
/// KvOverridesReachTheOutput, which reads the keys back from llama.cpp's own output.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 264)]
internal unsafe struct LlamaModelKvOverride
{
    public const int Int = 0;
    public const int Float = 1;
    public const int Bool = 2;
    public const int String = 3;

    [FieldOffset(0)] public int Tag;
    [FieldOffset(4)] public fixed byte Key[128];
    [FieldOffset(136)] public long ValueInt;
    [FieldOffset(136)] public double ValueFloat;
    [FieldOffset(136)] public byte ValueBool;
    [FieldOffset(136)] public fixed byte ValueString[128];

    public static LlamaModelKvOverride Create(string key, object value)
    {
        var result = default(LlamaModelKvOverride);
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        for (int i = 0; i < keyBytes.Length && i < 127; i++)
        {
            result.Key[i] = keyBytes[i];
        }
        switch (value)
        {
            case string s:
                result.Tag = String;
                var bytes = System.Text.Encoding.UTF8.GetBytes(s);
                for (int i = 0; i < bytes.Length && i < 127; i++)
                {
                    result.ValueString[i] = bytes[i];
                }
                break;
            case bool b:
                result.Tag = Bool;
                result.ValueBool = b ? (byte)1 : (byte)0;
                break;
            case double or float:
                result.Tag = Float;
                result.ValueFloat = Convert.ToDouble(value);
                break;
            default:
                result.Tag = Int;
                result.ValueInt = Convert.ToInt64(value);
                break;
        }
        return result;
    }
}
