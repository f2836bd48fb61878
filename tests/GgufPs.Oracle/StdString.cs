namespace GgufPs.Oracle;

/// <summary>
/// libstdc++'s std::__cxx11::basic_string&lt;char&gt; as passed by const reference: a pointer to the characters (with a
/// NUL after them), the length, and the capacity (the 16-byte small-string buffer overlaps it and is unused here).
/// </summary>
internal unsafe struct StdString
{
    public byte* Data;
    public nuint Length;
    public nuint Capacity;
    public nuint Unused;
}
