using System.Reflection;
using System.Runtime.CompilerServices;

namespace GgufPs.Tests;

/// <summary>
/// Pins GgufPs.Core's public surface: the object model the cmdlets emit and accept, and the services they and other
/// .NET callers use. Everything else is internal, so a type that becomes public (or stops being public) shows up as a
/// deliberate change to PublicSurface.txt.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly Core = typeof(GgufFile).Assembly;

    private static string ApprovedListPath => Path.GetFullPath(Path.Combine(FixturePaths.Root, "..", "GgufPs.Core.Tests", "PublicSurface.txt"));

    [Fact]
    public void PublicTypesAreTheApprovedOnes()
    {
        string[] approved = File.ReadAllLines(ApprovedListPath).Where(line => line.Length > 0).ToArray();
        Assert.Equal(approved.Order(StringComparer.Ordinal), approved);

        string[] exported = PinnedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        string[] added = exported.Except(approved, StringComparer.Ordinal).ToArray();
        string[] removed = approved.Except(exported, StringComparer.Ordinal).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            $"GgufPs.Core's public types differ from {ApprovedListPath}." +
            (added.Length > 0 ? $"\nNow public, not listed: {string.Join(", ", added)}" : "") +
            (removed.Length > 0 ? $"\nListed, no longer public: {string.Join(", ", removed)}" : "") +
            "\nMake the type internal, or update the list if the change is meant.");
    }

    [Fact]
    public void NoPublicMemberExposesARawPointer()
    {
        const BindingFlags visible = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var type in PinnedTypes())
        {
            foreach (var field in type.GetFields(visible).Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
            {
                if (field.FieldType.IsPointer)
                {
                    offenders.Add($"{type.FullName}.{field.Name}");
                }
            }
            foreach (var method in type.GetMethods(visible).Cast<MethodBase>().Concat(type.GetConstructors(visible))
                .Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
            {
                var types = method.GetParameters().Select(p => p.ParameterType);
                if (method is MethodInfo info)
                {
                    types = types.Append(info.ReturnType);
                }
                if (types.Any(t => t.IsPointer || (t.IsByRef && t.GetElementType()!.IsPointer)))
                {
                    offenders.Add($"{type.FullName}.{method.Name}");
                }
            }
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void TheCmdletAssemblySeesOnlyThePublicSurface()
    {
        var friends = Core.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToArray();
        Assert.DoesNotContain("GgufPs", friends);
        Assert.Contains("GgufPs.Core.Tests", friends);
    }

    private static IEnumerable<Type> PinnedTypes() => Core.GetExportedTypes();
}
