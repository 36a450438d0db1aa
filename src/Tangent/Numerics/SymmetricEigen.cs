namespace Tangent.Numerics;

/// <summary>
/// The eigendecomposition A = V·diag(λ)·Vᵀ of a symmetric matrix (LAPACK DSYEVD), with the functions
/// of A that it makes cheap: the pseudoinverse, f(A)·B for any scalar f (e.g. the matrix exponential
/// of gradient-descent dynamics), and solves.
/// </summary>
public sealed class SymmetricEigen
{
    private readonly ILinearAlgebraProvider _provider;

    private SymmetricEigen(double[] values, Matrix vectors, ILinearAlgebraProvider provider)
    {
        Values = values;
        Vectors = vectors;
        _provider = provider;
    }

    /// <summary>Eigenvalues in ascending order.</summary>
    public double[] Values { get; }

    /// <summary>Eigenvectors as columns: column j belongs to <c>Values[j]</c>.</summary>
    public Matrix Vectors { get; }

    /// <summary>Order of the matrix.</summary>
    public int Order => Values.Length;

    /// <summary>Decomposes a copy of <paramref name="a"/> (its lower triangle is read).</summary>
    /// <exception cref="ArgumentException">Not square or not finite.</exception>
    public static SymmetricEigen Compute(Matrix a, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.IsSquare) throw new ArgumentException($"The eigendecomposition needs a square matrix, got {a.Shape}.", nameof(a));
        if (!a.AllFinite()) throw new ArgumentException("The matrix contains NaN or infinity; cannot compute its eigendecomposition.", nameof(a));
        provider ??= LinearAlgebra.Provider;
        var v = a.Clone();
        var w = new double[a.Rows];
        provider.Syevd(a.Rows, v.Data, Math.Max(a.Cols, 1), w);
        return new SymmetricEigen(w, v, provider);
    }

    /// <summary>The default cut-off below which eigenvalues count as zero: n·ε·max|λ|
    /// (NumPy's <c>pinv</c>/<c>matrix_rank</c> convention).</summary>
    public double DefaultTolerance => Order * 2.220446049250313e-16 * Values.Select(Math.Abs).DefaultIfEmpty(0).Max();

    /// <summary>V·diag(f(λ))·Vᵀ·B: applies a function of the matrix to B (a new matrix).</summary>
    public Matrix Apply(Func<double, double> f, Matrix b)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Order) throw new ArgumentException($"Expected {Order} rows, got {b.Rows}.", nameof(b));
        // C = Vᵀ·B, scale row j by f(λj), then V·C.
        var c = LinearAlgebra.Multiply(Vectors, b, Op.Transpose, Op.None, _provider);
        for (int j = 0; j < Order; j++)
        {
            double s = f(Values[j]);
            var row = c.Row(j);
            for (int q = 0; q < row.Length; q++) row[q] *= s;
        }
        return LinearAlgebra.Multiply(Vectors, c, Op.None, Op.None, _provider);
    }

    /// <summary>V·diag(f(λ))·Vᵀ as a matrix.</summary>
    public Matrix Function(Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var scaled = Vectors.Clone();
        for (int i = 0; i < Order; i++)
            for (int j = 0; j < Order; j++) scaled[i, j] *= f(Values[j]);
        return LinearAlgebra.Multiply(scaled, Vectors, Op.None, Op.Transpose, _provider);
    }

    /// <summary>A⁺·B, the minimum-norm least-squares solution: eigenvalues at or below
    /// <paramref name="tolerance"/> (default <see cref="DefaultTolerance"/>) are treated as zero.</summary>
    public Matrix PseudoInverseApply(Matrix b, double? tolerance = null)
    {
        double tol = tolerance ?? DefaultTolerance;
        return Apply(l => Math.Abs(l) > tol ? 1.0 / l : 0.0, b);
    }

    /// <summary>The pseudoinverse A⁺.</summary>
    public Matrix PseudoInverse(double? tolerance = null)
    {
        double tol = tolerance ?? DefaultTolerance;
        return Function(l => Math.Abs(l) > tol ? 1.0 / l : 0.0);
    }

    /// <summary>Number of eigenvalues above the tolerance.</summary>
    public int Rank(double? tolerance = null)
    {
        double tol = tolerance ?? DefaultTolerance;
        return Values.Count(l => Math.Abs(l) > tol);
    }
}
