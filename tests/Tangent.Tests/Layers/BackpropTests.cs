using Tangent.Layers;
using Tangent.Networks;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

public sealed class BackpropTests
{
    [Theory]
    [InlineData("dense(w=1.3,b=0.2) erf dense(w=0.7,b=0.5) gelu dense(w=1.1,b=0.1)")]
    [InlineData("dense(w=1.2,b=0.3,param=standard,width=4) sin parallel{dense(w=1.1,param=standard,width=4) erf dense(w=0.9,b=0.2,param=standard,width=4) | identity} dense(w=0.8,b=0.1,param=standard)")]
    [InlineData("dense(w=1.2) concat{erf dense(w=1.3,b=0.1) | gelu} repeat(2){dense(w=1.1,b=0.2) erf} dense")]
    public void EmpiricalNtkEqualsFiniteDifferenceJacobianProduct(string spec)
    {
        var arch = Architecture.Parse(spec);
        var net = arch.Initialize(3, 4, new Random(5));
        var x = RandomInputs(4, 3, 6);
        var ntk = Network.Create(arch, 3, 4, outputs: 4, seed: 5).Ntk(x);   // the same parameters as net

        var expected = FiniteDifferenceJacobianGram(net, x);   // J(x) by central differences, then J·Jᵀ
        Assert.True(RelativeFrobenius(ntk, expected) < 1e-7, $"backprop vs finite differences: {RelativeFrobenius(ntk, expected):G3}");
    }

    [Fact]
    public void EmpiricalNngpOfOneNetworkIsOutputGramOverWidth()
    {
        var arch = Architecture.Parse("dense(w=1.5) relu dense");
        var net = arch.Initialize(2, 8, new Random(1));
        var x = RandomInputs(3, 2, 2);
        var f = net.Forward(x);
        var k = Network.Create(arch, 2, 8, outputs: 8, seed: 1).Nngp(x, RandomInputs(2, 2, 3));   // the same parameters as net
        Assert.Equal(3, k.Rows);
        Assert.Equal(2, k.Cols);
        var f2 = net.Forward(RandomInputs(2, 2, 3));
        double expected = 0;
        for (int j = 0; j < f.Cols; j++) expected += f[1, j] * f2[0, j];
        Assert.Equal(expected / f.Cols, k[1, 0], 1e-12);
    }
}
