using System.Globalization;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Soft-impute (Mazumder, Hastie &amp; Tibshirani, "Spectral regularization algorithms for learning large incomplete
/// matrices", JMLR 11, 2010; docs/COMPLETION.md), the nuclear-norm baseline: it minimises
/// ½‖P_Ω(X − Z)‖²_F + λ‖Z‖_* by iterating Z ← S_λ(P_Ω(X) + P_Ω⊥(Z)), where S_λ soft-thresholds the singular values
/// (σ → max(σ − λ, 0)), until ‖Z_new − Z_old‖²_F / ‖Z_old‖²_F &lt; <see cref="Tolerance"/>. With <see cref="Lambda"/> null,
/// λ is chosen on a held-out part of the observed entries along a decreasing path λ_max·r^(k/(L−1)) with warm starts
/// (the paper's Algorithm 1), then the matrix is refitted on all observed entries down the path to the chosen λ.
/// S_λ(W) = W·V·diag(max(1 − λ/σ, 0))·Vᵀ is computed from the eigendecomposition of the smaller Gram matrix
/// (WᵀW = V·diag(σ²)·Vᵀ, or WWᵀ when W is wide).
/// </summary>
public sealed record SoftImpute
{
    /// <summary>A fixed λ ≥ 0 (reached down the λ path with warm starts); null (the default) chooses λ on held-out entries.</summary>
    public double? Lambda { get; init; }

    /// <summary>λ values on the path (default 20), from λ_max (the largest singular value of P_Ω(X), where Z = 0) down.</summary>
    public int PathLength { get; init; } = 20;

    /// <summary>The last λ of the path over λ_max (default 1e-3).</summary>
    public double LambdaMinRatio { get; init; } = 1e-3;

    /// <summary>The fraction of observed entries held out to choose λ (default 0.1; at least one entry).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>The most thresholding steps per λ (default 1000).</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Stop at one λ when ‖Z_new − Z_old‖²_F / ‖Z_old‖²_F falls below this (default 1e-6).</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Seed of the held-out split.</summary>
    public int Seed { get; init; }

    /// <summary>Completes <paramref name="data"/>.</summary>
    /// <param name="data">The incomplete matrix.</param>
    /// <param name="options">Provider and cancellation; null for the defaults.</param>
    /// <exception cref="ArgumentException">A row or a column has no observed entry (soft-impute cannot place it), or too few
    /// entries are observed to hold some out.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public CompletionResult Complete(IncompleteMatrix data, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= ComputeOptions.Default;
        CheckSettings();
        data.RequireObservedInEveryRow("row", "column", "soft-impute");
        data.Transpose().RequireObservedInEveryRow("column", "row", "soft-impute");
        var provider = options.ProviderOrDefault;
        var token = options.CancellationToken;
        if (Lambda is double fixedLambda)
        {
            // Down the path to λ with warm starts: from Z = 0 a small λ barely moves the missing entries (at λ = 0 the zero
            // fill is a fixed point), so the large λ of the path first find the low-rank structure.
            var (z, steps) = Descend(data, fixedLambda, provider, token);
            return new CompletionResult(data.Merge(z), data, $"soft-impute λ = {Num(fixedLambda)}")
            {
                Lambda = fixedLambda, Rank = RankAbove(data, z, fixedLambda, provider), Iterations = steps,
            };
        }

        // Hold out a fraction of the observed entries, pick λ on them along the path, refit on everything.
        var observed = data.ObservedIndices();
        int held = Math.Max(1, (int)Math.Round(ValidationFraction * observed.Length));
        if (held >= observed.Length)
            throw new ArgumentException($"Only {observed.Length} entr{(observed.Length == 1 ? "y is" : "ies are")} observed; choosing λ holds {held} out and needs some left to fit. Give a fixed λ (SoftImpute.Lambda, --lambda) or observe more entries.");
        var rng = new Random(Seed);
        var order = observed.ToArray();
        rng.Shuffle(order);
        var validation = new HashSet<int>(order.Take(held));
        var train = data.Keep(k => !validation.Contains(k));
        var path = Path(train, provider);
        var points = new List<LambdaPoint>();
        Matrix? warm = null;
        int total = 0;
        foreach (double lambda in path)
        {
            var (z, steps) = Fit(train, lambda, warm, provider, token);
            total += steps;
            warm = z;
            double s = 0;
            foreach (int k in validation)
            {
                double d = z.Data[k] - data.ValueAt(k);
                s += d * d;
            }
            points.Add(new LambdaPoint(lambda, Math.Sqrt(s / validation.Count), RankAbove(train, z, lambda, provider)));
        }
        int best = 0;
        for (int i = 1; i < points.Count; i++) if (points[i].ValidationRmse < points[best].ValidationRmse) best = i;
        double chosen = points[best].Lambda;
        // Refit on all observed entries down the path to the chosen λ (warm starts, as Algorithm 1).
        var (fit, refit) = Descend(data, chosen, provider, token);
        return new CompletionResult(data.Merge(fit), data, $"soft-impute λ = {Num(chosen)} (held-out choice)")
        {
            Lambda = chosen, Rank = RankAbove(data, fit, chosen, provider), Iterations = total + refit, LambdaPath = points,
        };
    }

    /// <summary>Fits at every λ of <paramref name="data"/>'s path above <paramref name="lambda"/>, then at λ, each from the last.</summary>
    private (Matrix Z, int Steps) Descend(IncompleteMatrix data, double lambda, ILinearAlgebraProvider provider, CancellationToken token)
    {
        Matrix? warm = null;
        int total = 0;
        foreach (double l in Path(data, provider).Where(l => l > lambda).Append(lambda))
        {
            var (z, steps) = Fit(data, l, warm, provider, token);
            total += steps;
            warm = z;
        }
        return (warm!, total);
    }

    /// <summary>The λ path for <paramref name="data"/>: <see cref="PathLength"/> values from λ_max = σ_max(P_Ω(X)) down to
    /// λ_max·<see cref="LambdaMinRatio"/>, geometrically spaced.</summary>
    internal double[] Path(IncompleteMatrix data, ILinearAlgebraProvider provider)
    {
        var values = SingularValuesSquared(data.ZeroFilled(), provider);
        double max = Math.Sqrt(Math.Max(values.Max(), 0));
        if (PathLength == 1) return [max * LambdaMinRatio];
        return [.. Enumerable.Range(0, PathLength).Select(k => max * Math.Pow(LambdaMinRatio, (double)k / (PathLength - 1)))];
    }

    /// <summary>Iterates Z ← S_λ(P_Ω(X) + P_Ω⊥(Z)) from <paramref name="start"/> (zero when null); returns Z and the steps run.</summary>
    internal (Matrix Z, int Steps) Fit(IncompleteMatrix data, double lambda, Matrix? start, ILinearAlgebraProvider provider, CancellationToken token)
    {
        var z = start?.Clone() ?? new Matrix(data.Rows, data.Cols);
        var w = new Matrix(data.Rows, data.Cols);
        for (int step = 1; step <= MaxIterations; step++)
        {
            token.ThrowIfCancellationRequested();
            for (int k = 0; k < w.Data.Length; k++) w.Data[k] = data.ObservedAt(k) ? data.ValueAt(k) : z.Data[k];
            var next = Threshold(w, lambda, provider);
            double change = 0, size = 0;
            for (int k = 0; k < z.Data.Length; k++)
            {
                double d = next.Data[k] - z.Data[k];
                change += d * d;
                size += z.Data[k] * z.Data[k];
            }
            z = next;
            if (size > 0 ? change / size < Tolerance : change == 0) return (z, step);
        }
        return (z, MaxIterations);
    }

    /// <summary>S_λ(W): the singular values of <paramref name="w"/> soft-thresholded by <paramref name="lambda"/>, the
    /// singular vectors kept (the proximal map of λ‖·‖_*).</summary>
    /// <exception cref="ArgumentException">λ is negative or not finite, or W is not finite.</exception>
    public static Matrix Threshold(Matrix w, double lambda, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!(lambda >= 0) || !double.IsFinite(lambda))
            throw new ArgumentException($"λ must be a finite number ≥ 0, got {Num(lambda)}.", nameof(lambda));
        Validate.Finite(w, "The matrix to threshold");
        provider ??= LinearAlgebra.Provider;
        bool tall = w.Rows >= w.Cols;
        // Tall: WᵀW = V·diag(σ²)·Vᵀ and S_λ(W) = W·V·D·Vᵀ; wide: WWᵀ = U·diag(σ²)·Uᵀ and S_λ(W) = U·D·Uᵀ·W.
        var gram = tall ? LinearAlgebra.Multiply(w, w, Op.Transpose, Op.None, provider) : LinearAlgebra.Multiply(w, w, Op.None, Op.Transpose, provider);
        var eigen = SymmetricEigen.Compute(gram, provider);
        var keep = new List<int>();
        for (int j = 0; j < eigen.Order; j++)
            if (Math.Sqrt(Math.Max(eigen.Values[j], 0)) > lambda) keep.Add(j);
        if (keep.Count == 0) return new Matrix(w.Rows, w.Cols);
        var v = eigen.Vectors.SelectColumns(keep);
        var scaled = v.Clone();
        for (int b = 0; b < keep.Count; b++)
        {
            double f = 1 - lambda / Math.Sqrt(eigen.Values[keep[b]]);
            for (int a = 0; a < scaled.Rows; a++) scaled[a, b] *= f;
        }
        var projector = LinearAlgebra.Multiply(scaled, v, Op.None, Op.Transpose, provider);   // V·D·Vᵀ
        return tall ? LinearAlgebra.Multiply(w, projector, Op.None, Op.None, provider) : LinearAlgebra.Multiply(projector, w, Op.None, Op.None, provider);
    }

    private static double[] SingularValuesSquared(Matrix w, ILinearAlgebraProvider provider)
    {
        var gram = w.Rows >= w.Cols ? LinearAlgebra.Multiply(w, w, Op.Transpose, Op.None, provider) : LinearAlgebra.Multiply(w, w, Op.None, Op.Transpose, provider);
        return SymmetricEigen.Compute(gram, provider).Values;
    }

    /// <summary>The rank of the thresholded fit: singular values of P_Ω(X) + P_Ω⊥(Z) above λ.</summary>
    private static int RankAbove(IncompleteMatrix data, Matrix z, double lambda, ILinearAlgebraProvider provider)
    {
        var w = new Matrix(data.Rows, data.Cols);
        for (int k = 0; k < w.Data.Length; k++) w.Data[k] = data.ObservedAt(k) ? data.ValueAt(k) : z.Data[k];
        return SingularValuesSquared(w, provider).Count(s => Math.Sqrt(Math.Max(s, 0)) > lambda);
    }

    private void CheckSettings()
    {
        if (Lambda is double l && (!(l >= 0) || !double.IsFinite(l)))
            throw new ArgumentOutOfRangeException(nameof(Lambda), l, "λ must be a finite number ≥ 0 (or null to choose it on held-out entries).");
        if (PathLength < 1) throw new ArgumentOutOfRangeException(nameof(PathLength), PathLength, "The λ path needs at least one value.");
        if (!(LambdaMinRatio > 0 && LambdaMinRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(LambdaMinRatio), LambdaMinRatio, "LambdaMinRatio must be in (0, 1], e.g. 1e-3.");
        if (!(ValidationFraction > 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in (0, 1), e.g. 0.1.");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
        if (!(Tolerance > 0) || !double.IsFinite(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be a finite number > 0, e.g. 1e-6.");
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
