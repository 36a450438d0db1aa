using Tangent.Cli;
using Tangent.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class BenchTests
{
    [Theory]
    [MemberData(nameof(ProviderTests.Providers), MemberType = typeof(ProviderTests))]
    public void ProviderBenchmarkTimesBothOperations(string name)
    {
        var p = ProviderTests.Get(name);
        var g = ProviderBenchmark.Gemm(p, 64, 2);
        var c = ProviderBenchmark.Cholesky(p, 64, 2);
        Assert.Equal(2.0 * 64 * 64 * 64, g.Flops);
        Assert.Equal(64.0 * 64 * 64 / 3, c.Flops, 6);
        Assert.True(g.BestSeconds > 0 && double.IsFinite(g.Gflops) && g.Gflops > 0);
        Assert.True(c.BestSeconds > 0 && double.IsFinite(c.Gflops) && c.Gflops > 0);
        Assert.Equal(name, g.Provider);
    }

    [Fact]
    public void BenchmarkInputIsPositiveDefinite()
    {
        var a = new Matrix(50, 50, ProviderBenchmark.DiagonallyDominantSpd(50, 1));
        Assert.Equal(a.Data, a.Transpose().Data);
        Assert.NotNull(Cholesky.TryCompute(a, out int pivot, ManagedProvider.Instance));
        Assert.Equal(0, pivot);
    }

    [Fact]
    public void PeakEstimateMultipliesCoresClockAndWidth()
    {
        var peak = PeakEstimate.ForThisMachine();
        Assert.Equal(Environment.ProcessorCount, peak.Cores);
        Assert.Contains(peak.FlopsPerCycle, new[] { 4, 8, 16, 32 });
        Assert.Equal(peak.Cores * peak.Ghz * peak.FlopsPerCycle, peak.Gflops, 9);
        Assert.StartsWith("estimate", peak.Source);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProviderBenchmark.Gemm(ManagedProvider.Instance, 0));
    }

    [Fact]
    public void BenchCommandPrintsATableAndRejectsBadOptions()
    {
        var output = new StringWriter();
        int rc = TangentCli.Run(["bench", "--gemm-n", "48", "--cholesky-n", "40", "--provider", "managed", "--repeats", "1"], output, new StringWriter());
        Assert.Equal(TangentCli.Ok, rc);
        string text = output.ToString();
        Assert.Contains("Gemm", text);
        Assert.Contains("Cholesky", text);
        Assert.Contains("GFLOP/s", text);
        Assert.Contains("estimate", text);

        var error = new StringWriter();
        Assert.Equal(TangentCli.BadInput, TangentCli.Run(["bench", "--provider", "gpu"], new StringWriter(), error));
        Assert.Contains("managed, native or all", error.ToString());
        Assert.Equal(TangentCli.BadInput, TangentCli.Run(["bench", "--repeats", "0"], new StringWriter(), new StringWriter()));
    }
}
