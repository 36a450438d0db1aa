using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>One accepted point of an <see cref="EvidenceOptimizer"/> run.</summary>
/// <param name="Iteration">0 for the starting point.</param>
/// <param name="LogLikelihood">The evidence at this point.</param>
/// <param name="Parameters">The parameters in log space (see <see cref="EvidenceParameter"/>).</param>
/// <param name="GradientNorm">The largest |∂ log p/∂θ| at this point.</param>
/// <param name="Spec">The model at this point (the noise as an absolute ridge).</param>
public sealed record EvidenceStep(int Iteration, double LogLikelihood, IReadOnlyDictionary<EvidenceParameter, double> Parameters, double GradientNorm, ModelSpec Spec);

/// <summary>The result of <see cref="EvidenceOptimizer.Maximize"/>.</summary>
/// <param name="Best">The model with the largest evidence found.</param>
/// <param name="LogLikelihood">Its evidence.</param>
/// <param name="Trace">Every accepted point, the start first.</param>
/// <param name="StopReason">Why the iteration stopped, in words.</param>
public sealed record EvidenceOptimization(ModelSpec Best, double LogLikelihood, IReadOnlyList<EvidenceStep> Trace, string StopReason);

/// <summary>Stopping rules and steps of <see cref="EvidenceOptimizer"/>.</summary>
public sealed record EvidenceOptimizerOptions
{
    /// <summary>At most this many BFGS iterations (default 40).</summary>
    public int MaxIterations { get; init; } = 40;

    /// <summary>Stop when every |∂ log p/∂θ| ≤ this · n·k (default 1e-6: the evidence is a sum over n·k targets).</summary>
    public double GradientTolerance { get; init; } = 1e-6;

    /// <summary>Stop when an accepted step improves the evidence by less than this · max(1, |log p|) (default 1e-10).</summary>
    public double RelativeImprovement { get; init; } = 1e-10;

    /// <summary>No step moves a parameter by more than this in log space (default 2, a factor e² ≈ 7.4).</summary>
    public double MaxStep { get; init; } = 2;

    /// <summary>The starting noise variance, as a factor of mean(diag K), when the spec has no ridge (default 1e-2; the log needs σ² &gt; 0).</summary>
    public double InitialRelativeNoise { get; init; } = 1e-2;
}

/// <summary>
/// Maximizes the GP log marginal likelihood (<see cref="GpEvidence"/>) over the continuous hyperparameters in log
/// space (docs/SELECTION.md): BFGS with a backtracking (Armijo) line search, starting from the given spec (e.g. the
/// best point of a grid). Stops at <see cref="EvidenceOptimizerOptions.MaxIterations"/>, when the gradient is below
/// its tolerance, when an accepted step barely improves the evidence, or when the line search finds no better point
/// in 30 halvings. A trial point whose K + σ²I is not positive definite counts as a failed trial.
/// </summary>
public static class EvidenceOptimizer
{
    /// <summary>Maximizes the evidence of <paramref name="baseSpec"/>'s continuous hyperparameters on <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">An NTK model or a finite time (see <see cref="GpEvidence"/>).</exception>
    /// <exception cref="NotPositiveDefiniteException">K + σ²I is not positive definite at the start.</exception>
    public static EvidenceOptimization Maximize(ModelSpec baseSpec, LabeledData train, EvidenceOptimizerOptions? settings = null,
        ComputeOptions? options = null, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseSpec);
        ArgumentNullException.ThrowIfNull(train);
        settings ??= new EvidenceOptimizerOptions();
        options ??= ComputeOptions.Default;
        var quiet = options with { Progress = null };
        baseSpec.Validate();
        ModelSelection.RequireGaussianProcess(baseSpec);
        var data = ModelSelection.Prepared.From(baseSpec, train);

        // The noise becomes an absolute ridge (σ² > 0 so that its log exists).
        var k0 = ModelSelection.KernelMatrix(baseSpec, data.X, quiet);
        double noise = baseSpec.Ridge.ValueFor(k0);
        if (!(noise > 0)) noise = settings.InitialRelativeNoise * Math.Max(Ridge.Relative(1).ValueFor(k0), 1e-300);
        var start = baseSpec with { Ridge = Ridge.Absolute(noise) };
        var parameters = GpEvidence.Parameters(start);
        int p = parameters.Count;
        double scale = data.Y.Rows * data.Y.Cols;

        // Points are the spec at offsets θ (log space) from the start.
        ModelSpec At(double[] theta)
        {
            var s = start;
            for (int i = 0; i < p; i++) s = GpEvidence.Shift(s, parameters[i], theta[i]);
            return s;
        }
        Dictionary<EvidenceParameter, double> Logs(ModelSpec s) => parameters.ToDictionary(q => q, q => q switch
        {
            EvidenceParameter.Noise => Math.Log(s.Ridge.Value),
            EvidenceParameter.Gamma => Math.Log(s.Kernel!.Gamma),
            _ => 0,
        });
        (double L, double[] G)? Eval(double[] theta, bool gradient)
        {
            try
            {
                var v = GpEvidence.Evaluate(At(theta), data.X, data.Y, gradient, quiet);
                return (v.LogLikelihood, gradient ? parameters.Select(q => v.Gradient[q]).ToArray() : []);
            }
            catch (NotPositiveDefiniteException) when (theta.Any(t => t != 0)) { return null; }
        }

        var theta = new double[p];
        var (f, g) = Eval(theta, true)!.Value;
        var logs0 = Logs(start);
        var trace = new List<EvidenceStep> { new(0, f, Offsets(logs0, parameters, theta), g.Max(Math.Abs), start) };
        var h = Identity(p);   // inverse Hessian of −L
        string reason = $"reached {settings.MaxIterations} iterations";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int it = 1; it <= settings.MaxIterations; it++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            if (g.Max(Math.Abs) <= settings.GradientTolerance * scale) { reason = "gradient below tolerance"; break; }
            // Ascent direction d = H·g (H approximates the inverse Hessian of −L); capped at MaxStep per parameter.
            var d = new double[p];
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) d[i] += h[i, j] * g[j];
            double slope = Dot(d, g);
            if (!(slope > 0)) { h = Identity(p); d = (double[])g.Clone(); slope = Dot(d, g); }
            double cap = d.Max(Math.Abs);
            double step = cap > settings.MaxStep ? settings.MaxStep / cap : 1;
            double[]? next = null;
            double fNext = double.NaN;
            for (int tries = 0; tries < 30; tries++, step *= 0.5)
            {
                var trial = theta.Select((t, i) => t + step * d[i]).ToArray();
                var e = Eval(trial, false);
                if (e is { } ok && ok.L >= f + 1e-4 * step * slope) { next = trial; fNext = ok.L; break; }
            }
            if (next is null) { reason = "line search found no better point (a maximum to working precision)"; break; }
            var (_, gNext) = Eval(next, true)!.Value;
            // BFGS update for −L: s = Δθ, y = −Δg.
            var sVec = next.Select((t, i) => t - theta[i]).ToArray();
            var yVec = gNext.Select((t, i) => -(t - g[i])).ToArray();
            double sy = Dot(sVec, yVec);
            if (sy > 1e-12 * Math.Sqrt(Dot(sVec, sVec) * Dot(yVec, yVec)))
                h = BfgsUpdate(h, sVec, yVec, sy);
            double improvement = fNext - f;
            theta = next; f = fNext; g = gNext;
            trace.Add(new EvidenceStep(it, f, Offsets(logs0, parameters, theta), g.Max(Math.Abs), At(theta)));
            progress?.Report(new ProgressInfo(it, settings.MaxIterations, $"evidence: iteration {it}, log p = {f:G6}", clock.Elapsed));
            if (improvement <= settings.RelativeImprovement * Math.Max(1, Math.Abs(f))) { reason = "improvement below tolerance"; break; }
        }
        var best = trace.MaxBy(s => s.LogLikelihood)!;
        return new EvidenceOptimization(best.Spec, best.LogLikelihood, trace, reason);
    }

    private static Dictionary<EvidenceParameter, double> Offsets(Dictionary<EvidenceParameter, double> logs0, IReadOnlyList<EvidenceParameter> ps, double[] theta) =>
        ps.Select((q, i) => (q, i)).ToDictionary(t => t.q, t => logs0[t.q] + theta[t.i]);

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[,] Identity(int p)
    {
        var m = new double[p, p];
        for (int i = 0; i < p; i++) m[i, i] = 1;
        return m;
    }

    /// <summary>H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs).</summary>
    private static double[,] BfgsUpdate(double[,] h, double[] s, double[] y, double sy)
    {
        int p = s.Length;
        double rho = 1 / sy;
        var a = new double[p, p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) a[i, j] = (i == j ? 1 : 0) - rho * s[i] * y[j];
        var ah = new double[p, p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) for (int l = 0; l < p; l++) ah[i, j] += a[i, l] * h[l, j];
        var r = new double[p, p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++)
        {
            double v = 0;
            for (int l = 0; l < p; l++) v += ah[i, l] * a[j, l];
            r[i, j] = v + rho * s[i] * s[j];
        }
        return r;
    }
}
