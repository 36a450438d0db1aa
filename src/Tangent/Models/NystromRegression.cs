using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Falkon-style Nyström kernel ridge regression (Rudi, Carratino &amp; Rosasco 2017; docs/SOLVERS.md):
/// m centres C drawn uniformly (with a seed) from the n training inputs, coefficients β (m×k) solving
/// (K_nmᵀK_nm + λ·K_mm)·β = K_nmᵀ·Y by preconditioned conjugate gradient in the m-dimensional space, and
/// predictions f(X*) = K(X*, C)·β. With m = n this is exact kernel ridge regression with the same λ as
/// <see cref="KernelRegression"/>. K_nm is computed in row blocks and is kept only when it fits
/// <see cref="CacheBytes"/>; otherwise every iteration recomputes the blocks (O(n·m) memory never needed).
/// Memory: a few m×m matrices plus one block; time per iteration O(n·m·k) (plus kernel blocks when streamed).
/// </summary>
/// <param name="Kernel">Any kernel: classical, or an architecture's NNGP/NTK; it is evaluated only on blocks K(X_block, C).</param>
public sealed record NystromRegression(IKernel Kernel)
{
    /// <summary>m, the number of centres (≥ 1; capped at n). Default 1000.</summary>
    public int Centres { get; init; } = 1000;

    /// <summary>Seed of the uniform choice of centres.</summary>
    public int Seed { get; init; }

    /// <summary>λ, as for <see cref="KernelRegression.Ridge"/>; a relative ridge is relative to the mean diagonal of K_mm.</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Relative residual at which CG stops (per target column). Default 1e-8.</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Most CG iterations. Default 500.</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>Rows per kernel block K(X_block, C); null = about 4 M entries per block when K_nm is held (fewer under a
    /// small memory budget) and about 2 MB per chunk of the streamed pass.</summary>
    public int? BlockRows { get; init; }

    /// <summary>K_nm is kept in memory when its n·m·8 bytes are at most this (default 1 GiB) and a quarter of the
    /// options' memory budget; else its blocks are recomputed at every iteration.</summary>
    public long CacheBytes { get; init; } = 1L << 30;

    /// <summary>Called after every CG iteration (the iteration log).</summary>
    public Action<ConjugateGradientIteration>? OnIteration { get; init; }

    /// <summary>Fits on X (n×d) and Y (n×k). Progress is reported in CG iterations (of <see cref="MaxIterations"/>).</summary>
    /// <exception cref="ArgumentException">Shapes disagree, inputs are not finite or a setting is out of range.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public NystromRegressionModel Fit(Matrix x, Matrix y, ComputeOptions? options = null)
    {
        options ??= ComputeOptions.Default;
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        if (Centres < 1) throw new ArgumentOutOfRangeException(nameof(Centres), $"Nyström needs at least 1 centre; got {Centres}.");
        if (BlockRows is < 1) throw new ArgumentOutOfRangeException(nameof(BlockRows), $"The block size must be ≥ 1 row; got {BlockRows}.");
        int n = x.Rows, k = y.Cols, m = Math.Min(Centres, n);
        var token = options.CancellationToken;
        var quiet = options with { Progress = null };
        var provider = options.Provider;
        options.RequireMemory(4L * 8 * m * m, $"Nyström regression with {m} centres (K_mm and its factors)", "use fewer centres (--centres)");
        var centres = x.SelectRows(ChooseCentres(n, m, Seed));
        var kmm = Kernel.Compute(centres, null, quiet);
        double trace = 0;
        for (int i = 0; i < m; i++) trace += kmm[i, i];
        double lambda = Ridge.ValueForTrace(trace, m);
        // K_mm of a smooth kernel is singular to rounding; like Falkon (which adds eps·m), a jitter
        // ε = 1e-12·m·mean(diag K_mm) keeps λ·K_mm (and so H) numerically positive definite in CG.
        kmm.AddToDiagonal(1e-12 * m * Math.Max(trace / m, double.Epsilon));
        // Held K_nm: about 4 M entries per block, or a 32nd of the memory budget. Streamed K_nm: BlockRows rows
        // per chunk, by default about 2 MB of kernel per thread.
        long entries = Math.Min(1L << 22, options.MemoryBudget is long budget ? budget / 32 : long.MaxValue);
        int block = BlockRows ?? (int)Math.Clamp(entries / m, 1, n);
        long knm = (long)n * m * 8;
        bool cache = knm <= CacheBytes && (options.MemoryBudget is not long b2 || knm <= b2 / 4);
        // Right-hand side K_nmᵀ·Y, then H·V = K_nmᵀ(K_nm·V) + λ·K_mm·V: one pass over K_nm each, for all k
        // columns; K_nm either held in blocks or streamed (CrossKernelStream: each chunk of rows computed
        // into a per-thread buffer and used while in cache).
        Func<Matrix, Matrix> gramTimes;
        Matrix rhs;
        if (cache)
        {
            var blocks = new KernelBlocks(Kernel, x, centres, block, quiet);
            rhs = new Matrix(m, k);
            blocks.ForEach((start, kb) => AddInto(rhs, LinearAlgebra.Multiply(kb, y.SliceRows(start, kb.Rows), transA: Op.Transpose, provider: provider)), token);
            gramTimes = v =>
            {
                var acc = new Matrix(m, v.Cols);
                blocks.ForEach((_, kb) => AddInto(acc, LinearAlgebra.Multiply(kb, LinearAlgebra.Multiply(kb, v, provider: provider), transA: Op.Transpose, provider: provider)), token);
                return acc;
            };
        }
        else
        {
            var stream = new CrossKernelStream(Kernel, x, centres, BlockRows, quiet);
            rhs = stream.TransposeTimes(y);
            gramTimes = stream.GramTimes;
        }
        LinearOperator h = (v, into) =>
        {
            var acc = gramTimes(v);
            if (lambda != 0)
            {
                var reg = LinearAlgebra.Multiply(kmm, v, provider: provider);
                for (int i = 0; i < acc.Data.Length; i++) acc.Data[i] += lambda * reg.Data[i];
            }
            Array.Copy(acc.Data, into.Data, acc.Data.Length);
        };
        var pre = new FalkonPreconditioner(kmm, n, lambda, provider);
        var start = DateTime.UtcNow;
        var settings = new ConjugateGradientSettings
        {
            Tolerance = Tolerance,
            MaxIterations = MaxIterations,
            CancellationToken = token,
            OnIteration = it =>
            {
                OnIteration?.Invoke(it);
                options.Progress?.Report(new ProgressInfo(it.Iteration, MaxIterations, "nystrom cg", DateTime.UtcNow - start));
            },
        };
        var result = ConjugateGradient.Solve(h, rhs, 0, settings, pre);
        return new NystromRegressionModel(Kernel, centres, result.Solution, lambda, result, block);
    }

    /// <summary>m distinct indices of 0..n−1, uniformly at random (partial Fisher–Yates with the seed), ascending.</summary>
    internal static int[] ChooseCentres(int n, int m, int seed)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        if (m >= n) return idx;
        var rng = new Random(seed);
        for (int i = 0; i < m; i++)
        {
            int j = rng.Next(i, n);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        var chosen = idx[..m];
        Array.Sort(chosen);
        return chosen;
    }

    private static void AddInto(Matrix acc, Matrix add)
    {
        for (int i = 0; i < acc.Data.Length; i++) acc.Data[i] += add.Data[i];
    }

    /// <summary>K(X_block, C) for consecutive row blocks of X, computed on the first pass and held for the next ones.</summary>
    private sealed class KernelBlocks(IKernel kernel, Matrix x, Matrix centres, int block, ComputeOptions options)
    {
        private readonly List<Matrix> _held = [];

        public void ForEach(Action<int, Matrix> use, CancellationToken token)
        {
            if (_held.Count > 0)
            {
                for (int b = 0; b < _held.Count; b++)
                {
                    token.ThrowIfCancellationRequested();
                    use(b * block, _held[b]);
                }
                return;
            }
            for (int start = 0; start < x.Rows; start += block)
            {
                token.ThrowIfCancellationRequested();
                var kb = kernel.Compute(x.SliceRows(start, Math.Min(block, x.Rows - start)), centres, options);
                _held.Add(kb);
                use(start, kb);
            }
        }
    }
}

/// <summary>
/// The Falkon preconditioner (Rudi et al. 2017, §3) for H = K_nmᵀK_nm + λ·K_mm: with K_mm = L·Lᵀ
/// (a tiny jitter added when K_mm is singular), H ≈ (n/m)·K_mm² + λ·K_mm = L·M·Lᵀ where
/// M = (n/m)·LᵀL + λI, so P⁻¹ = L⁻ᵀ·M⁻¹·L⁻¹ (docs/SOLVERS.md). Exact when m = n.
/// </summary>
internal sealed class FalkonPreconditioner : IPreconditioner
{
    private readonly Matrix _l;
    private readonly Cholesky _m;
    private readonly ILinearAlgebraProvider _provider;

    public FalkonPreconditioner(Matrix kmm, int n, double lambda, ILinearAlgebraProvider? provider)
    {
        _provider = provider ?? LinearAlgebra.Provider;
        int m = kmm.Rows;
        double mean = 0;
        for (int i = 0; i < m; i++) mean += kmm[i, i];
        mean = Math.Max(mean / Math.Max(m, 1), double.Epsilon);
        Cholesky? c = Cholesky.TryCompute(kmm, out _, _provider);
        for (double jitter = 1e-13 * mean; c is null; jitter *= 10)
        {
            if (jitter > mean) throw new NotPositiveDefiniteException("The centres' kernel K_mm is not positive semidefinite; the kernel is not valid.", 0, 1e-6 * mean);
            var j = kmm.Clone();
            j.AddToDiagonal(jitter);
            c = Cholesky.TryCompute(j, out _, _provider);
        }
        _l = c.Factor;   // the factor's own storage (no M×M copy); its upper triangle is cleared for the products below
        for (int i = 0; i < m; i++)
            for (int q = i + 1; q < m; q++) _l[i, q] = 0;
        // (n/m)·LᵀL by a rank-m update (SYRK, half a GEMM's flops) of U = Lᵀ, transposed in place and back.
        var ltl = new Matrix(m, m);
        SymmetricMatrix.TransposeInPlace(m, _l.Data, Math.Max(m, 1));
        _provider.Syrk(m, m, (double)n / m, _l.Data, Math.Max(m, 1), 0.0, ltl.Data, Math.Max(m, 1));
        SymmetricMatrix.TransposeInPlace(m, _l.Data, Math.Max(m, 1));
        ltl.AddToDiagonal(lambda);
        _m = Cholesky.TryCompute(ltl, out _, _provider) ?? JitteredM(ltl);
    }

    private Cholesky JitteredM(Matrix a)
    {
        double mean = 0;
        for (int i = 0; i < a.Rows; i++) mean += a[i, i];
        mean = Math.Max(mean / a.Rows, double.Epsilon);
        for (double jitter = 1e-13 * mean; ; jitter *= 10)
        {
            var j = a.Clone();
            j.AddToDiagonal(jitter);
            if (Cholesky.TryCompute(j, out _, _provider) is { } c) return c;
            if (jitter > mean) throw new NotPositiveDefiniteException("The Falkon preconditioner could not be factored; add a ridge.", 0, 1e-6 * mean);
        }
    }

    public void Apply(Matrix r, Matrix into)
    {
        int m = _l.Rows, ld = Math.Max(m, 1), ldb = Math.Max(r.Cols, 1);
        var w = r.Clone();
        _provider.Trsm(Op.None, m, r.Cols, _l.Data, ld, w.Data, ldb);       // L⁻¹·R
        _m.SolveInPlace(w);                                                  // M⁻¹·…
        _provider.Trsm(Op.Transpose, m, r.Cols, _l.Data, ld, w.Data, ldb);  // L⁻ᵀ·…
        Array.Copy(w.Data, into.Data, w.Data.Length);
    }
}

/// <summary>A fitted Nyström model: the centres, β and the CG record.</summary>
public sealed class NystromRegressionModel
{
    private readonly Matrix _centres;
    private readonly Matrix _beta;
    private readonly int _block;

    internal NystromRegressionModel(IKernel kernel, Matrix centres, Matrix beta, double ridge, ConjugateGradientResult solve, int block)
    {
        Kernel = kernel;
        _centres = centres;
        _beta = beta;
        Ridge = ridge;
        Solve = solve;
        _block = block;
    }

    /// <summary>The kernel.</summary>
    public IKernel Kernel { get; }

    /// <summary>The absolute λ used.</summary>
    public double Ridge { get; }

    /// <summary>How the CG solve went: iterations, convergence, the iteration log.</summary>
    public ConjugateGradientResult Solve { get; }

    /// <summary>The number of centres m.</summary>
    public int CentreCount => _centres.Rows;

    /// <summary>The centres (m×d), a copy.</summary>
    public Matrix Centres => _centres.Clone();

    /// <summary>β (m×k), a copy.</summary>
    public Matrix Coefficients => _beta.Clone();

    /// <summary>f(X*) = K(X*, C)·β, computed in row blocks.</summary>
    /// <exception cref="ArgumentException">The inputs have the wrong number of features or are not finite.</exception>
    public Matrix Predict(Matrix x, ComputeOptions? options = null)
    {
        options ??= ComputeOptions.Default;
        Validate.TestInputs(x, _centres.Cols);
        return KernelTiles.MultiplyTestTrain(Kernel, x, _centres, _beta, options with { Progress = null }, _block);
    }
}
