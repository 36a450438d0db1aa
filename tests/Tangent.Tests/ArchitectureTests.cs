using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;
using Tangent.Cli;
using Tangent.Experiments;
using Tangent.Numerics;

namespace Tangent.Tests;

/// <summary>
/// Dependencies point one way (README.md, "Architecture of the code"): a namespace uses only the tiers before
/// it, never a sibling on its own tier, and the core assembly knows nothing of the command line or of charts.
/// </summary>
public class ArchitectureTests
{
    /// <summary>The tiers, lowest first; namespaces on one tier must not use each other.</summary>
    internal static readonly string[][] Tiers =
    [
        ["Tangent.Numerics"],
        ["Tangent.Engine"],
        ["Tangent.Diagnostics"],
        ["Tangent.Data"],
        ["Tangent.Kernels"],
        ["Tangent.Layers"],
        ["Tangent.Dynamics"],
        ["Tangent.Networks", "Tangent.Models"],
        ["Tangent.Experiments"],
        ["Tangent.Cli"],
    ];

    private static readonly Assembly Core = typeof(Matrix).Assembly;
    private static readonly Assembly[] All = [Core, typeof(Charts).Assembly, typeof(TangentCli).Assembly];

    /// <summary>One row per namespace: the namespaces it must not depend on (every later tier and its siblings).</summary>
    public static TheoryData<string, string[]> Rules()
    {
        var rows = new TheoryData<string, string[]>();
        for (int t = 0; t < Tiers.Length; t++)
            foreach (var ns in Tiers[t])
                rows.Add(ns, [.. Tiers[t].Where(s => s != ns), .. Tiers.Skip(t + 1).SelectMany(x => x)]);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void NamespaceDoesNotDependOnHigherLayers(string ns, string[] forbidden)
    {
        var offenders = Offenders(All, ns, forbidden);
        Assert.True(offenders.Count == 0,
            $"{ns} must not depend on {string.Join(", ", forbidden)}; offending types: {string.Join("; ", offenders)}. " +
            "Move the type to the layer it belongs to or invert the dependency (README.md, \"Architecture of the code\").");
    }

    [Fact]
    public void RuleCatchesAnUpwardReference()
    {
        // The rule must see a real reference: Tangent.Cli uses Tangent.Layers, so a rule forbidding it fails and names the type.
        var offenders = Offenders(All, "Tangent.Cli", ["Tangent.Layers"]);
        Assert.Contains(offenders, o => o.StartsWith("Tangent.Cli.", StringComparison.Ordinal) && o.EndsWith("→ Tangent.Layers", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryTypeLivesInALayer()
    {
        var known = Tiers.SelectMany(t => t).ToArray();
        var stray = All.SelectMany(a => a.GetTypes())
            .Where(t => !IsCompilerGenerated(t))
            .Where(t => !known.Any(ns => t.Namespace == ns || (t.Namespace ?? "").StartsWith(ns + ".", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(stray.Count == 0,
            $"types outside the layered namespaces ({string.Join(", ", known)}): {string.Join("; ", stray)}. " +
            "Put them in one of these namespaces or add the namespace to ArchitectureTests.Tiers and README.md.");
    }

    [Theory]
    [InlineData("System.CommandLine")]
    [InlineData("Spectre.Console")]
    [InlineData("ScottPlot")]
    public void CoreDoesNotReferenceFrontEndPackages(string package)
    {
        var referenced = Core.GetReferencedAssemblies().Select(a => a.Name).Where(n => n != null && n.StartsWith(package, StringComparison.Ordinal)).ToList();
        Assert.True(referenced.Count == 0, $"{Core.GetName().Name} references {string.Join(", ", referenced)}; {package} belongs in Tangent.Cli or Tangent.Experiments.");
        var offenders = Offenders([Core], "Tangent", [package]);
        Assert.True(offenders.Count == 0, $"{Core.GetName().Name} uses {package}: {string.Join("; ", offenders)}; move that code to Tangent.Cli or Tangent.Experiments.");
    }

    [Fact]
    public void CoreDoesNotReferenceOrleans()
    {
        var referenced = Core.GetReferencedAssemblies().Select(a => a.Name).Where(n => n != null && n.StartsWith("Orleans", StringComparison.Ordinal)).ToList();
        Assert.True(referenced.Count == 0, $"{Core.GetName().Name} references {string.Join(", ", referenced)}; Orleans belongs in Tangent.Cluster (docs/CLUSTER.md).");
        var offenders = Offenders([Core], "Tangent", ["Orleans"]);
        Assert.True(offenders.Count == 0, $"{Core.GetName().Name} uses Orleans: {string.Join("; ", offenders)}; move that code to Tangent.Cluster.");
    }

    /// <summary>True for types the compiler or a source generator emits (they or an enclosing type are named &lt;…&gt;).</summary>
    private static bool IsCompilerGenerated(Type t)
    {
        for (var u = t; u != null; u = u.DeclaringType)
            if (u.Name.StartsWith('<') || u.GetCustomAttribute<CompilerGeneratedAttribute>() != null) return true;
        return false;
    }

    /// <summary>"Type → namespace" for every type in <paramref name="ns"/> that depends on one of <paramref name="forbidden"/>.</summary>
    private static List<string> Offenders(Assembly[] assemblies, string ns, string[] forbidden)
    {
        var offenders = new List<string>();
        foreach (var f in forbidden)
        {
            var result = Types.InAssemblies(assemblies).That().ResideInNamespace(ns).ShouldNot().HaveDependencyOn(f).GetResult();
            if (!result.IsSuccessful) offenders.AddRange(result.FailingTypeNames.Select(t => $"{t} → {f}"));
        }
        return offenders;
    }
}
