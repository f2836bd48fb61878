namespace GgufPs.Generation;

/// <summary>The strict "comes before" test of a sort, as the comparator object libstdc++'s algorithms take.</summary>
internal interface IOrdering<T>
{
    bool Before(in T a, in T b);
}
