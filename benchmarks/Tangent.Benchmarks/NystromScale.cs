using System.Diagnostics;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Issue 12's Nyström targets (docs/PERFORMANCE.md): Falkon-style regression on n synthetic points in
/// d = 20 with m centres, timed once; with <c>exact</c> also exact kernel ridge regression on the same
/// data (the tiled in-place Cholesky) and the relative differences of test error and predictions.
/// Run: <c>dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- quick nystrom N M [exact]</c>.
/// </summary>
internal static class NystromScale
{
    public static void Run(int n, int m, bool exact)
    {
        const int d = 20, nTest = 10_000;
        var (x, y) = Data(n, d, 1);
        var (xs, ys) = Data(nTest, d, 2);
        double gamma = Setting("TANGENT_NYSTROM_GAMMA", 0.01), perPoint = Setting("TANGENT_NYSTROM_LAMBDA", 1e-4);
        var kernel = ClassicalKernel.Gaussian(gamma);
        var ridge = Ridge.Absolute(perPoint * n);   // λ = n·λ₀: the per-point ridge of Falkon's objective held fixed as n grows
        var options = new ComputeOptions();
        var proc = Process.GetCurrentProcess();
        var sw = Stopwatch.StartNew();
        var iterations = new List<string>();
        var model = new NystromRegression(kernel)
        {
            Centres = m,
            Ridge = ridge,
            Tolerance = Setting("TANGENT_NYSTROM_TOL", 1e-6),
            BlockRows = Environment.GetEnvironmentVariable("TANGENT_NYSTROM_BLOCK") is { Length: > 0 } b ? int.Parse(b, System.Globalization.CultureInfo.InvariantCulture) : null,
            MaxIterations = 200,
            OnIteration = it => iterations.Add($"{it.Iteration}:{sw.Elapsed.TotalSeconds:F0}s"),
        }.Fit(x, y, options);
        double fit = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var pred = model.Predict(xs, options);
        double predict = sw.Elapsed.TotalSeconds;
        double mse = Metrics.MeanSquaredError(pred, ys);
        proc.Refresh();
        Console.WriteLine($"nystrom n={n} d={d} m={m} gaussian γ={gamma} λ={ridge.Value:G3}: fit {fit:F1} s ({model.Solve.Summary}), predict {nTest} {predict:F1} s, test MSE {mse:G6}, peak RSS {proc.PeakWorkingSet64 / (1 << 20)} MiB, provider {LinearAlgebra.Provider.Name}");
        Console.WriteLine($"  iterations (number:elapsed) {string.Join(' ', iterations)}");
        if (!exact) return;
        sw.Restart();
        var full = new KernelRegression(kernel) { Ridge = ridge, Solver = Solver.Cholesky }.Fit(x, y, options);
        var exactPred = full.Predict(xs, options);
        double exactSeconds = sw.Elapsed.TotalSeconds;
        double exactMse = Metrics.MeanSquaredError(exactPred, ys);
        proc.Refresh();
        Console.WriteLine($"exact n={n}: {exactSeconds:F1} s, test MSE {exactMse:G6}, peak RSS {proc.PeakWorkingSet64 / (1 << 20)} MiB");
        Console.WriteLine($"  test MSE nystrom/exact − 1 = {mse / exactMse - 1:P3}; ‖f_nystrom − f_exact‖/‖f_exact‖ = {pred.MaxAbsDifference(exactPred) / exactPred.FrobeniusNorm() * Math.Sqrt(nTest):G3} (max-abs, per-entry RMS scale); relative L2 {Relative(pred, exactPred):G3}");
    }

    private static double Setting(string name, double fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    private static double Relative(Matrix a, Matrix b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Data.Length; i++)
        {
            num += (a.Data[i] - b.Data[i]) * (a.Data[i] - b.Data[i]);
            den += b.Data[i] * b.Data[i];
        }
        return Math.Sqrt(num / den);
    }

    /// <summary>x ~ N(0, I_d); y = sin(x·w₁) + 0.5·cos(x·w₂) + 0.1·ε, fixed directions w (seed 0).</summary>
    private static (Matrix X, Matrix Y) Data(int n, int d, int seed)
    {
        var dir = new Random(0);
        var w1 = Enumerable.Range(0, d).Select(_ => dir.NextDouble() - 0.5).ToArray();
        var w2 = Enumerable.Range(0, d).Select(_ => dir.NextDouble() - 0.5).ToArray();
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new Matrix(n, d);
        var y = new Matrix(n, 1);
        for (int i = 0; i < n; i++)
        {
            double a = 0, b = 0;
            for (int j = 0; j < d; j++)
            {
                double v = Gauss();
                x[i, j] = v;
                a += v * w1[j];
                b += v * w2[j];
            }
            y[i, 0] = Math.Sin(a) + 0.5 * Math.Cos(b) + 0.1 * Gauss();
        }
        return (x, y);
    }
}
