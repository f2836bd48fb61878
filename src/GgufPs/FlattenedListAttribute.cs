using System.Collections;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>
/// Flattens the lists in a string[] parameter's value, so that with ValueFromRemainingArguments
/// `... ./model.gguf Q8_0, Q4_K_M` binds three strings rather than failing on the nested array.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class FlattenedListAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        inputData is IList list ? Flatten(list).ToArray() : inputData;

    private static IEnumerable<object?> Flatten(IList list)
    {
        foreach (object? item in list)
        {
            object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
            if (value is IList inner)
            {
                foreach (object? nested in Flatten(inner))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return item;
            }
        }
    }
}
