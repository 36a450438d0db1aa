using System.Diagnostics;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>What describes each sample (column, or row with <see cref="CompletionAxis.Rows"/>) to the kernel of a
/// <see cref="NeuralMatrixCompletion"/>: Radhakrishnan et al.'s "feature prior" (docs/COMPLETION.md).</summary>
public enum CompletionPrior
{
    /// <summary>The sample's own observed values, missing ones zero: the infinite-width autoencoder view (columns as
    /// samples, their observed coordinates as inputs). Needs at least one observed entry in every sample.</summary>
    Observed,
    /// <summary>A one-hot vector per sample: without side information the kernel then only tells a sample from the others,
    /// and each missing entry becomes a shrunk mean of its row's observed entries (the baseline the paper improves on).</summary>
    Identity,
    /// <summary>Side features given to <see cref="NeuralMatrixCompletion.Complete"/>, one row per sample; samples with no
    /// observed entry at all (a new drug, a new user) are then predicted from their features alone.</summary>
    Features,
}

/// <summary>Which index of the matrix runs over the samples of <see cref="NeuralMatrixCompletion"/>; the other one runs over
/// the network's outputs.</summary>
public enum CompletionAxis
{
    /// <summary>Columns are samples (their features describe them), rows are outputs: each row is regressed over the columns.</summary>
    Columns,
    /// <summary>Rows are samples, columns are outputs (the matrix is transposed, completed and transposed back).</summary>
    Rows,
}

/// <summary>
/// Matrix completion with an infinite-width network (Radhakrishnan, Stefanakis, Belkin &amp; Uhler, "Simple, fast, and
/// flexible framework for matrix completion with infinite width neural networks", PNAS 119(16), 2022;
/// docs/COMPLETION.md). A network maps the feature vector z_j of sample j (column j) to the m entries of that column and is
/// trained, by gradient descent to convergence, on the observed entries only. In the infinite-width limit its outputs are
/// independent given the inputs, so the kernel between entry (i, j) and entry (i', j') is δ_ii'·Θ(z_j, z_j') with Θ the
/// network's NTK (or NNGP), and the trained network predicts each row by kernel regression from that row's observed
/// columns: Ŷ[i, U_i] = Θ(Z_U, Z_O)·(Θ(Z_O, Z_O) + λI)⁻¹·Y[i, O_i] (O_i observed, U_i missing; the minimum-norm
/// interpolant when λ = 0). Rows that share their observed columns share one solve.
/// With <see cref="CompletionPrior.Observed"/>, z_j is the observed part of column j itself, which is the infinite-width
/// autoencoder of Radhakrishnan, Belkin &amp; Uhler ("Overparameterized neural networks implement associative memory",
/// PNAS 117(44), 2020) trained on the columns with the loss on observed coordinates: not a different computation, the
/// same kernel regression with the data as its own prior. <see cref="Iterations"/> &gt; 1 feeds the completed columns
/// back as the prior (Tangent's addition; one pass is the paper's method).
/// This object is the configuration; <see cref="Complete"/> returns the completed matrix.
/// </summary>
/// <param name="Kernel">The kernel Θ between samples: an infinite-width network's NTK or NNGP (<see cref="NeuralKernel"/>), or any
/// <see cref="IKernel"/>.</param>
public sealed record NeuralMatrixCompletion(IKernel Kernel)
{
    /// <summary>The network of the paper's experiments: one hidden ReLU layer, no bias, weights of variance 2 (w = 1.41 ≈ √2: a scale, which the ridgeless solve ignores), so that
    /// on unit inputs Θ(x, x') = (κ₁(c) + c·κ₀(c))/d with c = cos∠(x, x') (docs/COMPLETION.md).</summary>
    public const string PaperArchitecture = "dense(w=1.41) relu dense";

    /// <summary>The NTK of <see cref="PaperArchitecture"/>, observed prior, no ridge.</summary>
    public static NeuralMatrixCompletion Default => new(new NeuralKernel(Architecture.Parse(PaperArchitecture), KernelOutputs.Ntk));

    /// <summary>The ridge λ added to Θ(Z_O, Z_O) (<see cref="Ridge.None"/>: the minimum-norm interpolant of the observed entries).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>How Θ(Z_O, Z_O) + λI is solved (<see cref="Solver.Auto"/>: Cholesky, or the pseudoinverse when singular).</summary>
    public Solver Solver { get; init; } = Solver.Auto;

    /// <summary>What the kernel sees of each sample (default <see cref="CompletionPrior.Observed"/>).</summary>
    public CompletionPrior Prior { get; init; } = CompletionPrior.Observed;

    /// <summary>Which index runs over samples (default <see cref="CompletionAxis.Columns"/>).</summary>
    public CompletionAxis Samples { get; init; } = CompletionAxis.Columns;

    /// <summary>Scale every feature vector to unit length before the kernel, as the paper does (default false: with a
    /// bias-free ReLU network the kernel then ignores the sample's scale, which loses accuracy on low-rank matrices).</summary>
    public bool NormalizeFeatures { get; init; }

    /// <summary>Passes (≥ 1, default 1). Each pass after the first uses the previous pass's completed samples as the
    /// prior; only with <see cref="CompletionPrior.Observed"/>.</summary>
    public int Iterations { get; init; } = 1;

    /// <summary>Completes <paramref name="data"/>.</summary>
    /// <param name="data">The incomplete matrix.</param>
    /// <param name="features">With <see cref="CompletionPrior.Features"/>: one row of side features per sample; otherwise null.</param>
    /// <param name="options">How the kernel is computed and solved (provider, progress, cancellation); null for the defaults.</param>
    /// <exception cref="ArgumentException">A row (an output) has no observed entry; with the observed prior a sample has none;
    /// the features are missing, of the wrong row count or not finite; the kernel is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Iterations"/> is below 1, or above 1 without the observed prior.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public CompletionResult Complete(IncompleteMatrix data, Matrix? features = null, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= ComputeOptions.Default;
        Validate.Ridge(Ridge);
        if (Iterations < 1)
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must be at least 1 (one kernel-regression pass).");
        if (Iterations > 1 && Prior != CompletionPrior.Observed)
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, $"Iterations above 1 feed the completed matrix back as the prior, which needs Prior = Observed, not {Prior}.");
        bool byRows = Samples == CompletionAxis.Rows;
        string sample = byRows ? "row" : "column", output = byRows ? "column" : "row";
        // Outputs are rows of the working matrix: each needs an observed entry to regress from.
        var work = byRows ? data.Transpose() : data;
        work.RequireObservedInEveryRow(output, sample, "kernel completion");
        if (Prior == CompletionPrior.Observed) work.Transpose().RequireObservedInEveryRow(sample, output, "kernel completion with the observed prior (each sample's observed values are its features)");
        Matrix z = Prior switch
        {
            CompletionPrior.Observed => work.ZeroFilled().Transpose(),
            CompletionPrior.Identity => Matrix.Identity(work.Cols),
            CompletionPrior.Features => CheckFeatures(features, work.Cols, sample),
            _ => throw new ArgumentOutOfRangeException(nameof(Prior), Prior, "Unknown prior; use Observed, Identity or Features."),
        };
        if (Prior != CompletionPrior.Features && features is not null)
            throw new ArgumentException($"Side features were given but the prior is {Prior}; set Prior = CompletionPrior.Features to use them.");

        Matrix completed = work.ZeroFilled();
        for (int pass = 0; pass < Iterations; pass++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            if (pass > 0) z = completed.Transpose();
            completed = work.Merge(Pass(work, NormalizeFeatures ? UnitRows(z) : z, options));
        }
        if (byRows) completed = completed.Transpose();
        string prior = Prior.ToString().ToLowerInvariant();
        return new CompletionResult(completed, data, $"{Kernel.Describe()}, prior {prior}{(NormalizeFeatures ? " (unit rows)" : "")}, samples {sample}s{(Iterations > 1 ? $", {Iterations} passes" : "")}")
        {
            Iterations = Iterations,
        };
    }

    /// <summary>One pass: the kernel between samples, then one kernel regression per group of rows with the same observed columns.
    /// Returns the predictions at the missing entries (zero elsewhere).</summary>
    private Matrix Pass(IncompleteMatrix work, Matrix z, ComputeOptions options)
    {
        var k = Kernel.Compute(z, null, options);
        if (k.FirstNonFinite() is var (r, c))
            throw new ArgumentException($"Entry ({r + 1}, {c + 1}) of the {Kernel.Describe()} kernel between samples is not finite; scale the matrix's values or the features down.");
        var fill = new Matrix(work.Rows, work.Cols);
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < work.Rows; i++)
        {
            var key = new char[work.Cols];
            for (int j = 0; j < work.Cols; j++) key[j] = work.IsObserved(i, j) ? '1' : '0';
            string s = new(key);
            if (!s.Contains('0', StringComparison.Ordinal)) continue;   // nothing missing in this row
            if (!groups.TryGetValue(s, out var list)) groups[s] = list = [];
            list.Add(i);
        }
        var regression = new KernelRegression(Kernel) { Ridge = Ridge, Solver = Solver };
        var clock = Stopwatch.StartNew();
        int done = 0;
        foreach (var rows in groups.Values)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            int[] observed = work.ObservedInRow(rows[0]);
            int[] missing = [.. Enumerable.Range(0, work.Cols).Except(observed)];
            var y = new Matrix(observed.Length, rows.Count);
            for (int a = 0; a < observed.Length; a++)
                for (int g = 0; g < rows.Count; g++) y[a, g] = work[rows[g], observed[a]];
            var model = regression.FitKernel(z.SelectRows(observed), Sub(k, observed, observed), y);
            var p = model.PredictFromKernel(Sub(k, missing, observed));
            for (int u = 0; u < missing.Length; u++)
                for (int g = 0; g < rows.Count; g++) fill[rows[g], missing[u]] = p[u, g];
            options.Progress?.Report(new ProgressInfo(++done, groups.Count, "complete", clock.Elapsed));
        }
        return fill;
    }

    private static Matrix CheckFeatures(Matrix? features, int samples, string sample)
    {
        if (features is null)
            throw new ArgumentException($"The prior is Features but no side features were given; pass one row of features per {sample} ({samples} rows).");
        if (features.Rows != samples)
            throw new ArgumentException($"The side features have {features.Rows} rows but the matrix has {samples} {sample}s; give one row of features per {sample}.");
        if (features.Cols == 0) throw new ArgumentException("The side features have no columns.");
        Validate.Finite(features, "The side features");
        return features.Clone();
    }

    internal static Matrix Sub(Matrix k, int[] rows, int[] cols)
    {
        var s = new Matrix(rows.Length, cols.Length);
        for (int a = 0; a < rows.Length; a++)
        {
            var src = k.Row(rows[a]);
            var dst = s.Row(a);
            for (int b = 0; b < cols.Length; b++) dst[b] = src[cols[b]];
        }
        return s;
    }

    private static Matrix UnitRows(Matrix z)
    {
        var u = z.Clone();
        for (int i = 0; i < u.Rows; i++)
        {
            var row = u.Row(i);
            double s = 0;
            foreach (double v in row) s += v * v;
            if (s == 0) continue;
            double inv = 1 / Math.Sqrt(s);
            for (int j = 0; j < row.Length; j++) row[j] *= inv;
        }
        return u;
    }
}
