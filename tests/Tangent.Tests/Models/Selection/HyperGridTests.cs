using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;

namespace Tangent.Tests.Models;

public sealed class HyperGridTests
{
    private static readonly ModelSpec Gaussian = new() { Kernel = ClassicalKernel.Gaussian(0.5) };
    private static readonly ModelSpec Relu = new() { Architecture = Architecture.Parse("dense(w=1.41) relu dense") };

    [Fact]
    public void ExpandGivesEveryCombinationWithKernelSettingsOutermost()
    {
        var grid = HyperGrid.Parse(" ridge=1e-4, 1 ;gamma=0.1,1");
        Assert.Equal(4, grid.Count);
        var points = grid.Expand(Gaussian);
        Assert.Equal(["gamma=0.1 ridge=1e-4", "gamma=0.1 ridge=1", "gamma=1 ridge=1e-4", "gamma=1 ridge=1"], points.Select(p => p.Label));
        Assert.Equal([0, 0, 1, 1], points.Select(p => p.KernelGroup));
        Assert.Equal([0.1, 0.1, 1, 1], points.Select(p => p.Spec.Kernel!.Gamma));
        Assert.Equal([1e-4, 1, 1e-4, 1], points.Select(p => p.Spec.Ridge.Value));
        Assert.All(points, p => Assert.False(p.Spec.Ridge.RelativeToMeanDiagonal));
        Assert.Equal([0, 1, 2, 3], points.Select(p => p.Index));
    }

    [Fact]
    public void GridArchitecturesTakeTheBaseModelsImageShape()
    {
        var shape = new ImageShape(8, 8, 1);
        var images = new ModelSpec { Architecture = Architecture.Parse("conv relu flatten dense").WithInputShape(shape) };
        var points = HyperGrid.Parse("arch=conv relu global_avg_pool dense | conv(size=5) relu flatten dense").Expand(images);
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Equal(shape, p.Spec.Architecture!.InputShape));
        Assert.All(HyperGrid.Parse("arch=dense relu dense").Expand(Relu), p => Assert.Null(p.Spec.Architecture!.InputShape));
    }

    [Fact]
    public void ArchitectureAlternativesAreSeparatedByBarsAndWAndBSetEveryDenseLayer()
    {
        var grid = HyperGrid.Parse("arch=dense(w=1.41) relu dense | dense erf dense(w=3,param=standard,width=7); get=nngp,ntk; w=2; b=0,0.1; time=10,inf; relridge=1e-3");
        var points = grid.Expand(Relu);
        Assert.Equal(2 * 2 * 2 * 2, points.Count);
        Assert.Equal(8, points.Select(p => p.KernelGroup).Distinct().Count());
        var first = points[0].Spec;
        Assert.Equal("dense(w=2) relu dense(w=2)", first.Architecture!.ToString());
        Assert.Equal(KernelOutputs.Nngp, first.Get);
        Assert.Equal(10, first.Time);
        Assert.True(first.Ridge.RelativeToMeanDiagonal);
        var last = points[^1].Spec;
        Assert.Equal("dense(w=2,b=0.1) erf dense(w=2,b=0.1,param=standard,width=7)", last.Architecture!.ToString());
        Assert.True(double.IsPositiveInfinity(last.Time));
        Assert.Equal("arch=2 get=ntk w=2 b=0.1 relridge=1e-3 time=inf", points[^1].Label);
    }

    [Fact]
    public void ScalingVariancesKeepsTheRatiosBetweenLayersAndConvolutions()
    {
        var arch = Architecture.Parse("conv(size=3,w=2,b=0.5,stride=2) relu flatten dense(w=1)");
        var scaled = ArchitectureScaling.ScaleVariances(arch, 4, 9);
        Assert.Equal("conv(size=3,w=4,b=1.5,stride=2) relu flatten dense(w=2)", scaled.ToString());
        Assert.True(ArchitectureScaling.HasBias(arch));
        Assert.False(ArchitectureScaling.HasBias(Relu.Architecture!));
    }

    [Fact]
    public void KernelAxisReplacesTheSourceAndGammaAutoIsScikitLearnScale()
    {
        var x = TestData.Random(20, 4, 3, scale: 2);
        var points = HyperGrid.Parse("kernel=rbf,laplace,linear; gamma=auto,2").Expand(Relu, x);
        Assert.Equal(6, points.Count);
        double mean = x.Data.Average(), variance = x.Data.Select(v => (v - mean) * (v - mean)).Average();
        Assert.Equal(1 / (4 * variance), points[0].Spec.Kernel!.Gamma, 12);
        Assert.Equal(KernelKind.Laplace, points[2].Spec.Kernel!.Kind);
        Assert.Null(points[0].Spec.Architecture);
        Assert.Equal(KernelKind.Linear, points[5].Spec.Kernel!.Kind);
    }

    [Theory]
    [InlineData("gama=0.1,1", "did you mean 'gamma'")]
    [InlineData("ridge=1,,2", "value 2 is empty")]
    [InlineData("ridge=", "value 1 is empty")]
    [InlineData("ridge=-1", "out of range")]
    [InlineData("ridge=abc", "'abc' is not a number")]
    [InlineData("gamma=0", "out of range")]
    [InlineData("kernel=gausian", "did you mean 'gaussian'")]
    [InlineData("get=both", "neither nngp nor ntk")]
    [InlineData("arch=dense relu | dense(w=x)", "alternative 'dense(w=x)' does not parse")]
    [InlineData("ridge=1; ridge=2", "given twice")]
    [InlineData("ridge=1; relridge=2", "keep one")]
    [InlineData("ridge 1", "has no '='")]
    [InlineData(" ; ", "The grid is empty")]
    public void MalformedGridsAreRefusedWithOneLineNamingTheFix(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => HyperGrid.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("gamma=1", "arch", "remove gamma")]
    [InlineData("time=10", "kernel", "needs an architecture")]
    [InlineData("w=1,2", "kernel", "needs an architecture")]
    [InlineData("kernel=linear; gamma=1", "kernel", "no effect on the linear kernel")]
    [InlineData("kernel=rbf; gamma=auto", "arch", "gamma=auto needs the training features")]
    public void AxesThatDoNotFitTheModelAreRefused(string text, string source, string expected)
    {
        var grid = HyperGrid.Parse(text);
        var e = Assert.ThrowsAny<ArgumentException>(() => grid.Expand(source == "arch" ? Relu : Gaussian));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DepthAndFixFollowTheUciProtocolAndSkipFixesThatFreezeEverything()
    {
        var grid = HyperGrid.Parse("arch=dense(w=1.41) repeat(1){relu dense(w=1.41)}; depth=1,2,3; fix=0,1,2,3; get=ntk; ridge=0.1");
        var notes = new List<string>();
        var points = grid.Expand(Relu, null, notes);
        // depth d has d + 1 parametrised layers: fix = 0..d leave at least the readout trainable.
        Assert.Equal(["depth=1 fix=0 get=ntk ridge=0.1", "depth=1 fix=1 get=ntk ridge=0.1",
                      "depth=2 fix=0 get=ntk ridge=0.1", "depth=2 fix=1 get=ntk ridge=0.1", "depth=2 fix=2 get=ntk ridge=0.1",
                      "depth=3 fix=0 get=ntk ridge=0.1", "depth=3 fix=1 get=ntk ridge=0.1", "depth=3 fix=2 get=ntk ridge=0.1", "depth=3 fix=3 get=ntk ridge=0.1"],
            points.Select(p => p.Label));
        Assert.Equal(9, points.Select(p => p.KernelGroup).Distinct().Count());
        Assert.Equal("dense(w=1.41) repeat(1){relu dense(w=1.41)}", points[0].Spec.Architecture!.ToString());
        Assert.Equal("dense(w=1.41,frozen=true) relu dense(w=1.41,frozen=true) repeat(2){relu dense(w=1.41)}", points[7].Spec.Architecture!.ToString());
        Assert.Equal(4, points[8].Spec.Architecture!.ParametrisedLayerCount);
        Assert.Equal(3, notes.Count);
        Assert.StartsWith("depth=1 fix=2 skipped: it would freeze all 2 parametrised layers", notes[0], StringComparison.Ordinal);
        Assert.StartsWith("depth=2 fix=3 skipped", notes[2], StringComparison.Ordinal);
        Assert.All(notes, n => Assert.DoesNotContain('\n', n));
    }

    [Fact]
    public void NngpPointsAreMadeOnlyAtFixZeroBecauseTheNngpDoesNotDependOnIt()
    {
        var arch = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.41) repeat(2){relu dense(w=1.41)}") };
        var both = HyperGrid.Parse("fix=1,2; get=nngp,ntk").Expand(arch);
        Assert.Equal(["fix=0 get=nngp", "fix=1 get=ntk", "fix=2 get=ntk"], both.Select(p => p.Label));
        Assert.DoesNotContain("frozen", both[0].Spec.Architecture!.ToString(), StringComparison.Ordinal);
        var withZero = HyperGrid.Parse("fix=0,1; get=nngp,ntk").Expand(arch);
        Assert.Equal(["fix=0 get=nngp", "fix=0 get=ntk", "fix=1 get=ntk"], withZero.Select(p => p.Label));
        Assert.Equal(["fix=0 get=nngp"], HyperGrid.Parse("fix=1,2; get=nngp").Expand(arch).Select(p => p.Label));
        Assert.Equal(["fix=0 ridge=1"], HyperGrid.Parse("fix=0,1,2; ridge=1").Expand(arch with { Get = KernelOutputs.Nngp }).Select(p => p.Label));
    }

    [Fact]
    public void DepthSetsTheOutermostLeftmostRepeat()
    {
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense parallel{identity | repeat(2){dense relu dense}} repeat(3){relu dense} repeat(4){erf dense}") };
        Assert.Equal(3, spec.Architecture!.FirstRepeatCount);
        var points = HyperGrid.Parse("depth=1,5").Expand(spec);
        Assert.Equal("dense parallel{identity | repeat(2){dense relu dense}} repeat(5){relu dense} repeat(4){erf dense}", points[1].Spec.Architecture!.ToString());
        Assert.Equal(1, points[0].Spec.Architecture!.FirstRepeatCount);
        Assert.Null(Relu.Architecture!.FirstRepeatCount);
    }

    [Theory]
    [InlineData("depth=0", "'0' is not a whole number in 1..100000")]
    [InlineData("depth=2.5", "'2.5' is not a whole number")]
    [InlineData("fix=-1", "'-1' is not a whole number in 0..100000")]
    [InlineData("fix=", "value 1 is empty")]
    [InlineData("depht=1", "did you mean 'depth'")]
    public void MalformedDepthAndFixAxesAreRefused(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => HyperGrid.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("depth=1,2", "arch", "'dense(w=1.41) relu dense' has none; write the repeated block as a repeat")]
    [InlineData("fix=2,3", "arch", "Grid axis 'fix' leaves no trainable layer at any point: fix=2 skipped")]
    [InlineData("depth=2", "kernel", "Grid axis 'depth' needs an architecture")]
    [InlineData("fix=1", "kernel", "Grid axis 'fix' needs an architecture")]
    public void DepthAndFixThatCannotApplyAreRefusedNamingTheFix(string text, string source, string expected)
    {
        var grid = HyperGrid.Parse(text);
        var e = Assert.ThrowsAny<ArgumentException>(() => grid.Expand(source == "arch" ? Relu : Gaussian));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheTextRoundTrips()
    {
        var grid = HyperGrid.Parse("time=10,inf; arch=dense relu dense|dense erf dense; ridge=1e-4,1");
        Assert.Equal("arch=dense relu dense | dense erf dense; ridge=1e-4,1; time=10,inf", grid.ToString());
        Assert.Equal(grid.ToString(), HyperGrid.Parse(grid.ToString()).ToString());
    }
}
