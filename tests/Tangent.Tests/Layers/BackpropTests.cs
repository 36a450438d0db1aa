using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
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
        var ntk = EmpiricalKernels.Compute(net, x, null, KernelOutputs.Ntk).Ntk;

        // J(x) row by row: ∂f(x)[0]/∂θ by central differences over every parameter entry.
        var parameters = net.Parameters.ToList();
        int count = parameters.Sum(p => p.Data.Length);
        var jac = new Matrix(x.Rows, count);
        int col = 0;
        const double h = 1e-6;
        foreach (var p in parameters)
            for (int k = 0; k < p.Data.Length; k++, col++)
            {
                double keep = p.Data[k];
                p.Data[k] = keep + h; var fp = net.Forward(x);
                p.Data[k] = keep - h; var fm = net.Forward(x);
                p.Data[k] = keep;
                for (int i = 0; i < x.Rows; i++) jac[i, col] = (fp[i, 0] - fm[i, 0]) / (2 * h);
            }
        var expected = LinearAlgebra.Multiply(jac, jac, Op.None, Op.Transpose);
        Assert.True(RelativeFrobenius(ntk, expected) < 1e-7, $"backprop vs finite differences: {RelativeFrobenius(ntk, expected):G3}");
    }

    [Fact]
    public void EmpiricalNngpOfOneNetworkIsOutputGramOverWidth()
    {
        var arch = Architecture.Parse("dense(w=1.5) relu dense");
        var net = arch.Initialize(2, 8, new Random(1));
        var x = RandomInputs(3, 2, 2);
        var f = net.Forward(x);
        var k = EmpiricalKernels.Compute(net, x, RandomInputs(2, 2, 3), KernelOutputs.Nngp).Nngp;
        Assert.Equal(3, k.Rows);
        Assert.Equal(2, k.Cols);
        var f2 = net.Forward(RandomInputs(2, 2, 3));
        double expected = 0;
        for (int j = 0; j < f.Cols; j++) expected += f[1, j] * f2[0, j];
        Assert.Equal(expected / f.Cols, k[1, 0], 1e-12);
    }
}
