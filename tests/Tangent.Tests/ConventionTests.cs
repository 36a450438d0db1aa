using System.Reflection;
using System.Text.RegularExpressions;

namespace Tangent.Tests;

/// <summary>
/// The test conventions (docs/CONTRIBUTING.md, "Tests"): a test is named by the sentence it asserts, in
/// PascalCase without underscores (<c>CholeskySolvesAndReportsFailingPivot</c>); a class of tests ends in
/// <c>Tests</c>; and tests mirror the source folders (the namespace Tangent.Tests.X holds the tests of
/// src/Tangent/X, of the Tangent.X project, or of the cross-cutting Reliability suite).
/// </summary>
public partial class ConventionTests
{
    private static IEnumerable<MethodInfo> TestMethods() =>
        typeof(ConventionTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*$")]
    private static partial Regex PascalCase();

    [Fact]
    public void TestNamesArePascalCaseSentencesWithoutUnderscores()
    {
        var bad = TestMethods().Where(m => !PascalCase().IsMatch(m.Name)).Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToList();
        Assert.True(bad.Count == 0, "Rename to PascalCase without underscores: " + string.Join(", ", bad));
    }

    [Fact]
    public void TestClassesEndInTests()
    {
        var bad = TestMethods().Select(m => m.DeclaringType!).Distinct().Where(t => !t.Name.EndsWith("Tests", StringComparison.Ordinal)).Select(t => t.FullName).ToList();
        Assert.True(bad.Count == 0, "Test classes end in 'Tests': " + string.Join(", ", bad));
    }

    [Fact]
    public void TestNamespacesMirrorTheSourceFolders()
    {
        // The source tree's namespaces (src/Tangent/X → Tangent.X, the Experiments, Cli and Cluster projects), plus the cross-cutting suite.
        var sources = typeof(Tangent.Numerics.Matrix).Assembly.GetTypes().Select(t => t.Namespace)
            .Concat(typeof(Tangent.Experiments.Report).Assembly.GetTypes().Select(t => t.Namespace))
            .Concat(typeof(Tangent.Cli.TangentCli).Assembly.GetTypes().Select(t => t.Namespace))
            .Concat(typeof(Tangent.Cluster.ClusterKernelJob).Assembly.GetTypes().Select(t => t.Namespace))
            .OfType<string>().Where(n => n.StartsWith("Tangent.", StringComparison.Ordinal))
            .Select(n => n["Tangent.".Length..]).ToHashSet();
        sources.Add("Reliability");
        var bad = TestMethods().Select(m => m.DeclaringType!).Distinct()
            .Where(t => t.Namespace != "Tangent.Tests")
            .Where(t => t.Namespace is not { } ns || !ns.StartsWith("Tangent.Tests.", StringComparison.Ordinal) || !Mirrors(ns["Tangent.Tests.".Length..], sources))
            .Select(t => t.FullName).ToList();
        Assert.True(bad.Count == 0, "Test namespaces (and folders) mirror src/: " + string.Join(", ", bad));
    }

    // Tangent.Tests.Layers.Images holds the tests of src/Tangent/Layers/Images (namespace Tangent.Layers): the first segment must be a source namespace.
    private static bool Mirrors(string ns, HashSet<string> sources) => sources.Contains(ns) || sources.Contains(ns.Split('.')[0]);
}
