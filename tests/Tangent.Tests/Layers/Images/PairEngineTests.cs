using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Layers.Images;

/// <summary>
/// The pair engine (docs/CONVOLUTION.md, "The pair engine"): every entry of its kernel matrices against the plain
/// per-pair recursion <see cref="ConvolutionalKernel.Kernel"/>, on the diagonal and the full layout, with the rows of a
/// large pair shared among threads, for any thread count, and in float32 against float64.
/// </summary>
public class PairEngineTests
{
    private static Matrix Images(int n, ImageShape shape, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, shape.Features, (_, _) => rng.NextDouble() * 2 - 1);
    }

    private static void AgreesWithTheRecursion(string spec, ImageShape shape, int n, int? threads, double tolerance)
    {
        var ck = new ConvolutionalKernel(Architecture.Parse(spec), shape);
        Assert.NotNull(ck.CreatePairEngine<double>());
        var x = Images(n, shape, 3);
        var y = Images(n - 1, shape, 4);
        var sym = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = threads });
        var cross = ck.Compute(x, y, KernelOutputs.Both, new ComputeOptions { MaxThreads = threads });
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var r = ck.Kernel(x.Row(i), x.Row(j));
                Assert.True(Math.Abs(sym.Nngp![i, j] - r.Nngp) <= tolerance * (1 + Math.Abs(r.Nngp)), $"{spec}: NNGP[{i},{j}] {sym.Nngp[i, j]:R} against {r.Nngp:R}");
                Assert.True(Math.Abs(sym.Ntk![i, j] - r.Ntk) <= tolerance * (1 + Math.Abs(r.Ntk)), $"{spec}: NTK[{i},{j}] {sym.Ntk[i, j]:R} against {r.Ntk:R}");
                if (j < n - 1)
                {
                    var c = ck.Kernel(x.Row(i), y.Row(j));
                    Assert.True(Math.Abs(cross.Ntk![i, j] - c.Ntk) <= tolerance * (1 + Math.Abs(c.Ntk)), $"{spec}: cross NTK[{i},{j}] {cross.Ntk[i, j]:R} against {c.Ntk:R}");
                }
            }
    }

    [Theory]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)")]
    [InlineData("conv(size=3,w=1.3,stride=2,padding=valid) abs conv(size=2,w=1.2,b=0.3) erf flatten dense(w=1) relu dense(w=1)")]
    [InlineData("conv(size=3,w=1.41,frozen=true) leaky_relu(alpha=0.2) conv_transpose(size=2,w=1.1,stride=2) relu flatten")]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu relu conv(size=1,w=1.2) gelu global_avg_pool dense(w=1)")]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu global_sum_pool")]
    public void EveryEntryAgreesWithThePerPairRecursion(string spec) =>
        AgreesWithTheRecursion(spec, new ImageShape(7, 6, 2), 5, null, 1e-12);

    [Theory]
    [InlineData("conv(size=3,w=1.2,b=0.3,padding=valid) erf(a=1.5,b=0.7,c=0.2) conv(size=2,w=1.3) relu flatten dense(w=1)", true)]
    [InlineData("conv(size=3,w=1.2,padding=valid) erf(a=1.5,b=0.7,c=0.2) conv(size=2,w=1.3,b=0.2) abs global_avg_pool", true)]
    [InlineData("conv(size=5,w=1.41,b=0.1) relu conv(size=4,w=1.3) gelu conv(size=3,w=1.2,b=0.1,padding=valid) relu global_sum_pool", true)]
    [InlineData("conv(size=3,w=1.3,dims=1) relu conv(size=2,w=1.2,b=0.1,dims=1) erf(a=1.5,b=0.7,c=0.2) flatten dense(w=1)", true)]
    [InlineData("conv(size=3,w=1.3,padding=circular) relu flatten", false)]
    [InlineData("conv(size=3,w=1.3,stride=2) relu flatten", false)]
    public void FramedStencilsAgreeWithThePerPairRecursion(string spec, bool framed)
    {
        // Stride-1 convolutions (same or valid padding, odd and even sizes, 1-D) run as stencils on a zero-padded
        // frame; a valid convolution shrinks the image inside the frame and erf with an offset maps the zero border
        // to a non-zero value, so the border must be cleared after every step.
        var shape = new ImageShape(8, 7, 2);
        Assert.Equal(framed, new ConvolutionalKernel(Architecture.Parse(spec), shape).CreatePairEngine<double>()!.Framed);
        AgreesWithTheRecursion(spec, shape, 4, null, 1e-12);
    }

    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void The512BitAnd256BitPathsGiveTheSameBits(Precision precision)
    {
        // VectorMath.Wide picks 512-bit vectors first (AVX-512); both widths must be tested on any processor (Vector512 is
        // emulated without AVX-512). Lane for lane they do the same operations, so the kernels agree to the last bit.
        var shape = new ImageShape(9, 8, 2);
        var arch = Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) leaky_relu(alpha=0.1) flatten dense(w=1)").WithInputShape(shape);
        var x = Images(4, shape, 5);
        var options = new ComputeOptions { Precision = precision };
        bool before = Tangent.Layers.VectorMath.Wide;
        try
        {
            Tangent.Layers.VectorMath.Wide = false;
            var narrow = arch.ComputeKernels(x, null, KernelOutputs.Both, options);
            Tangent.Layers.VectorMath.Wide = true;
            var wide = arch.ComputeKernels(x, null, KernelOutputs.Both, options);
            Assert.Equal(narrow.Nngp!.Data, wide.Nngp!.Data);
            Assert.Equal(narrow.Ntk!.Data, wide.Ntk!.Data);
        }
        finally { Tangent.Layers.VectorMath.Wide = before; }
    }

    [Fact]
    public void ShiftsDescribeStrideOneWindowsExactlyAndNothingElse()
    {
        var same = PairEngine<double>.Shifts(new WindowGeometry(7, 5, 3, 3, 1, 1, Padding.Same, "t"))!;
        Assert.Equal([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0), (1, 1)], same);
        var valid = PairEngine<double>.Shifts(new WindowGeometry(7, 5, 2, 3, 1, 1, Padding.Valid, "t"))!;
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], valid);
        var even = PairEngine<double>.Shifts(new WindowGeometry(6, 6, 4, 4, 1, 1, Padding.Same, "t"))!;
        Assert.Equal(16, even.Length);
        Assert.Equal((-1, -1), even[0]);   // same padding with an even window puts the extra row and column after
        Assert.Null(PairEngine<double>.Shifts(new WindowGeometry(7, 5, 3, 3, 2, 2, Padding.Same, "t")));
        Assert.Null(PairEngine<double>.Shifts(new WindowGeometry(7, 5, 3, 3, 1, 1, Padding.Circular, "t")));
        Assert.Null(PairEngine<double>.Shifts(WindowGeometry.Transposed(4, 4, 2, 2, 2, 2, Padding.Same, "t")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ALargePairSharesItsRowsAndStillAgrees(int threads)
    {
        // 12×12 pixels: 20,736 pixel pairs, above the size at which one pair's rows are shared among the threads.
        Assert.True(144 * 144 >= ConvolutionalKernel.RowParallelPairs);
        AgreesWithTheRecursion("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu global_avg_pool dense(w=1)", new ImageShape(12, 12, 3), 3, threads, 1e-12);
    }

    [Fact]
    public void TheResultDoesNotDependOnTheThreadCount()
    {
        var ck = new ConvolutionalKernel(Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)"), new ImageShape(9, 8, 1));
        var x = Images(23, new ImageShape(9, 8, 1), 5);
        var one = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = 1 });
        var many = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = 4, TileSize = 3 });
        Assert.Equal(one.Nngp!.Data, many.Nngp!.Data);
        Assert.Equal(one.Ntk!.Data, many.Ntk!.Data);
    }

    [Theory]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)", 28, 1)]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) erf global_avg_pool dense(w=1)", 8, 3)]
    public void Float32StaysCloseToFloat64AndTheDiagonalIsExactToDouble(string spec, int side, int channels)
    {
        var shape = new ImageShape(side, side, channels);
        var ck = new ConvolutionalKernel(Architecture.Parse(spec), shape);
        var x = Images(12, shape, 9);
        var d = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions());
        var f = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { Precision = Precision.Float32 });
        double worst = 0;
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
            {
                double en = Math.Abs(f.Nngp![i, j] - d.Nngp![i, j]) / Math.Abs(d.Nngp[i, i]);
                double et = Math.Abs(f.Ntk![i, j] - d.Ntk![i, j]) / Math.Abs(d.Ntk[i, i]);
                worst = Math.Max(worst, Math.Max(en, et));
                if (i == j)
                {
                    Assert.Equal(d.Nngp[i, i], f.Nngp[i, i], 12);   // the diagonal runs in double
                    Assert.Equal(d.Ntk[i, i], f.Ntk[i, i], 12);
                }
            }
        Assert.True(worst < 1e-5, $"float32 differs from float64 by {worst:G3} of the diagonal");
        Assert.True(worst > 0, "float32 gave exactly the float64 result: the float32 path was not taken");
    }

    [Fact]
    public void RunsCoverEveryValidTapOnce()
    {
        foreach (var g in new[] { new WindowGeometry(7, 5, 3, 3, 1, 1, Padding.Same, "t"), new WindowGeometry(9, 8, 3, 2, 2, 1, Padding.Valid, "t") })
        {
            var runs = PairEngine<double>.Runs(g);
            for (int tap = 0; tap < g.WindowSize; tap++)
            {
                var seen = new int[g.OutPixels];
                foreach (var r in runs[tap])
                    for (int k = 0; k < r.Length; k++)
                    {
                        Assert.Equal(g.Index[(r.Dst + k) * g.WindowSize + tap], r.Src + k);
                        seen[r.Dst + k]++;
                    }
                for (int o = 0; o < g.OutPixels; o++) Assert.Equal(g.Index[o * g.WindowSize + tap] >= 0 ? 1 : 0, seen[o]);
            }
        }
    }
}
