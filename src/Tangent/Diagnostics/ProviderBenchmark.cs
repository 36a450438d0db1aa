using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Tangent.Numerics;

namespace Tangent.Diagnostics;

/// <summary>The operation a benchmark timed.</summary>
public enum BenchmarkOperation
{
    /// <summary>C ← A·B with square n×n operands (DGEMM, 2n³ flops).</summary>
    Gemm,
    /// <summary>In-place Cholesky factorization of an n×n SPD matrix (DPOTRF, n³/3 flops).</summary>
    Cholesky,
}

/// <summary>One timing: the best of several repeats after a warm-up.</summary>
/// <param name="Operation">What was timed.</param>
/// <param name="Provider">The provider's short name.</param>
/// <param name="N">The matrix order.</param>
/// <param name="BestSeconds">The fastest repeat, in seconds.</param>
/// <param name="Repeats">How many timed repeats ran.</param>
/// <param name="CpuSeconds">Process CPU time (all threads) of the fastest repeat; on a busy shared
/// machine, <see cref="Flops"/>/CpuSeconds is a steadier figure than the wall-clock rate (though it
/// counts spin-waiting as work).</param>
public sealed record BenchmarkResult(BenchmarkOperation Operation, string Provider, int N, double BestSeconds, int Repeats, double CpuSeconds = double.NaN)
{
    /// <summary>Billions of floating-point operations per CPU-second (all threads) of the fastest repeat.</summary>
    public double GflopsPerCpuSecond => Flops / CpuSeconds / 1e9;

    /// <summary>Floating-point operations of one run: 2n³ for GEMM, n³/3 for Cholesky (LAPACK Working Note 41 counts).</summary>
    public double Flops => Operation == BenchmarkOperation.Gemm ? 2.0 * N * N * (double)N : (double)N * N * N / 3.0;

    /// <summary>Billions of floating-point operations per second of the best repeat.</summary>
    public double Gflops => Flops / BestSeconds / 1e9;
}

/// <summary>
/// An estimate (not a measurement) of the machine's FP64 peak: cores × clock × FLOPs per cycle,
/// with FLOPs per cycle = 2 FMA pipes × SIMD lanes × 2 (an FMA counts as two operations).
/// </summary>
/// <param name="Cores">Logical processors available to the process.</param>
/// <param name="Ghz">Clock in GHz (from /proc/cpuinfo "cpu MHz", the highest over cores; 0 when unknown).</param>
/// <param name="FlopsPerCycle">FP64 operations per cycle and core assumed.</param>
/// <param name="Source">Where the figures came from, for the report.</param>
public sealed record PeakEstimate(int Cores, double Ghz, int FlopsPerCycle, string Source)
{
    /// <summary>The estimated peak in GFLOP/s (0 when the clock is unknown).</summary>
    public double Gflops => Cores * Ghz * FlopsPerCycle;

    /// <summary>Estimates the peak of this machine.</summary>
    /// <remarks>
    /// The reported clock of a virtual machine is often the base clock; turbo can exceed it, and some
    /// cores (e.g. AMD Zen 4) run 512-bit FMAs as two 256-bit halves, so measured rates can be above
    /// or below this figure. Treat the fraction of peak as a rough guide.
    /// </remarks>
    public static PeakEstimate ForThisMachine()
    {
        int lanes = Vector512.IsHardwareAccelerated ? 8 : Vector256.IsHardwareAccelerated ? 4 : Vector128.IsHardwareAccelerated ? 2 : 1;
        int perCycle = 2 * lanes * 2;
        double mhz = 0;
        string source = "clock unknown";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (!line.StartsWith("cpu MHz", StringComparison.Ordinal)) continue;
                    int colon = line.IndexOf(':');
                    if (colon > 0 && double.TryParse(line[(colon + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                        mhz = Math.Max(mhz, v);
                }
                if (mhz > 0) source = "/proc/cpuinfo cpu MHz";
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return new PeakEstimate(Environment.ProcessorCount, mhz / 1000.0, perCycle,
            $"estimate: {Environment.ProcessorCount} cores × {mhz / 1000.0:F2} GHz ({source}) × {perCycle} FLOP/cycle (2 FMA pipes × {lanes} lanes × 2)");
    }
}

/// <summary>
/// Times the heavy routines of an <see cref="ILinearAlgebraProvider"/>: a warm-up run, then the best
/// of several repeats. Inputs are random with a fixed seed; the Cholesky input is made positive
/// definite by diagonal dominance, so building it costs O(n²) rather than a GEMM.
/// </summary>
public static class ProviderBenchmark
{
    /// <summary>Times C ← A·B for n×n matrices and returns the best of <paramref name="repeats"/> runs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or repeats is below 1.</exception>
    public static BenchmarkResult Gemm(ILinearAlgebraProvider provider, int n, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Check(n, repeats);
        var a = RandomMatrix(n, n, 1);
        var b = RandomMatrix(n, n, 2);
        var c = new double[(long)n * n];
        void Once() => provider.Gemm(Op.None, Op.None, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        Once();
        double best = double.PositiveInfinity, bestCpu = double.NaN;
        for (int r = 0; r < repeats; r++)
        {
            var (wall, cpu) = Time(Once);
            if (wall < best) (best, bestCpu) = (wall, cpu);
        }
        return new BenchmarkResult(BenchmarkOperation.Gemm, provider.Name, n, best, repeats, bestCpu);
    }

    /// <summary>Times the Cholesky factorization of an n×n SPD matrix; the best of <paramref name="repeats"/> runs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or repeats is below 1.</exception>
    /// <exception cref="InvalidOperationException">The provider reported a failed pivot (it should not, the input is SPD).</exception>
    public static BenchmarkResult Cholesky(ILinearAlgebraProvider provider, int n, int repeats = 3)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Check(n, repeats);
        var spd = DiagonallyDominantSpd(n, 3);
        var work = new double[spd.Length];
        (double Wall, double Cpu) Once()
        {
            spd.AsSpan().CopyTo(work);
            int info = 0;
            var t = Time(() => info = provider.Potrf(n, work, n));
            if (info != 0) throw new InvalidOperationException($"The {provider.Name} Cholesky failed at pivot {info} on a positive-definite benchmark matrix.");
            return t;
        }
        Once();
        double best = double.PositiveInfinity, bestCpu = double.NaN;
        for (int r = 0; r < repeats; r++)
        {
            var (wall, cpu) = Once();
            if (wall < best) (best, bestCpu) = (wall, cpu);
        }
        return new BenchmarkResult(BenchmarkOperation.Cholesky, provider.Name, n, best, repeats, bestCpu);
    }

    private static (double Wall, double Cpu) Time(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        action();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    /// <summary>Row-major values uniform in [-1, 1) from a fixed seed.</summary>
    internal static double[] RandomMatrix(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var d = new double[(long)rows * cols];
        for (long i = 0; i < d.Length; i++) d[i] = rng.NextDouble() * 2 - 1;
        return d;
    }

    /// <summary>A symmetric matrix with off-diagonal entries in [-1, 1) and diagonal n + 1: strictly
    /// diagonally dominant with a positive diagonal, hence positive definite (Gershgorin).</summary>
    internal static double[] DiagonallyDominantSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var d = new double[(long)n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) d[(long)i * n + j] = d[(long)j * n + i] = rng.NextDouble() * 2 - 1;
            d[(long)i * n + i] = n + 1;
        }
        return d;
    }

    private static void Check(int n, int repeats)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"The matrix order must be at least 1, got {n}.");
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), $"At least one repeat is needed, got {repeats}.");
    }
}
