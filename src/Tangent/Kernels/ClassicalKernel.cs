using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>The classical kernels of docs/MATH.md §1 (scikit-learn's conventions).</summary>
public enum KernelKind
{
    /// <summary>k(x, x') = x·x'.</summary>
    Linear,
    /// <summary>k(x, x') = exp(-γ·‖x − x'‖²) (the radial basis function).</summary>
    Gaussian,
    /// <summary>k(x, x') = exp(-γ·‖x − x'‖).</summary>
    Laplace,
    /// <summary>k(x, x') = (γ·x·x' + c)^p.</summary>
    Polynomial,
}

/// <summary>
/// A classical kernel (docs/MATH.md §1; the course 6.S088, lectures 2-3). Kernel matrices are computed
/// by row blocks: one GEMM writes the inner products X1·X2ᵀ straight into the output, then a fused
/// SIMD pass turns them into kernel values in place, so the peak memory is the output matrix plus
/// the row norms.
/// </summary>
public sealed record ClassicalKernel : IKernel
{
    /// <summary>Creates a kernel; <paramref name="gamma"/> must be positive (and is ignored by <see cref="KernelKind.Linear"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">γ ≤ 0, or the degree is below 1.</exception>
    public ClassicalKernel(KernelKind kind, double gamma = 1.0, double coef0 = 1.0, int degree = 3)
    {
        if (kind != KernelKind.Linear && !(gamma > 0 && double.IsFinite(gamma)))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"The {kind.ToString().ToLowerInvariant()} kernel needs γ > 0, got {gamma} (a common choice is 1/d).");
        if (kind == KernelKind.Polynomial && degree < 1)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, "The polynomial kernel needs degree ≥ 1.");
        if (!double.IsFinite(coef0)) throw new ArgumentOutOfRangeException(nameof(coef0), coef0, "coef0 must be finite.");
        Kind = kind;
        Gamma = gamma;
        Coef0 = coef0;
        Degree = degree;
    }

    /// <summary>Which kernel.</summary>
    public KernelKind Kind { get; }

    /// <summary>γ: inverse squared bandwidth (Gaussian), inverse bandwidth (Laplace), scale (polynomial).</summary>
    public double Gamma { get; }

    /// <summary>c: the polynomial kernel's offset.</summary>
    public double Coef0 { get; }

    /// <summary>p: the polynomial kernel's degree.</summary>
    public int Degree { get; }

    /// <summary>Rows per block of the output; a block is one GEMM and one elementwise pass.</summary>
    public int BlockRows { get; init; } = 512;

    /// <summary>The linear kernel x·x'.</summary>
    public static ClassicalKernel Linear() => new(KernelKind.Linear);

    /// <summary>The Gaussian kernel exp(-γ‖x − x'‖²).</summary>
    public static ClassicalKernel Gaussian(double gamma) => new(KernelKind.Gaussian, gamma);

    /// <summary>The Laplace kernel exp(-γ‖x − x'‖).</summary>
    public static ClassicalKernel Laplace(double gamma) => new(KernelKind.Laplace, gamma);

    /// <summary>The polynomial kernel (γ·x·x' + c)^p.</summary>
    public static ClassicalKernel Polynomial(double gamma, double coef0, int degree) => new(KernelKind.Polynomial, gamma, coef0, degree);

    /// <inheritdoc />
    public string Describe() => Kind switch
    {
        KernelKind.Linear => "linear",
        KernelKind.Polynomial => $"polynomial(gamma={Gamma:G6},coef0={Coef0:G6},degree={Degree})",
        _ => $"{Kind.ToString().ToLowerInvariant()}(gamma={Gamma:G6})",
    };

    /// <inheritdoc />
    /// <exception cref="ArgumentException">An input is NaN or infinite.</exception>
    /// <exception cref="KernelOverflowException">A value k(x, x) overflows (see <see cref="Compute(Matrix, Matrix, ComputeOptions)"/>).</exception>
    public double[] Diagonal(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireFinite(x, "X");
        var d = new double[x.Rows];
        for (int i = 0; i < x.Rows; i++)
        {
            double sq = TensorPrimitives.Dot<double>(x.Row(i), x.Row(i));
            d[i] = Kind switch
            {
                KernelKind.Linear => sq,
                KernelKind.Polynomial => IntegerPower(Gamma * sq + Coef0, Degree),
                _ => 1.0,
            };
            if (!double.IsFinite(d[i])) throw Overflow(i, i, d[i], x, x);
        }
        return d;
    }

    /// <summary>
    /// The kernel matrix K(X1, X2), by row blocks (see the type's summary). Before allocating it checks
    /// the inputs (finite) and the memory (<see cref="MemoryGuard"/>: the output and the row norms);
    /// during the pass it checks that every entry is finite.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for X1 (then K is symmetric and computed by halves).</param>
    /// <param name="progress">Optional progress sink (kernel entries done).</param>
    /// <param name="cancellationToken">Cancels between blocks.</param>
    /// <exception cref="ArgumentException">The inputs have different numbers of columns, or an input is NaN or infinite.</exception>
    /// <exception cref="InsufficientMemoryException">The n1×n2 result does not fit in the memory available; the message gives the size and how to fit.</exception>
    /// <exception cref="KernelOverflowException">
    /// An entry overflowed (an inner product, a squared norm or a power beyond ±1.8e308): the message
    /// names the first bad entry and what overflowed; rescale or standardize the inputs, or use a smaller degree or γ.
    /// </exception>
    public Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        Compute(x1, x2, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>
    /// The kernel matrix K(X1, X2), as the other overload describes, with every setting from
    /// <paramref name="options"/>: the provider for the GEMM of each block, the tile size (rows per block,
    /// default <see cref="BlockRows"/>), the memory budget, the thread limit of the elementwise passes,
    /// progress and cancellation.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for X1 (then K is symmetric and computed by halves).</param>
    /// <param name="options">How to compute; <see cref="ComputeOptions.Default"/> for the process defaults.</param>
    /// <exception cref="ArgumentException">The inputs have different numbers of columns, or an input is NaN or infinite.</exception>
    /// <exception cref="InsufficientMemoryException">The n1×n2 result exceeds the memory budget or the memory available; the message gives the size and how to fit.</exception>
    /// <exception cref="KernelOverflowException">An entry overflowed (see the other overload).</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public Matrix Compute(Matrix x1, Matrix? x2, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(options);
        bool symmetric = x2 is null;
        x2 ??= x1;
        if (x1.Cols != x2.Cols)
            throw new ArgumentException($"Inputs have {x1.Cols} and {x2.Cols} features; K(X1, X2) needs the same number of columns in both.", nameof(x2));
        RequireFinite(x1, "X1");
        if (!symmetric) RequireFinite(x2, "X2");
        int n1 = x1.Rows, n2 = x2.Rows, d = x1.Cols;
        bool distances = Kind is KernelKind.Gaussian or KernelKind.Laplace;
        long bytes = 8L * n1 * n2 + (distances ? 8L * (n1 + (symmetric ? 0 : n2)) : 0);
        options.RequireMemory(bytes, $"The {Describe()} kernel matrix {n1}×{n2}",
            "compute it in blocks of fewer rows (K(X1 rows a..b, X2) for slices of X1) and use or save each block before the next, or use fewer samples");
        var k = new Matrix(n1, n2);
        if (n1 == 0 || n2 == 0) return k;
        var provider = options.ProviderOrDefault;
        var parallel = options.ParallelOptions;
        int blockRows = options.TileSize ?? BlockRows;
        double[]? sq1 = null, sq2 = null;
        if (distances)
        {
            sq1 = RowSquaredNorms(x1, parallel);
            sq2 = symmetric ? sq1 : RowSquaredNorms(x2, parallel);
            RequireFiniteNorms(sq1, sq2, x1, x2);
        }

        // Row blocks; in the symmetric case block b computes only columns ≥ its first row.
        var blocks = new List<Tile>();
        for (int i0 = 0; i0 < n1; i0 += blockRows)
        {
            int rows = Math.Min(blockRows, n1 - i0);
            int c0 = symmetric ? i0 : 0;
            blocks.Add(new Tile(i0, rows, c0, n2 - c0));
        }
        // The GEMM inside each block is itself multithreaded, so blocks run one after another; after a
        // block with a non-finite entry the rest are skipped (its first bad entry is the matrix's first:
        // in the symmetric case a mirrored entry's twin lies in an earlier row).
        var bad = new FirstBad();
        TileScheduler.Run(blocks, t =>
        {
            if (bad.Found) return;
            var dst = k.Data.AsSpan(t.Row0 * n2 + t.Col0);
            provider.Gemm(Op.None, Op.Transpose, t.Rows, t.Cols, d, 1.0,
                x1.Data.AsSpan(t.Row0 * d), Math.Max(d, 1), x2.Data.AsSpan(t.Col0 * d), Math.Max(d, 1), 0.0, dst, n2);
            TransformBlock(k, t, x1, x2, sq1, sq2, bad, parallel);
        }, $"{Describe()} kernel {n1}×{n2}", options with { MaxThreads = 1 });
        if (bad.Found) throw Overflow(bad.Row, bad.Column, k[bad.Row, bad.Column], x1, x2);

        if (symmetric)
        {
            TileScheduler.MirrorUpperToLower(k.Data, n1);
            if (distances)
                for (int i = 0; i < n1; i++) k.Data[i * n1 + i] = 1.0; // exact: ‖x − x‖ = 0
        }
        return k;
    }

    /// <summary>The first (row-major) non-finite entry seen by the elementwise pass, shared by its threads.</summary>
    internal sealed class FirstBad
    {
        private readonly Lock _lock = new();

        /// <summary>True once an entry was recorded.</summary>
        public bool Found { get; private set; }

        /// <summary>The 0-based row of the first bad entry.</summary>
        public int Row { get; private set; } = int.MaxValue;

        /// <summary>The 0-based column of the first bad entry.</summary>
        public int Column { get; private set; }

        /// <summary>Records (row, column) if it comes before the entry recorded so far.</summary>
        public void Record(int row, int column)
        {
            lock (_lock)
            {
                if (Found && (row > Row || row == Row && column >= Column)) return;
                (Row, Column, Found) = (row, column, true);
            }
        }
    }

    /// <summary>Inputs must be finite, as for the network kernels (<see cref="KernelInputs.RequireFinite"/>).</summary>
    private static void RequireFinite(Matrix x, string name) => KernelInputs.RequireFinite(x, name);

    /// <summary>
    /// The Gaussian and Laplace kernels use ‖x‖² + ‖x'‖² − 2·x·x', so every squared norm must be finite;
    /// an infinite one would make every entry of its row (or column) NaN.
    /// </summary>
    internal void RequireFiniteNorms(double[] sq1, double[] sq2, Matrix x1, Matrix x2)
    {
        int i1 = Array.FindIndex(sq1, v => !double.IsFinite(v));
        int j2 = ReferenceEquals(sq1, sq2) ? i1 : Array.FindIndex(sq2, v => !double.IsFinite(v));
        if (i1 < 0 && j2 < 0) return;
        // The first entry in row-major order: row 1 if some column is bad, else the bad row's first entry.
        bool byColumn = j2 >= 0 && i1 != 0;
        var (name, index, x, row, col) = byColumn ? ("X2", j2, x2, 0, j2) : ("X1", i1, x1, i1, 0);
        if (ReferenceEquals(x1, x2)) name = "X";
        double largest = TensorPrimitives.MaxMagnitude<double>(x.Row(index));
        throw new KernelOverflowException(Describe(), row + 1, col + 1,
            $"{Describe()} kernel {Formula} overflowed at entry ({row + 1}, {col + 1}): the squared norm ‖x‖² of {name} row {index + 1} is {Format(byColumn ? sq2[index] : sq1[index])} " +
            $"(its largest |entry| is {Math.Abs(largest):G4}; squares beyond 1.8e308 overflow). Rescale or standardize the inputs (mean 0, standard deviation 1 per feature) so that ‖x‖² stays well below 1e308.");
    }

    /// <summary>The exception for the non-finite entry <paramref name="value"/> at (i, j) (0-based), with what overflowed there.</summary>
    private KernelOverflowException Overflow(int i, int j, double value, Matrix x1, Matrix x2)
    {
        var a = x1.Row(i);
        var b = x2.Row(j);
        double g = TensorPrimitives.Dot<double>(a, b);
        double largest = Math.Max(Math.Abs(TensorPrimitives.MaxMagnitude<double>(a)), Math.Abs(TensorPrimitives.MaxMagnitude<double>(b)));
        const string Rescale = "Rescale or standardize the inputs (mean 0, standard deviation 1 per feature)";
        string detail = Kind switch
        {
            KernelKind.Linear =>
                $"x·x' = {Format(g)} (the largest |input| in these rows is {largest:G4}; sums of products beyond ±1.8e308 overflow). {Rescale}.",
            KernelKind.Polynomial when !double.IsFinite(Gamma * g + Coef0) =>
                $"γ·x·x'+c = {Format(Gamma * g + Coef0)} (x·x' = {Format(g)}; the largest |input| in these rows is {largest:G4}). {Rescale}, or use a smaller γ.",
            KernelKind.Polynomial =>
                $"|γ·x·x'+c| = {Math.Abs(Gamma * g + Coef0):G6}, and its power {Degree} is about 1e{Degree * Math.Log10(Math.Abs(Gamma * g + Coef0)):F0}, beyond the largest double (1.8e308). " +
                $"{Rescale}, or use a smaller degree or γ, so that |γ·x·x'+c| stays near 1 or below.",
            _ =>
                $"the entry is {Format(value)} (x·x' = {Format(g)}; the largest |input| in these rows is {largest:G4}). {Rescale}.",
        };
        return new KernelOverflowException(Describe(), i + 1, j + 1, $"{Describe()} kernel {Formula} overflowed at entry ({i + 1}, {j + 1}): {detail}");
    }

    /// <summary>The kernel's formula for messages, with the degree filled in.</summary>
    private string Formula => Kind switch
    {
        KernelKind.Linear => "x·x'",
        KernelKind.Gaussian => "exp(-γ‖x−x'‖²)",
        KernelKind.Laplace => "exp(-γ‖x−x'‖)",
        _ => $"(γ·x·x'+c)^{Degree}",
    };

    private static string Format(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The elementwise pass over one block of inner products (in place), rows in parallel.</summary>
    /// <remarks>Each row is checked for non-finite entries while it is in cache; the first is recorded in <paramref name="bad"/>.</remarks>
    internal void TransformBlock(Matrix k, Tile t, Matrix x1, Matrix x2, double[]? sq1, double[]? sq2, FirstBad? bad = null, ParallelOptions? parallel = null)
    {
        int n2 = k.Cols;
        Parallel.For(0, t.Rows, parallel ?? new ParallelOptions(), r =>
        {
            int i = t.Row0 + r;
            var row = k.Data.AsSpan(i * n2 + t.Col0, t.Cols);
            Transform(row, sq1 is null ? 0 : sq1[i], sq2 is null ? default : sq2.AsSpan(t.Col0, t.Cols), x1.Row(i), x2, t.Col0);
            if (bad is not null && !TensorPrimitives.IsFiniteAll<double>(row))
                for (int j = 0; j < row.Length; j++)
                    if (!double.IsFinite(row[j])) { bad.Record(i, t.Col0 + j); break; }
        });
    }

    /// <summary>
    /// K(X1 rows row0..row0+rows−1, X2) into <paramref name="dst"/> (rows × n2, row-major), wholly on the
    /// calling thread (callers run many blocks in parallel): the inner products by the managed GEMM, then
    /// the elementwise pass row by row while it is in cache. <paramref name="sq1"/> and <paramref name="sq2"/>
    /// hold the squared norms of the rows of X1 and X2 for the distance kernels (<see cref="RowSquaredNorms"/>,
    /// checked by <see cref="RequireFiniteNorms"/>), else null. The inputs were checked finite by the caller.
    /// </summary>
    /// <exception cref="KernelOverflowException">An entry is not finite.</exception>
    internal unsafe void ComputeRowsInto(Matrix x1, double[]? sq1, int row0, int rows, Matrix x2, double[]? sq2, Span<double> dst)
    {
        int n2 = x2.Rows, d = x1.Cols;
        if (rows == 0 || n2 == 0) return;
        fixed (double* a = x1.Data.AsSpan(row0 * d), b = x2.Data, c = dst)
            ManagedGemm.Gemm(Op.None, Op.Transpose, rows, n2, d, 1.0, a, Math.Max(d, 1), b, Math.Max(d, 1), 0.0, c, n2, allowParallel: false);
        for (int r = 0; r < rows; r++)
        {
            int i = row0 + r;
            var row = dst.Slice(r * n2, n2);
            Transform(row, sq1 is null ? 0 : sq1[i], sq2, x1.Row(i), x2, 0);
            if (!TensorPrimitives.IsFiniteAll<double>(row))
                for (int j = 0; j < n2; j++)
                    if (!double.IsFinite(row[j])) throw Overflow(i, j, row[j], x1, x2);
        }
    }

    /// <summary>Turns inner products g = x·x' (in place) into kernel values.</summary>
    private void Transform(Span<double> row, double sqI, ReadOnlySpan<double> sqJ, ReadOnlySpan<double> xi, Matrix x2, int col0)
    {
        switch (Kind)
        {
            case KernelKind.Linear:
                return;
            case KernelKind.Polynomial:
                TensorPrimitives.Multiply<double>(row, Gamma, row);
                TensorPrimitives.Add<double>(row, Coef0, row);
                if (Degree != 1)
                    for (int j = 0; j < row.Length; j++) row[j] = IntegerPower(row[j], Degree);
                return;
            case KernelKind.Gaussian:
                // exp(-γ·max(0, ‖x‖² + ‖x'‖² − 2·x·x')): the clamp removes rounding below zero.
                SquaredDistances(row, sqI, sqJ, -Gamma, takeSqrt: false, xi, x2, col0);
                VectorMath.Exp(row, row);
                return;
            case KernelKind.Laplace:
                SquaredDistances(row, sqI, sqJ, -Gamma, takeSqrt: true, xi, x2, col0);
                VectorMath.Exp(row, row);
                return;
        }
    }

    /// <summary>row[j] ← scale·dist(i, j) or scale·dist², fused in one SIMD pass.</summary>
    private static void SquaredDistances(Span<double> row, double sqI, ReadOnlySpan<double> sqJ, double scale, bool takeSqrt,
        ReadOnlySpan<double> xi, Matrix x2, int col0)
    {
        // One fused pass: distance² from the inner product, a SIMD test for near-duplicates (recomputed
        // exactly, see ExactDistance2), optional square root, scaling by −γ.
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vi = Vector512.Create(sqI);
            var vs = Vector512.Create(scale);
            var minus2 = Vector512.Create(-2.0);
            var tol = Vector512.Create(NearDuplicateTolerance);
            for (; j <= row.Length - Vector512<double>.Count; j += Vector512<double>.Count)
            {
                var g = Vector512.Create<double>(row[j..]);
                var s = vi + Vector512.Create<double>(sqJ[j..]);
                var d2 = Vector512.Max(Vector512.FusedMultiplyAdd(minus2, g, s), Vector512<double>.Zero);
                var v = takeSqrt ? Vector512.Sqrt(d2) : d2;
                (v * vs).CopyTo(row[j..]);
                if (Vector512.LessThanOrEqualAny(d2, tol * s))
                    for (int q = j; q < j + Vector512<double>.Count; q++) FixIfNear(row, q, sqI + sqJ[q], scale, takeSqrt, xi, x2, col0);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vi = Vector256.Create(sqI);
            var vs = Vector256.Create(scale);
            var minus2 = Vector256.Create(-2.0);
            var tol = Vector256.Create(NearDuplicateTolerance);
            for (; j <= row.Length - Vector256<double>.Count; j += Vector256<double>.Count)
            {
                var g = Vector256.Create<double>(row[j..]);
                var s = vi + Vector256.Create<double>(sqJ[j..]);
                var d2 = Vector256.Max(Vector256.FusedMultiplyAdd(minus2, g, s), Vector256<double>.Zero);
                var v = takeSqrt ? Vector256.Sqrt(d2) : d2;
                (v * vs).CopyTo(row[j..]);
                if (Vector256.LessThanOrEqualAny(d2, tol * s))
                    for (int q = j; q < j + Vector256<double>.Count; q++) FixIfNear(row, q, sqI + sqJ[q], scale, takeSqrt, xi, x2, col0);
            }
        }
        for (; j < row.Length; j++)
        {
            double d2 = Math.Max(sqI + sqJ[j] - 2 * row[j], 0);
            row[j] = scale * (takeSqrt ? Math.Sqrt(d2) : d2);
            FixIfNear(row, j, sqI + sqJ[j], scale, takeSqrt, xi, x2, col0);
        }
    }

    private const double NearDuplicateTolerance = 1e-5;

    private static void FixIfNear(Span<double> row, int j, double s, double scale, bool takeSqrt, ReadOnlySpan<double> xi, Matrix x2, int col0)
    {
        double d2 = takeSqrt ? (row[j] / scale) * (row[j] / scale) : row[j] / scale;
        if (d2 > NearDuplicateTolerance * s) return;
        double exact = ExactDistance2(xi, x2.Row(col0 + j));
        row[j] = scale * (takeSqrt ? Math.Sqrt(exact) : exact);
    }

    /// <summary>
    /// ‖x‖² + ‖x'‖² − 2·x·x' loses about ε·(‖x‖² + ‖x'‖²) to cancellation, which matters when x and x'
    /// are close (and, for the Laplace kernel, the square root magnifies it: K(x, x) would come out as
    /// 1 − 1e-8). Entries whose distance² is below 1e-5·(‖x‖² + ‖x'‖²) are recomputed from the
    /// differences, so the relative error of every distance stays near 1e-11 or better.
    /// </summary>
    private static double ExactDistance2(ReadOnlySpan<double> xi, ReadOnlySpan<double> xj)
    {
        double exact = 0;
        for (int p = 0; p < xi.Length; p++)
        {
            double diff = xi[p] - xj[p];
            exact += diff * diff;
        }
        return exact;
    }

    // Exact for negative bases (Math.Pow via exp/log would not be for a vectorised pow).
    private static double IntegerPower(double x, int p)
    {
        double r = 1;
        while (p > 0)
        {
            if ((p & 1) != 0) r *= x;
            x *= x;
            p >>= 1;
        }
        return r;
    }

    internal static double[] RowSquaredNorms(Matrix x, ParallelOptions? parallel = null)
    {
        var s = new double[x.Rows];
        Parallel.For(0, x.Rows, parallel ?? new ParallelOptions(), i => s[i] = TensorPrimitives.Dot<double>(x.Row(i), x.Row(i)));
        return s;
    }
}
