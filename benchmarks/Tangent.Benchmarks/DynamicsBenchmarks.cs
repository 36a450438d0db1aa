using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Infinite-ensemble predictions of issue 4: n train, n* test inputs, 20 time points (plus t = ∞),
/// mean and diagonal covariance, for the NTK ensemble (all layers trained) and the NNGP ensemble.
/// Kernels: one-hidden-layer ReLU NNGP/NTK (docs/MATH.md §2) of random inputs. One iteration per case:
/// run with <c>dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- --filter *Dynamics*</c>
/// (TANGENT_DYNAMICS_CASES=native-1000-200 for a quick check).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
[MemoryDiagnoser]
public class DynamicsBenchmarks
{
    /// <summary>"provider-train-test", e.g. native-5000-1000; the environment variable
    /// TANGENT_DYNAMICS_CASES (comma-separated) replaces the default list.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "native-5000-1000";

    /// <summary>The cases to run.</summary>
    public static IEnumerable<string> Cases =>
        Environment.GetEnvironmentVariable("TANGENT_DYNAMICS_CASES")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        ?? ["native-5000-1000", "managed-1000-200"];

    private DynamicsWorkload? _workload;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Case.Split('-');
        _workload = DynamicsWorkload.Create(int.Parse(parts[1]), int.Parse(parts[2]), LinearAlgebra.Resolve(LinearAlgebra.ParseKind(parts[0])));
    }

    [Benchmark(Description = "NTK ensemble: eigh + 20 times + ∞, mean + diag cov")]
    public double NtkEnsembleTrajectory() => _workload!.NtkTrajectory(out _);

    [Benchmark(Description = "NNGP ensemble: eigh + 20 times + ∞, mean + diag cov")]
    public double NngpEnsembleTrajectory() => _workload!.NngpTrajectory(out _);
}

/// <summary>The benchmark's data and work, usable outside BenchmarkDotNet (stage timings).</summary>
public sealed class DynamicsWorkload
{
    public required Matrix NtkTrainTrain { get; init; }
    public required Matrix NngpTrainTrain { get; init; }
    public required TestKernels Test { get; init; }
    public required Matrix YTrain { get; init; }
    public required ILinearAlgebraProvider Provider { get; init; }

    public static double[] Times() =>
        [.. Enumerable.Range(0, 20).Select(i => Math.Pow(10, 6.0 * i / 19)), double.PositiveInfinity];

    public static DynamicsWorkload Create(int n, int m, ILinearAlgebraProvider provider, int d = 16, int k = 10, int seed = 1)
    {
        var rng = new Random(seed);
        int total = n + m;
        var x = new double[total * d];
        for (int i = 0; i < x.Length; i++) x[i] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var q = new double[total];
        for (int i = 0; i < total; i++) { double s = 0; for (int c = 0; c < d; c++) s += x[i * d + c] * x[i * d + c]; q[i] = 2 * s / d + 0.1; }
        double Cross(int i, int j) { double s = 0; for (int c = 0; c < d; c++) s += x[i * d + c] * x[j * d + c]; return 2 * s / d + 0.1; }
        (double Nngp, double Ntk) Pair(int i, int j)
        {
            double q12 = Cross(i, j), norm = Math.Sqrt(q[i] * q[j]);
            double cos = Math.Clamp(q12 / norm, -1, 1), th = Math.Acos(cos);
            double nngp = 2 * norm * (Math.Sin(th) + (Math.PI - th) * cos) / (2 * Math.PI) + 0.1;
            return (nngp, nngp + 2 * q12 * (Math.PI - th) / (2 * Math.PI));
        }
        var kxx = new Matrix(n, n); var txx = new Matrix(n, n);
        Parallel.For(0, n, i => { for (int j = 0; j < n; j++) (kxx[i, j], txx[i, j]) = Pair(i, j); });
        var ktx = new Matrix(m, n); var ttx = new Matrix(m, n);
        Parallel.For(0, m, i => { for (int j = 0; j < n; j++) (ktx[i, j], ttx[i, j]) = Pair(n + i, j); });
        var ktt = new double[m];
        for (int i = 0; i < m; i++) ktt[i] = Pair(n + i, n + i).Nngp;
        var y = Matrix.Build(n, k, (i, c) => c == i % k ? 0.9 : -0.1);
        return new DynamicsWorkload
        {
            NtkTrainTrain = txx, NngpTrainTrain = kxx, YTrain = y, Provider = provider,
            Test = new TestKernels { NtkTestTrain = ttx, NngpTestTrain = ktx, NngpTestTestDiagonal = ktt },
        };
    }

    /// <summary>η = half the stability bound, computed from the kernel's trace (an upper bound on
    /// λ_max), so that the benchmark does not pay for an extra eigendecomposition.</summary>
    public double SafeLearningRate(Matrix kernel) => 0.5 * 2.0 * YTrain.Rows * YTrain.Cols / kernel.Diagonal().Sum();

    public double NtkTrajectory(out IReadOnlyList<EnsemblePrediction> result)
    {
        var e = InfiniteEnsemble.Ntk(NtkTrainTrain, NngpTrainTrain, YTrain, new DynamicsOptions { LearningRate = SafeLearningRate(NtkTrainTrain), Provider = Provider });
        result = e.PredictTrajectory(Times(), Test, CovarianceMode.Diagonal);
        return result[^2].Variance![0];
    }

    public double NngpTrajectory(out IReadOnlyList<EnsemblePrediction> result)
    {
        var e = InfiniteEnsemble.Nngp(NngpTrainTrain, YTrain, new DynamicsOptions { LearningRate = SafeLearningRate(NngpTrainTrain), Provider = Provider });
        result = e.PredictTrajectory(Times(), Test, CovarianceMode.Diagonal);
        return result[^2].Variance![0];
    }
}

/// <summary>Where the NTK-ensemble trajectory's time goes (<c>quick dynamics-stages n m [provider]</c>): the
/// eigendecomposition, the once-per-test-set products, the per-time work and t = ∞, each timed alone with the
/// library's own internals, then the whole trajectory as <see cref="DynamicsWorkload.NtkTrajectory"/> runs it.</summary>
public static class DynamicsStages
{
    public static void Run(int n, int m, ILinearAlgebraProvider p)
    {
        var w = DynamicsWorkload.Create(n, m, p);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double Lap() { double s = sw.Elapsed.TotalSeconds; sw.Restart(); return s; }
        double eta = 2.0 * w.YTrain.Rows * w.YTrain.Cols / w.NtkTrainTrain.Diagonal().Sum() * 0.5;
        var e = InfiniteEnsemble.Ntk(w.NtkTrainTrain, w.NngpTrainTrain, w.YTrain, new DynamicsOptions { LearningRate = eta, Provider = p });
        double tBuild = Lap();
        _ = e.MaxLearningRate; // the eigendecomposition
        double tEig = Lap();
        var eig = SymmetricEigen.Compute(w.NtkTrainTrain, p); // the same decomposition, for the stages below (untimed)
        Lap();
        var v = eig.Vectors;
        var z = LinearAlgebra.Multiply(w.Test.NtkTestTrain!, v, Op.None, Op.None, p);
        var c = LinearAlgebra.Multiply(w.Test.NngpTestTrain!, v, Op.None, Op.None, p);
        double tZc = Lap();
        var form = HalfQuadraticForm.Congruence(v, w.NngpTrainTrain, p);
        double tM = Lap();
        var work = new Matrix(m, n);
        var wz = DenseOps.ScaleColumns(z, [.. eig.Values.Select(l => 1 / l)]);
        Lap();
        form.QuadraticDiagonal(wz, work);
        double tHalf = Lap();
        var full = form.ToFull();
        Lap();
        GC.KeepAlive(LinearAlgebra.Multiply(wz, full, Op.None, Op.None, p));
        double tFull = Lap();
        GC.KeepAlive(c);
        var times = DynamicsWorkload.Times();
        var active = new List<int>();
        foreach (double t in times)
            if (double.IsFinite(t)) active.Add(eig.Values.Count(l => l * eta * t / (w.YTrain.Rows * w.YTrain.Cols) < 38));
        Lap();
        e.Predict(double.PositiveInfinity, w.Test);
        double tInf = Lap();
        w.NtkTrajectory(out _);
        double tAll = Lap();
        Console.WriteLine($"{p.Name} NTK ensemble stages n={n} m={m}: checks and copies {tBuild:F2} s, eigh {tEig:F2} s, Θ*ₓV + K*ₓV {tZc:F2} s, VᵀKₓₓV (half) {tM:F2} s, " +
                          $"per time diag(W·M·Wᵀ) {tHalf:F2} s (block triangle; full product {tFull:F2} s), t=∞ (Cholesky) {tInf:F2} s; " +
                          $"whole trajectory (eigh + 20 times + ∞) {tAll:F2} s. λ range [{eig.Values[0]:G3}, {eig.Values[^1]:G3}], " +
                          $"components not yet converged (λτ < 38) per time: {string.Join(' ', active)}");
    }
}

/// <summary><c>quick dynamics-ratio n m [provider]</c>: the NTK-ensemble trajectory of <see cref="DynamicsWorkload"/> in
/// numpy/scipy (benchmarks/ensemble_numpy.py, Neural Tangents' eigh method) and in Tangent, one after the other in
/// the same run on the same kernels (written to a temporary folder as .npy), with both times, the ratio and the
/// largest difference between the two results.</summary>
public static class DynamicsRatio
{
    public static void Run(int n, int m, ILinearAlgebraProvider p)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var w = DynamicsWorkload.Create(n, m, p);
        string dir = Directory.CreateTempSubdirectory("tangent-ensemble-").FullName;
        try
        {
            Tangent.Data.Npy.Write(Path.Combine(dir, "ntk_xx.npy"), w.NtkTrainTrain);
            Tangent.Data.Npy.Write(Path.Combine(dir, "nngp_xx.npy"), w.NngpTrainTrain);
            Tangent.Data.Npy.Write(Path.Combine(dir, "ntk_tx.npy"), w.Test.NtkTestTrain!);
            Tangent.Data.Npy.Write(Path.Combine(dir, "nngp_tx.npy"), w.Test.NngpTestTrain!);
            Tangent.Data.Npy.Write(Path.Combine(dir, "nngp_tt_diag.npy"), new Matrix(m, 1, (double[])w.Test.NngpTestTestDiagonal!.Clone()));
            Tangent.Data.Npy.Write(Path.Combine(dir, "y.npy"), w.YTrain);
            var times = DynamicsWorkload.Times();
            File.WriteAllText(Path.Combine(dir, "settings.txt"),
                $"{w.SafeLearningRate(w.NtkTrainTrain).ToString("R", inv)} {(w.YTrain.Rows * w.YTrain.Cols).ToString(inv)}\n" +
                string.Join(' ', times.Select(t => double.IsPositiveInfinity(t) ? "inf" : t.ToString("R", inv))) + "\n");
            string script = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "ensemble_numpy.py");
            if (!File.Exists(script)) script = Path.Combine("benchmarks", "ensemble_numpy.py");
            var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", [script, dir]) { RedirectStandardOutput = true };
            using (var py = System.Diagnostics.Process.Start(psi)!)
            {
                string line = py.StandardOutput.ReadToEnd().Trim();
                py.WaitForExit();
                if (py.ExitCode != 0) throw new InvalidOperationException($"{script} failed (exit {py.ExitCode}).");
                Console.WriteLine(line);
            }
            var proc = System.Diagnostics.Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            w.NtkTrajectory(out var ours);
            double wall = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
            var theirVar = Tangent.Data.Npy.ReadMatrix(Path.Combine(dir, "numpy_var.npy")); // T×n*
            var theirMean = Tangent.Data.Npy.Read(Path.Combine(dir, "numpy_mean.npy")).Values; // (T·n*)×k
            double dv = 0, dm = 0, scaleV = 0, scaleM = 0;
            for (int q = 0; q < times.Length; q++)
            {
                for (int i = 0; i < m; i++)
                {
                    dv = Math.Max(dv, Math.Abs(ours[q].Variance![i] - theirVar[q, i]));
                    scaleV = Math.Max(scaleV, Math.Abs(theirVar[q, i]));
                    for (int c = 0; c < w.YTrain.Cols; c++)
                    {
                        double theirs = theirMean.Data[(q * m + i) * w.YTrain.Cols + c];
                        dm = Math.Max(dm, Math.Abs(ours[q].Mean[i, c] - theirs));
                        scaleM = Math.Max(scaleM, Math.Abs(theirs));
                    }
                }
            }
            Console.WriteLine($"tangent {p.Name} ({p.Description}): NTK ensemble n={n} m={m}, {times.Length} times, mean + diagonal covariance: {wall:F2} s (CPU {cpu:F2} s); " +
                              $"largest difference from numpy: mean {dm / Math.Max(scaleM, 1e-300):E1}, variance {dv / Math.Max(scaleV, 1e-300):E1} (relative to the largest value)");
            var numpyTimes = File.ReadAllText(Path.Combine(dir, "numpy_time.txt")).Split(' ');
            double npWall = double.Parse(numpyTimes[0], inv), npCpu = double.Parse(numpyTimes[1], inv);
            Console.WriteLine($"numpy_time / tangent_time = {npWall / wall:F2} (CPU time: {npCpu / cpu:F2})");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
