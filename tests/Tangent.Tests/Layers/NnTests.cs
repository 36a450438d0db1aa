using Tangent.Layers;

namespace Tangent.Tests.Layers;

/// <summary>The stax-style factory builds the same layers as the spec language.</summary>
public sealed class NnTests
{
    [Theory]
    [MemberData(nameof(Pairs))]
    public void FactoryAndSpecPrintTheSameArchitecture(Architecture built, string spec)
    {
        Assert.Equal(Architecture.Parse(spec).ToString(), built.ToString());
        var x = LayerTestUtil.RandomInputs(6, 3, 5);
        if (built.HasImageLayers) return;   // image architectures need a shape; their text equality is the check
        var a = built.ComputeKernels(x, null, built.HasNtk ? KernelOutputs.Both : KernelOutputs.Nngp);
        var b = Architecture.Parse(spec).ComputeKernels(x, null, built.HasNtk ? KernelOutputs.Both : KernelOutputs.Nngp);
        Assert.Equal(0, a.Nngp.MaxAbsDifference(b.Nngp));
    }

    public static TheoryData<Architecture, string> Pairs() => new()
    {
        { Nn.Network(Nn.Dense(1.5, 0.1), Nn.Relu(), Nn.Dense(1.5)), "dense(w=1.5,b=0.1) relu dense(w=1.5)" },
        { Nn.Network(Nn.Dense(1.2), Nn.Repeat(3, Nn.Erf(), Nn.Dense(1.4, 0.05))), "dense(w=1.2) repeat(3){erf dense(w=1.4,b=0.05)}" },
        { Nn.Network(Nn.Dense(), Nn.Parallel(Nn.Identity(), Nn.Serial(Nn.Dense(1.2), Nn.Relu(), Nn.Dense(1.3))), Nn.Dense()), "dense parallel{identity | dense(w=1.2) relu dense(w=1.3)} dense" },
        { Nn.Network(Nn.Dense(), Nn.Concat(Nn.Serial(Nn.Dense(0.5), Nn.Gelu()), Nn.Dense(2)), Nn.Dense()), "dense concat{dense(w=0.5) gelu | dense(w=2)} dense" },
        { Nn.Network(Nn.Dense(), Nn.LeakyRelu(0.2), Nn.Dense(), Nn.Sign(), Nn.Dense()), "dense leaky_relu(alpha=0.2) dense sign dense" },
        { Nn.Network(Nn.Conv(3, 1.41, 0.1), Nn.Relu(), Nn.AvgPool(2), Nn.Conv(3, 1.41), Nn.Relu(), Nn.GlobalAvgPool(), Nn.Dense()), "conv(size=3,w=1.41,b=0.1) relu avg_pool(size=2) conv(size=3,w=1.41) relu global_avg_pool dense" },
    };

    [Fact]
    public void FactoryArchitecturesAreCheckedLikeParsedOnes()
    {
        var e = Assert.Throws<NonGaussianInputException>(() => Nn.Network(Nn.Relu(), Nn.Dense()));
        Assert.Contains("start with a dense layer", e.Message);
    }
}
