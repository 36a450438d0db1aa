namespace Tangent.Numerics;

/// <summary>
/// The Cholesky factorization A = L·Lᵀ of a symmetric positive-definite matrix (LAPACK DPOTRF), with
/// solves through two triangular solves (DPOTRS = two DTRSM).
/// </summary>
public sealed class Cholesky
{
    private readonly ILinearAlgebraProvider _provider;

    private Cholesky(Matrix factor, ILinearAlgebraProvider provider)
    {
        Factor = factor;
        _provider = provider;
    }

    /// <summary>The lower-triangular factor L (strict upper triangle zero).</summary>
    public Matrix Factor { get; }

    /// <summary>Order of the matrix.</summary>
    public int Order => Factor.Rows;

    /// <summary>Factors a copy of <paramref name="a"/> (only its lower triangle is read).</summary>
    /// <exception cref="ArgumentException"><paramref name="a"/> is not square.</exception>
    /// <exception cref="NotPositiveDefiniteException">A pivot was not positive; the message suggests a ridge.</exception>
    public static Cholesky Compute(Matrix a, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.IsSquare) throw new ArgumentException($"Cholesky needs a square matrix, got {a.Shape}.", nameof(a));
        provider ??= LinearAlgebra.Provider;
        var l = a.Clone();
        int info = provider.Potrf(a.Rows, l.Data, Math.Max(a.Cols, 1));
        if (info > 0) throw NotPositiveDefiniteException.For(a, info);
        return new Cholesky(l, provider);
    }

    /// <summary>Tries to factor; returns null (and the failing 1-based pivot) instead of throwing.</summary>
    public static Cholesky? TryCompute(Matrix a, out int failedPivot, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.IsSquare) throw new ArgumentException($"Cholesky needs a square matrix, got {a.Shape}.", nameof(a));
        provider ??= LinearAlgebra.Provider;
        var l = a.Clone();
        failedPivot = provider.Potrf(a.Rows, l.Data, Math.Max(a.Cols, 1));
        return failedPivot == 0 ? new Cholesky(l, provider) : null;
    }

    /// <summary>Solves A·X = B (a new matrix).</summary>
    /// <exception cref="ArgumentException">B has the wrong number of rows.</exception>
    public Matrix Solve(Matrix b)
    {
        ArgumentNullException.ThrowIfNull(b);
        var x = b.Clone();
        SolveInPlace(x);
        return x;
    }

    /// <summary>Solves A·X = B, overwriting <paramref name="b"/> with X.</summary>
    public void SolveInPlace(Matrix b)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Order)
            throw new ArgumentException($"Right-hand side has {b.Rows} rows; the factored matrix has order {Order}.", nameof(b));
        int ld = Math.Max(Order, 1), ldb = Math.Max(b.Cols, 1);
        _provider.Trsm(Op.None, Order, b.Cols, Factor.Data, ld, b.Data, ldb);
        _provider.Trsm(Op.Transpose, Order, b.Cols, Factor.Data, ld, b.Data, ldb);
    }

    /// <summary>Solves L·X = B (forward substitution only), a new matrix.</summary>
    public Matrix SolveLower(Matrix b)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Order)
            throw new ArgumentException($"Right-hand side has {b.Rows} rows; the factored matrix has order {Order}.", nameof(b));
        var x = b.Clone();
        _provider.Trsm(Op.None, Order, b.Cols, Factor.Data, Math.Max(Order, 1), x.Data, Math.Max(b.Cols, 1));
        return x;
    }

    /// <summary>log det A = 2·Σ log L[i,i].</summary>
    public double LogDeterminant()
    {
        double s = 0;
        for (int i = 0; i < Order; i++) s += Math.Log(Factor[i, i]);
        return 2 * s;
    }
}

/// <summary>
/// A matrix that should be positive definite was not: the Cholesky factorization met a pivot that
/// was not positive. The message names the pivot and suggests a ridge to add.
/// </summary>
public sealed class NotPositiveDefiniteException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public NotPositiveDefiniteException(string message, int pivot, double suggestedRidge) : base(message)
    {
        Pivot = pivot;
        SuggestedRidge = suggestedRidge;
    }

    /// <summary>1-based index of the pivot where positivity failed.</summary>
    public int Pivot { get; }

    /// <summary>A ridge λ that would likely make the matrix positive definite.</summary>
    public double SuggestedRidge { get; }

    internal static NotPositiveDefiniteException For(Matrix a, int pivot)
    {
        var diagonal = new double[a.Rows];
        for (int i = 0; i < a.Rows; i++) diagonal[i] = a[i, i];
        return For(diagonal, pivot);
    }

    internal static NotPositiveDefiniteException For(double[] diagonal, int pivot)
    {
        double meanDiag = 0;
        int n = diagonal.Length;
        for (int i = 0; i < n; i++) meanDiag += Math.Abs(diagonal[i]);
        meanDiag = n > 0 ? meanDiag / n : 1;
        if (!(meanDiag > 0) || !double.IsFinite(meanDiag)) meanDiag = 1;
        double ridge = meanDiag * 1e-6;
        return new NotPositiveDefiniteException(
            $"The {n}×{n} kernel matrix is not positive definite: Cholesky failed at pivot {pivot} of {n}. " +
            $"Add a ridge (e.g. λ = {ridge:G3}, 1e-6 × the mean diagonal) or use the minimum-norm (pseudoinverse) solver.",
            pivot, ridge);
    }
}
