using System.Runtime.Intrinsics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>How a support-vector classifier splits k classes into binary problems (docs/SVM.md, "Several classes").</summary>
public enum MultiClassStrategy
{
    /// <summary>One binary machine per pair of classes present, prediction by votes (libsvm, scikit-learn's <c>SVC</c>).</summary>
    OneVsOne,
    /// <summary>One binary machine per class against all others, prediction by the largest decision value
    /// (scikit-learn's <c>OneVsRestClassifier(SVC(…))</c>).</summary>
    OneVsRest,
}

/// <summary>
/// A kernel support-vector classifier (C-SVC, docs/SVM.md): for each binary sub-problem the dual
/// min ½αᵀQα − eᵀα subject to yᵀα = 0, 0 ≤ α_i ≤ C_i (Q_ij = y_i·y_j·K_ij) is solved by SMO with libsvm's
/// second-order working-set selection and shrinking, on a precomputed kernel (<see cref="FitKernel"/>) or on
/// kernel rows computed on demand into an LRU cache (<see cref="Fit"/>). The results agree with scikit-learn's
/// <c>SVC(kernel='precomputed')</c> to the tolerance (its <c>dual_coef_</c>, <c>intercept_</c>, <c>support_</c> and
/// <c>decision_function</c>). This object is the configuration; the fits return an immutable <see cref="SupportVectorModel"/>.
/// </summary>
public sealed record SupportVectorClassifier
{
    /// <summary>The box bound C of the dual (the soft-margin penalty), finite and &gt; 0; default 1 (scikit-learn's).</summary>
    public double C { get; init; } = 1;

    /// <summary>The stop: the largest KKT violation m(α) − M(α) below this (libsvm's <c>-e</c>, scikit-learn's <c>tol</c>); default 1e-3.</summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Set aside variables at a bound that cannot move (libsvm's shrinking heuristic); the solution is the same. Default true.</summary>
    public bool Shrinking { get; init; } = true;

    /// <summary>How several classes are split into binary problems; default <see cref="MultiClassStrategy.OneVsOne"/>.</summary>
    public MultiClassStrategy MultiClass { get; init; } = MultiClassStrategy.OneVsOne;

    /// <summary>Per-class weights w_c (classes 0..k−1, finite, &gt; 0): a row of class c is bounded by C·w_c (libsvm's <c>-wi</c>,
    /// scikit-learn's <c>class_weight</c>). Null: all 1.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }

    /// <summary>Weights w_c = n / (k_present · n_c), n_c the rows of class c (scikit-learn's <c>class_weight='balanced'</c>);
    /// not together with <see cref="ClassWeights"/>.</summary>
    public bool BalancedClassWeights { get; init; }

    /// <summary>The most SMO steps per binary sub-problem; 0 (the default) is no limit. A sub-problem stopped by it is
    /// reported by <see cref="SupportVectorModel.Converged"/> and <see cref="SupportVectorModel.Iterations"/>.</summary>
    public int MaxIterations { get; init; }

    /// <summary>
    /// Start SMO from an interior-point solution of the dual when the kernel of a sub-problem has a low numerical rank (at most
    /// 256 and half its rows: a linear kernel on few features, say), computed in the kernel's Cholesky factor (docs/SVM.md,
    /// "Low-rank kernels and large C"). SMO's stop on the exact kernel still ends the fit, so the model is optimal to
    /// <see cref="Tolerance"/> as from zero; it takes far fewer steps at large C. Kernels of higher rank start from zero.
    /// Default false: libsvm's steps exactly.
    /// </summary>
    public bool LowRankStart { get; init; }

    /// <summary>Megabytes of kernel rows kept by <see cref="Fit"/> (an LRU cache, libsvm's <c>-m</c>), shared by the sub-problems that
    /// run at once; a one-vs-one sub-problem on fewer than half the rows of a precomputed kernel holds its gathered rows in the same way. Default 200.</summary>
    public double CacheMegabytes { get; init; } = 200;

    /// <summary>
    /// Fits on a precomputed kernel: <paramref name="kernel"/> is K(X, X) over the n training rows (n×n, symmetric,
    /// read in place and not modified), <paramref name="labels"/> the class of each row in 0..<paramref name="classCount"/>−1.
    /// </summary>
    /// <exception cref="ArgumentException">The kernel is not square, not finite or does not match the labels; a label is out of
    /// range; fewer than two classes are present; a setting is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public SupportVectorModel FitKernel(Matrix kernel, IReadOnlyList<int> labels, int classCount, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(labels);
        CheckTrainingKernel(kernel, labels);
        var plan = Plan(labels, classCount);
        var diagonal = kernel.Diagonal();
        var options = new ComputeOptions { CancellationToken = ct };
        // A sub-problem on at least half the rows reads K's rows in place (through its index map when it is not all of them):
        // no copy. A smaller one (one-vs-one with many classes) would use few entries of each cache line it reads, so its rows
        // are gathered into the LRU cache on first use and read contiguously after (libsvm's way). Measured at n = 5000 with
        // 10 classes (l ≈ 1000): 0.15 s of CPU with the cache against 0.19 s in place; at n = 2000 about the same. (A copy of K
        // grouped by class, so that a gather reads two contiguous runs, cost more than it saved at n = 2000: 45 % more CPU.)
        int n = kernel.Rows;
        var pool = new RowBlockPool();
        var results = Solve(plan, options, (map, bytes) => 2L * map.Length >= n
            ? new PrecomputedKernelRows(kernel, map, diagonal)
            : CachedKernelRows.Gathered(kernel, map, diagonal, bytes, pool));
        return SupportVectorModel.Create(plan, results, null, null);
    }

    /// <summary>
    /// Fits one model per value of C on a precomputed kernel, as <see cref="FitKernel"/> would with <see cref="C"/> set to each
    /// (the other settings as they are), but faster along a grid: the values are solved in increasing order, each sub-problem
    /// starting from its solution at the previous C scaled by the ratio of the two (alpha seeding, DeCoste &amp; Wagstaff 2000;
    /// docs/SVM.md, "A grid of C"), or, with <see cref="LowRankStart"/> on a low-rank kernel once a value took more than 10·l
    /// steps (or from the first value when C·max K_ii ≥ 1000), from the interior-point start. The problem and the stop are the same, so each model is optimal to <see cref="Tolerance"/>
    /// like a fit from zero; the dual coefficients agree with it to about the tolerance, not bit for bit.
    /// </summary>
    /// <param name="kernel">K(X, X) over the training rows.</param>
    /// <param name="labels">The class of each training row.</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="cs">The values of C, each finite and &gt; 0, in any order; the models come back in this order.</param>
    /// <param name="options">Threads (the sub-problems run in parallel) and cancellation; null: all cores.</param>
    /// <exception cref="ArgumentException">As for <see cref="FitKernel"/>; a value of C that is not finite and positive; no value.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public SupportVectorModel[] FitKernelPath(Matrix kernel, IReadOnlyList<int> labels, int classCount, IReadOnlyList<double> cs, ComputeOptions? options = null)
    {
        options ??= ComputeOptions.Default;
        var ct = options.CancellationToken;
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(cs);
        if (cs.Count == 0) throw new ArgumentException("No value of C was given; give one or more (e.g. 0.1, 1, 10).", nameof(cs));
        CheckTrainingKernel(kernel, labels);
        var plans = cs.Select(c => (this with { C = c }).Plan(labels, classCount)).ToArray();
        var order = Enumerable.Range(0, cs.Count).OrderBy(k => cs[k]).ToArray();
        var diagonal = kernel.Diagonal();
        int n = kernel.Rows;
        var problems = plans[0].Problems;
        int parallel = Math.Max(1, Math.Min(problems.Length, options.Threads));
        long bytes = (long)(CacheMegabytes * (1 << 20) / parallel);
        var pool = new RowBlockPool();
        double maxDiagonal = diagonal.Length == 0 ? 0 : diagonal.Max();
        var results = new SmoResult[cs.Count][];
        for (int k = 0; k < cs.Count; k++) results[k] = new SmoResult[problems.Length];
        // Each sub-problem walks the C grid on one thread, so the results do not depend on the thread count.
        Parallel.For(0, problems.Length, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, p =>
        {
            var map = problems[p].Map;
            using KernelRows source = 2L * map.Length >= n
                ? new PrecomputedKernelRows(kernel, map, diagonal)
                : CachedKernelRows.Gathered(kernel, map, diagonal, bytes, pool);
            var factor = LowRankStart ? InteriorPointStart.Factor(source) : null;
            double[]? start = null;
            double previous = 0;
            // A box that is large against the kernel's scale makes SMO from zero slow: start such a first value from the interior point too.
            bool hard = cs[order[0]] * maxDiagonal >= 1000;
            foreach (int k in order)
            {
                var sub = plans[k].Problems[p];
                if (factor is not null && hard) start = InteriorPointStart.Solve(factor, sub.Y, sub.C);
                else if (start is not null)
                {
                    double ratio = cs[k] / previous;
                    for (int t = 0; t < start.Length; t++) start[t] *= ratio;
                }
                var r = SmoSolver.Solve(source, sub.Y, sub.C, Tolerance, Shrinking, MaxIterations, ct, start);
                hard |= r.Iterations > 10 * map.Length;   // from here on the interior-point start pays for itself
                results[k][p] = r;
                start = (double[])r.Alpha.Clone();
                previous = cs[k];
            }
        });
        return [.. Enumerable.Range(0, cs.Count).Select(k => SupportVectorModel.Create(plans[k], results[k], null, null))];
    }

    /// <summary>
    /// Fits with <paramref name="kernel"/> on the inputs <paramref name="x"/> (n×d): kernel rows are computed on demand, in blocks,
    /// into an LRU cache of <see cref="CacheMegabytes"/>, so the n×n matrix is never held. The model keeps the support vectors'
    /// inputs and the kernel, for <see cref="SupportVectorModel.Predict(Matrix, ComputeOptions?)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs are not finite or do not match the labels; a kernel entry is not finite; a label
    /// is out of range; fewer than two classes are present; a setting is out of range.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public SupportVectorModel Fit(IKernel kernel, Matrix x, IReadOnlyList<int> labels, int classCount, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        options ??= ComputeOptions.Default;
        if (labels.Count != x.Rows)
            throw new ArgumentException($"The training inputs have {x.Rows} rows but there are {labels.Count} labels; give one label per training row.", nameof(labels));
        Validate.Finite(x, "The training inputs");
        var plan = Plan(labels, classCount);
        var diagonal = kernel.Diagonal(x);
        for (int i = 0; i < diagonal.Length; i++)
            if (!double.IsFinite(diagonal[i]))
                throw new ArgumentException($"Entry ({i + 1}, {i + 1}) of the {kernel.Describe()} kernel matrix is not finite; rescale the inputs or change the kernel's parameters.");
        // Each sub-problem computes its rows with one thread when several run at once.
        var rowOptions = options with { Progress = null, MaxThreads = plan.Problems.Length > 1 ? 1 : options.MaxThreads };
        var pool = new RowBlockPool();
        var results = Solve(plan, options, (map, bytes) =>
        {
            var xs = map.Length == x.Rows ? x : x.SelectRows(map);
            return CachedKernelRows.Computed(kernel, xs, map, PrecomputedKernelRows.Gather(diagonal, map), bytes, rowOptions, pool);
        });
        return SupportVectorModel.Create(plan, results, kernel, x);
    }

    // The binary sub-problems: their rows, labels ±1 and bounds C_i.
    internal sealed record SubProblem(int[] Map, sbyte[] Y, double[] C, int Positive, int Negative);

    internal sealed record FitPlan(int ClassCount, int[] Present, MultiClassStrategy Strategy, SubProblem[] Problems, int Rows);

    private FitPlan Plan(IReadOnlyList<int> labelList, int classCount)
    {
        CheckSettings(classCount);
        int n = labelList.Count;
        var labels = labelList as int[] ?? [.. labelList];   // plain loads below, not n·pairs interface calls
        var counts = new int[classCount];
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            if ((uint)c >= (uint)classCount)
                throw new ArgumentException($"Label {c} at row {i + 1} is outside 0..{classCount - 1}; labels are class indices below the class count ({classCount}).", nameof(labelList));
            counts[c]++;
        }
        var present = Enumerable.Range(0, classCount).Where(c => counts[c] > 0).ToArray();
        if (present.Length < 2)
            throw new ArgumentException(present.Length == 0
                ? "There are no training rows; a classifier needs rows of at least two classes."
                : $"Every training row is of class {present[0]}; a classifier needs rows of at least two classes.", nameof(labelList));
        var weights = new double[classCount];
        for (int c = 0; c < classCount; c++)
            weights[c] = BalancedClassWeights ? (counts[c] > 0 ? (double)n / (present.Length * counts[c]) : 1) : ClassWeights?[c] ?? 1;
        var problems = new List<SubProblem>();
        if (MultiClass == MultiClassStrategy.OneVsOne)
        {
            for (int a = 0; a < present.Length; a++)
                for (int b = a + 1; b < present.Length; b++)
                {
                    int ca = present[a], cb = present[b], l = counts[ca] + counts[cb], t = 0;
                    var map = new int[l];
                    var y = new sbyte[l];
                    var cs = new double[l];
                    for (int i = 0; i < n; i++)
                    {
                        if (labels[i] != ca && labels[i] != cb) continue;
                        map[t] = i;
                        y[t] = labels[i] == ca ? (sbyte)1 : (sbyte)-1;
                        cs[t++] = C * weights[labels[i]];
                    }
                    problems.Add(new SubProblem(map, y, cs, ca, cb));
                }
        }
        else
        {
            var all = Enumerable.Range(0, n).ToArray();
            foreach (int c in present)
            {
                var y = all.Select(i => labels[i] == c ? (sbyte)1 : (sbyte)-1).ToArray();
                var cs = all.Select(i => C * weights[labels[i]]).ToArray();
                problems.Add(new SubProblem(all, y, cs, c, -1));
            }
        }
        return new FitPlan(classCount, present, MultiClass, [.. problems], n);
    }

    private SmoResult[] Solve(FitPlan plan, ComputeOptions options, Func<int[], long, KernelRows> rows)
    {
        var problems = plan.Problems;
        int parallel = Math.Max(1, Math.Min(problems.Length, options.Threads));
        long bytes = (long)(CacheMegabytes * (1 << 20) / parallel);
        var results = new SmoResult[problems.Length];
        // Each sub-problem is solved by one thread from its own state, so the results do not depend on the thread count.
        Parallel.For(0, problems.Length, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = options.CancellationToken }, p =>
        {
            using var source = rows(problems[p].Map, bytes);
            var start = LowRankStart && InteriorPointStart.Factor(source) is { } z ? InteriorPointStart.Solve(z, problems[p].Y, problems[p].C) : null;
            results[p] = SmoSolver.Solve(source, problems[p].Y, problems[p].C, Tolerance, Shrinking, MaxIterations, options.CancellationToken, start);
        });
        return results;
    }

    private void CheckSettings(int classCount)
    {
        if (!(C > 0) || !double.IsFinite(C))
            throw new ArgumentException($"C is {C}; C must be a finite number > 0 (e.g. 1; a larger C fits the training data harder).", nameof(C));
        if (!(Tolerance > 0) || !double.IsFinite(Tolerance))
            throw new ArgumentException($"The tolerance is {Tolerance}; the tolerance must be a finite number > 0 (e.g. 1e-3, libsvm's default).", nameof(Tolerance));
        if (MaxIterations < 0)
            throw new ArgumentException($"MaxIterations is {MaxIterations}; MaxIterations must be ≥ 0 (0 is no limit).", nameof(MaxIterations));
        if (!(CacheMegabytes > 0) || !double.IsFinite(CacheMegabytes))
            throw new ArgumentException($"CacheMegabytes is {CacheMegabytes}; the cache size must be a finite number of megabytes > 0 (e.g. 200).", nameof(CacheMegabytes));
        if (classCount < 2)
            throw new ArgumentException($"The class count is {classCount}; a classifier needs a class count of at least 2.", nameof(classCount));
        if (ClassWeights is { } w)
        {
            if (BalancedClassWeights)
                throw new ArgumentException("Give either ClassWeights or BalancedClassWeights, not both.", nameof(ClassWeights));
            if (w.Count != classCount)
                throw new ArgumentException($"There are {w.Count} class weights for {classCount} classes; give one weight per class (0..{classCount - 1}).", nameof(ClassWeights));
            for (int c = 0; c < w.Count; c++)
                if (!(w[c] > 0) || !double.IsFinite(w[c]))
                    throw new ArgumentException($"The weight of class {c} is {w[c]}; class weights must be finite numbers > 0.", nameof(ClassWeights));
        }
    }

    // The training kernel is n×n over the labelled rows, and finite.
    private static void CheckTrainingKernel(Matrix kernel, IReadOnlyList<int> labels)
    {
        if (!kernel.IsSquare)
            throw new ArgumentException($"The training kernel matrix is {kernel.Shape}; it must be square, K(X, X) over the training rows (n×n).", nameof(kernel));
        if (labels.Count != kernel.Rows)
            throw new ArgumentException($"The training kernel matrix is {kernel.Shape} but there are {labels.Count} labels; give one label per training row.", nameof(labels));
        CheckFinite(kernel, "training kernel matrix");
    }

    // A vectorised all-finite pass (x − x is 0 exactly when x is finite); the message names the first bad entry.
    internal static unsafe void CheckFinite(Matrix m, string what)
    {
        var data = m.Data;
        bool finite = true;
        int k = 0;
        fixed (double* p = data)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<double>.Zero;
                for (; k <= data.Length - 4; k += 4)
                {
                    var v = Vector256.Load(p + k);
                    acc += v - v;
                }
                finite = Vector256.EqualsAll(acc, Vector256<double>.Zero);
            }
            for (; k < data.Length && finite; k++) finite = double.IsFinite(p[k]);
        }
        if (finite) return;
        var (i, j) = m.FirstNonFinite()!.Value;
        throw new ArgumentException($"Entry ({i + 1}, {j + 1}) of the {what} is {(double.IsNaN(m[i, j]) ? "NaN" : "infinite")}; every kernel entry must be finite (recompute the kernel, or rescale the inputs).");
    }
}
