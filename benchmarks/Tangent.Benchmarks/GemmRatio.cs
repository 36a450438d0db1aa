using System.Diagnostics;
using Tangent.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// <c>quick gemm-ratio &lt;n&gt; [repeats]</c>: C ← A·B with square n×n operands, the managed provider and OpenBLAS
/// (native) alternating on the same matrices, best of the repeats each; prints GFLOP/s, GFLOP per CPU-second and
/// the ratio managed/native, with OpenBLAS's configuration (its core type) and the managed micro-kernel.
/// </summary>
public static class GemmRatio
{
    public static void Run(int n, int repeats)
    {
        var native = NativeProvider.Instance ?? throw new InvalidOperationException(NativeProvider.UnavailableReason);
        var managed = ManagedProvider.Instance;
        var a = ProviderBenchmark.RandomMatrix(n, n, 1);
        var b = ProviderBenchmark.RandomMatrix(n, n, 2);
        var cm = new double[(long)n * n];
        var cn = new double[(long)n * n];
        using var process = Process.GetCurrentProcess();
        (double Wall, double Cpu) Time(ILinearAlgebraProvider p, double[] c)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            p.Gemm(Op.None, Op.None, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
            double wall = sw.Elapsed.TotalSeconds;
            process.Refresh();
            return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
        }
        Time(managed, cm);
        Time(native, cn);
        (double Wall, double Cpu) bestM = (double.MaxValue, 0), bestN = (double.MaxValue, 0);
        for (int r = 0; r < repeats; r++)
        {
            var tn = Time(native, cn);
            if (tn.Wall < bestN.Wall) bestN = tn;
            var tm = Time(managed, cm);
            if (tm.Wall < bestM.Wall) bestM = tm;
        }
        double maxDiff = 0;
        for (long i = 0; i < cm.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(cm[i] - cn[i]));
        double flops = 2.0 * n * n * (double)n;
        double gm = flops / bestM.Wall / 1e9, gn = flops / bestN.Wall / 1e9;
        Console.WriteLine($"dgemm n={n}, best of {repeats}, alternating: native {gn:F1} GFLOP/s ({flops / bestN.Cpu / 1e9:F1} per CPU-s), " +
                          $"managed {gm:F1} GFLOP/s ({flops / bestM.Cpu / 1e9:F1} per CPU-s); managed/native = {gm / gn:F3} " +
                          $"(per CPU-s {bestN.Cpu / bestM.Cpu:F3}); max |difference| {maxDiff:G3}");
        Console.WriteLine($"  native: {native.Description}");
        Console.WriteLine($"  managed: {managed.Description}");
    }
}
