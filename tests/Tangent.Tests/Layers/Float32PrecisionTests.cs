using System.Globalization;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;
using Xunit.Abstractions;

namespace Tangent.Tests.Layers;

/// <summary>
/// The dense engine's float32 input Gram (<see cref="ComputeOptions.Precision"/>) against float64, per activation family and
/// depth 1..5, NNGP and NTK, on MNIST-wide inputs (d = 784) that include near duplicates (ξ ≈ 1), an exact duplicate, an
/// antipode (ξ = −1) and rows whose squares overflow float32 (docs/PRECISION.md holds the table this prints).
/// </summary>
public sealed class Float32PrecisionTests(ITestOutputHelper output)
{
    private const int D = 784;

    /// <summary>Random N(0, 1) rows, non-negative sparse rows (as pixels), and the hard cases of the class summary.</summary>
    internal static Matrix Inputs()
    {
        var rng = new Random(2024);
        var rows = new List<double[]>();
        for (int i = 0; i < 14; i++) rows.Add([.. Enumerable.Range(0, D).Select(_ => TestData.Gaussian(rng))]);
        for (int i = 0; i < 6; i++) rows.Add([.. Enumerable.Range(0, D).Select(_ => rng.NextDouble() < 0.8 ? 0 : rng.NextDouble())]);
        rows.Add([.. rows[0].Select(v => v + 1e-3 * TestData.Gaussian(rng))]);   // near duplicates, 1 − ξ ≈ 5e-7 and 5e-13
        rows.Add([.. rows[0].Select(v => v + 1e-6 * TestData.Gaussian(rng))]);
        rows.Add([.. rows[15].Select(v => v + 1e-4 * rng.NextDouble())]);
        rows.Add([.. rows[1]]);                                                    // an exact duplicate
        rows.Add([.. rows[2].Select(v => -v)]);                                    // ξ = −1
        rows.Add([.. rows[3].Select(v => v * 1e20)]);                               // squares beyond float32's range
        rows.Add([.. rows[4].Select(v => v * 1e-25)]);                              // squares below float32's smallest number
        return Matrix.Build(rows.Count, D, (i, j) => rows[i][j]);
    }

    /// <summary>max over entries of |K32 − K64| / √(K64(x, x)·K64(x', x')), the error relative to the entry's natural scale.</summary>
    internal static double RelativeError(Matrix k64, Matrix k32)
    {
        double worst = 0;
        for (int i = 0; i < k64.Rows; i++)
            for (int j = 0; j < k64.Cols; j++)
            {
                Assert.True(double.IsFinite(k32[i, j]), $"float32 entry ({i + 1}, {j + 1}) is {k32[i, j]} where float64 is {k64[i, j]}");
                double scale = Math.Sqrt(Math.Abs(k64[i, i] * k64[j, j]));
                worst = Math.Max(worst, scale > 0 ? Math.Abs(k32[i, j] - k64[i, j]) / scale : Math.Abs(k32[i, j] - k64[i, j]));
            }
        return worst;
    }

    private static readonly Lazy<Matrix> X = new(Inputs);

    /// <summary>(max relative error of the NNGP, of the NTK (NaN without one)) at depth <paramref name="depth"/>.</summary>
    private static (double Nngp, double Ntk) Errors(string activation, int depth, Matrix x)
    {
        var arch = Architecture.Parse($"dense(w=1.2,b=0.1) repeat({depth}){{{activation} dense(w=1.2,b=0.1)}}");
        var outputs = arch.HasNtk ? KernelOutputs.Both : KernelOutputs.Nngp;
        var k64 = arch.ComputeKernels(x, null, outputs, ComputeOptions.Default);
        var k32 = arch.ComputeKernels(x, null, outputs, new ComputeOptions { Precision = Precision.Float32 });
        return (RelativeError(k64.Nngp, k32.Nngp), arch.HasNtk ? RelativeError(k64.Ntk, k32.Ntk) : double.NaN);
    }

    [Theory]
    [InlineData("relu", 1e-5, 2e-3)]
    [InlineData("leaky_relu(alpha=0.1)", 1e-5, 2e-3)]
    [InlineData("abs", 1e-5, 2e-3)]
    [InlineData("erf", 1e-5, 1e-5)]
    [InlineData("gelu", 1e-5, 1e-5)]
    [InlineData("sin", 1e-5, 1e-5)]
    [InlineData("cos", 1e-5, 1e-5)]
    [InlineData("gaussian", 1e-5, 1e-5)]
    [InlineData("sign", 1.0, double.NaN)]   // not safe: near duplicates (1 − ξ ≈ 5e-13) are lost to the Gram's rounding, docs/PRECISION.md
    public void Float32GramStaysWithinTheBoundOfEachActivationFamilyAtEveryDepth(string activation, double nngpBound, double ntkBound) =>
        Check(activation, nngpBound, ntkBound);

    [Theory]
    [InlineData("tanh", 1e-5, 1e-5)]
    [InlineData("softplus", 1e-5, 1e-5)]
    public void Float32GramStaysWithinTheBoundOfActivationsByQuadrature(string activation, double nngpBound, double ntkBound) =>
        Check(activation, nngpBound, ntkBound);

    private void Check(string activation, double nngpBound, double ntkBound, Matrix? x = null)
    {
        for (int depth = 1; depth <= 5; depth++)
        {
            var (nngp, ntk) = Errors(activation, depth, x ?? X.Value);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {activation} | {depth} | {nngp:0.0e+0} | {(double.IsNaN(ntk) ? "—" : ntk.ToString("0.0e+0", CultureInfo.InvariantCulture))} |"));
            Assert.True(nngp <= nngpBound, $"{activation} depth {depth}: NNGP error {nngp:G3} > {nngpBound:G3}");
            if (!double.IsNaN(ntkBound)) Assert.True(ntk <= ntkBound, $"{activation} depth {depth}: NTK error {ntk:G3} > {ntkBound:G3}");
        }
    }

    [Fact]
    public void AnExactDuplicateHasCorrelationOneAsInFloat64()
    {
        // Rows 2 and 24 are equal: with the variances taken from the same float32 sums, their kernel entry equals the diagonal
        // bit for bit, so the kink of relu's NTK at ξ = 1 costs nothing there.
        var arch = Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.4,b=0.1) relu dense(w=1)");
        var k = arch.ComputeKernels(X.Value, null, KernelOutputs.Both, new ComputeOptions { Precision = Precision.Float32 });
        Assert.Equal(k.Ntk[1, 1], k.Ntk[1, 23]);
        Assert.Equal(k.Nngp[1, 1], k.Nngp[23, 1]);
        var k64 = arch.ComputeKernels(X.Value, null, KernelOutputs.Both, ComputeOptions.Default);
        Assert.True(Math.Abs(k.Ntk[1, 23] - k64.Ntk[1, 23]) <= 1e-6 * k64.Ntk[1, 23]);
    }

    [Fact]
    public void TheFloat32CrossKernelEqualsTheSymmetricOneAndDefaultsStayFloat64()
    {
        var arch = Architecture.Parse("dense(w=1.5,b=0.1) erf dense(w=1.5)");
        var x = X.Value;
        var f32 = new ComputeOptions { Precision = Precision.Float32, TileSize = 7 };
        var sym = arch.ComputeKernels(x, null, KernelOutputs.Both, f32);
        var cross = arch.ComputeKernels(x, x.SliceRows(0, x.Rows), KernelOutputs.Both, f32);
        Assert.True(sym.Ntk.MaxAbsDifference(cross.Ntk) <= 1e-13 * sym.Ntk.Data.Max(Math.Abs));
        var d64 = arch.ComputeKernels(x, null, KernelOutputs.Both, ComputeOptions.Default);
        Assert.Equal(Precision.Float64, ComputeOptions.Default.Precision);
        Assert.True(d64.Ntk.MaxAbsDifference(sym.Ntk) > 0);   // float32 really changes the arithmetic
    }
}
