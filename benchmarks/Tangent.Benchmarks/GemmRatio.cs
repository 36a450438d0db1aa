using System.Diagnostics;
using Tangent.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// <c>quick gemm-ratio &lt;n&gt; [repeats]</c>: C ← A·B with square n×n operands, the managed provider and OpenBLAS
/// (native) alternating on the same matrices, best of the repeats each; prints GFLOP/s, GFLOP per CPU-second and
/// the ratio managed/native, with OpenBLAS's configuration (its core type) and the managed micro-kernel.
/// The environment variable <c>TANGENT_GEMM_SHAPE="m k [N|T] [N|T]"</c> measures C (m×n) ← op(A)·op(B) with depth k
/// instead (the shapes inside the eigensolver, e.g. <c>"96 2000"</c> or <c>"2000 96 T N"</c>).
/// </summary>
public static class GemmRatio
{
    public static void Run(int n, int repeats)
    {
        var native = NativeProvider.Instance ?? throw new InvalidOperationException(NativeProvider.UnavailableReason);
        var managed = ManagedProvider.Instance;
        int m = n, k = n;
        Op ta = Op.None, tb = Op.None;
        var shape = Environment.GetEnvironmentVariable("TANGENT_GEMM_SHAPE")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (shape is { Length: >= 2 })
        {
            m = int.Parse(shape[0]);
            k = int.Parse(shape[1]);
            if (shape.Length > 2 && shape[2] == "T") ta = Op.Transpose;
            if (shape.Length > 3 && shape[3] == "T") tb = Op.Transpose;
        }
        var a = ProviderBenchmark.RandomMatrix(m, k, 1);
        var b = ProviderBenchmark.RandomMatrix(k, n, 2);
        int lda = ta == Op.None ? k : m, ldb = tb == Op.None ? n : k;
        var cm = new double[(long)m * n];
        var cn = new double[(long)m * n];
        using var process = Process.GetCurrentProcess();
        (double Wall, double Cpu) Time(ILinearAlgebraProvider p, double[] c)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            p.Gemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
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
        double flops = 2.0 * m * n * (double)k;
        double gm = flops / bestM.Wall / 1e9, gn = flops / bestN.Wall / 1e9;
        Console.WriteLine($"dgemm m={m} n={n} k={k} {ta}/{tb}, best of {repeats}, alternating: native {gn:F1} GFLOP/s ({flops / bestN.Cpu / 1e9:F1} per CPU-s), " +
                          $"managed {gm:F1} GFLOP/s ({flops / bestM.Cpu / 1e9:F1} per CPU-s); managed/native = {gm / gn:F3} " +
                          $"(per CPU-s {bestN.Cpu / bestM.Cpu:F3}); max |difference| {maxDiff:G3}");
        Console.WriteLine($"  native: {native.Description}");
        Console.WriteLine($"  managed: {managed.Description}");
    }
}
