using System.Text.RegularExpressions;
using Tangent.Layers;

namespace Tangent.Tests.Layers;

/// <summary>The one registry of the spec language (Tangent issue 10): parser, suggestions and docs agree with it.</summary>
public sealed class SpecRegistryTests
{
    public static TheoryData<string> Names() => [.. SpecRegistry.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryEntryBuiltWithDefaultsPrintsToASpecThatParsesBackEqual(string name)
    {
        Assert.True(SpecRegistry.TryGet(name, out var entry));
        var layer = Architecture.ParseLayer(entry.Example);
        string printed = layer.ToString()!;
        Assert.Equal(printed, Architecture.ParseLayer(printed).ToString());
        // A layer prints as its own name, or an alias as the name it stands for (swish → silu).
        if (!entry.IsCombinator) Assert.Contains(Regex.Match(printed, "^[a-z_]+").Value, SpecRegistry.Names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryEntryIsKnownToTheParser(string name)
    {
        Assert.True(SpecRegistry.TryGet(name, out var entry));
        Assert.Equal(name, entry.Name);
        // An unknown parameter names the entry's parameters (the same list the registry describes).
        if (entry.IsCombinator) return;
        var e = Assert.Throws<FormatException>(() => Architecture.ParseLayer($"{name}(zzz=1)"));
        Assert.Contains($"{name} has no parameter 'zzz'", e.Message);
        Assert.Contains(entry.Parameters.Count == 0 ? $"{name} takes no parameters." : $"{name} takes: {string.Join(", ", entry.Parameters.Select(p => p.Name))}.", e.Message);
    }

    [Fact]
    public void DescribeGivesParametersWithDefaultsAndRanges()
    {
        var dense = SpecRegistry.Describe("dense");
        Assert.Equal(["w", "b", "param", "width", "frozen"], dense.Select(p => p.Name));
        Assert.Equal(("frozen", SpecParameterKind.Enum, "false", "true or false"), Row(dense[4]));
        static (string, SpecParameterKind, string, string) Row(SpecParameter p) => (p.Name, p.Kind, p.Default, p.Range);
        Assert.Equal(("w", SpecParameterKind.Real, "1", "a finite number ≥ 0 (σw)"), Row(dense[0]));
        Assert.Equal(new SpecParameter("w", SpecParameterKind.Real, "1", "a finite number ≥ 0 (σw)"), dense[0]);
        Assert.Equal(("param", SpecParameterKind.Enum, "ntk", "ntk or standard"), Row(dense[2]));
        Assert.Equal(("width", SpecParameterKind.Int, "none", "≥ 1"), Row(dense[3]));
        Assert.Equal(("n", "1", "in 0..30"), SpecRegistry.Describe("hermite").Select(p => (p.Name, p.Default, p.Range)).Single());
        Assert.Equal("required", SpecRegistry.Describe("dropout").Single().Default);
        Assert.Equal(SpecParameterKind.List, SpecRegistry.Describe("polynomial").Single().Kind);
        Assert.Equal("size", SpecRegistry.Describe("avg_pool").Single(p => p.Name == "stride").Default);
        Assert.Empty(SpecRegistry.Describe("repeat"));
        Assert.True(SpecRegistry.TryGet("repeat", out var repeat) && repeat.IsCombinator);
    }

    [Fact]
    public void DescribeOfAnUnknownNameSuggestsTheClosest()
    {
        var e = Assert.Throws<ArgumentException>(() => SpecRegistry.Describe("gelo"));
        Assert.Contains("Unknown layer 'gelo'. Did you mean 'gelu'?", e.Message);
    }

    [Theory]
    [InlineData("hermite(n=-1)", "hermite: 'n' must be a whole number in 0..30, got '-1'.")]
    [InlineData("conv(dims=3)", "conv: 'dims' must be a whole number 1 or 2, got '3'.")]
    [InlineData("avg_pool(stride=0)", "avg_pool: 'stride' must be a whole number ≥ 1, got '0'.")]
    [InlineData("conv(padding=full)", "padding must be same, valid or circular, got 'full'.")]
    [InlineData("rbf(gamma=0)", "rbf: 'gamma' must be a finite number > 0")]
    public void ParserMessagesComeFromTheRegistryRanges(string spec, string message)
    {
        var e = Assert.Throws<FormatException>(() => Architecture.ParseLayer(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void DefaultsFromTheRegistryReachTheLayer()
    {
        Assert.Equal(Architecture.ParseLayer("conv(size=3,w=1,b=0,stride=1,padding=same,dims=2)").ToString(), Architecture.ParseLayer("conv").ToString());
        Assert.Equal(Architecture.ParseLayer("avg_pool(size=2,stride=2,padding=valid,dims=2)").ToString(), Architecture.ParseLayer("avg_pool").ToString());
        Assert.Equal("leaky_relu(alpha=0.01)", Architecture.ParseLayer("leaky_relu").ToString());
    }

    [Fact]
    public void TheLayerTableOfTheDocsListsExactlyTheRegistryNames()
    {
        var documented = LayerTableNames(File.ReadAllLines(FindDoc("LAYERS.md")));
        Assert.Equal(SpecRegistry.Names.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The spec names in the first column of the table under "### Layers": each `…` span's leading
    /// identifier (`dense(w,b,…)` → dense, `repeat(k){…}` → repeat); rows without one (C#-only) are skipped.
    /// </summary>
    private static List<string> LayerTableNames(string[] lines)
    {
        int at = Array.FindIndex(lines, l => l.Trim() == "### Layers");
        Assert.True(at >= 0, "docs/LAYERS.md has no '### Layers' section");
        int header = Array.FindIndex(lines, at, l => l.StartsWith("| Spec |", StringComparison.Ordinal));
        var names = new List<string>();
        for (int i = header + 2; i < lines.Length && lines[i].StartsWith('|'); i++)
        {
            string first = Regex.Split(lines[i], @"(?<!\\)\|")[1];   // cells split at unescaped pipes
            foreach (Match m in Regex.Matches(first, "`([a-z_]+)[^`]*`"))
                names.Add(m.Groups[1].Value);
        }
        return names;
    }

    private static string FindDoc(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}.");
    }
}
