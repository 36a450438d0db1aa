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
    private double SafeLearningRate(Matrix kernel) => 0.5 * 2.0 * YTrain.Rows * YTrain.Cols / kernel.Diagonal().Sum();

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
