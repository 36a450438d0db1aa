namespace Tangent.Numerics;

/// <summary>Whether an operand is used as stored or transposed (BLAS TRANSA/TRANSB).</summary>
public enum Op
{
    /// <summary>Use the operand as stored.</summary>
    None,
    /// <summary>Use the transpose of the operand.</summary>
    Transpose,
}

/// <summary>Which implementation of dense linear algebra runs.</summary>
public enum ProviderKind
{
    /// <summary>Pick native when the system's OpenBLAS loads and runs kernels as wide as the processor's vectors (AVX-512
    /// kernels on an AVX-512 processor), else managed (<see cref="LinearAlgebra.PreferManaged"/>).</summary>
    Auto,
    /// <summary>Plain C# with SIMD intrinsics and <see cref="Parallel"/>; always available.</summary>
    Managed,
    /// <summary>The system's OpenBLAS/LAPACK through P/Invoke.</summary>
    Native,
}

/// <summary>
/// Dense linear algebra on row-major <see cref="double"/> storage. Each method names the BLAS or
/// LAPACK routine it stands for, so the managed and the native implementation are interchangeable
/// and are tested by the same tests, as in Math.NET Numerics.
/// </summary>
/// <remarks>
/// All matrices are row-major with a leading dimension (the distance between rows, ≥ the number
/// of columns). Nothing above <c>Numerics/</c> should depend on which provider runs.
/// </remarks>
public interface ILinearAlgebraProvider
{
    /// <summary>Short name: "managed" or "native".</summary>
    string Name { get; }

    /// <summary>Human-readable description (library, threads).</summary>
    string Description { get; }

    /// <summary>
    /// C ← α·op(A)·op(B) + β·C, with op(A) m×k and op(B) k×n (DGEMM).
    /// When β = 0, C is not read (NaN in C does not propagate).
    /// </summary>
    void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc);

    /// <summary>
    /// The lower triangle (column ≤ row) of C ← α·op(A)·op(B) + β·C for a square n×n C, with op(A) n×k and op(B) k×n
    /// (DGEMMT): for a product known to be symmetric, about half the work of <see cref="Gemm"/>. Entries above the
    /// diagonal are unspecified on return (some may be written). When β = 0, C is not read. The default runs
    /// <see cref="Gemm"/> on row blocks of 256 against the columns up to each block's end.
    /// </summary>
    void GemmLower(Op transA, Op transB, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        for (int i0 = 0; i0 < n; i0 += 256)
        {
            int i1 = Math.Min(n, i0 + 256);
            var ai = transA == Op.None ? a[(i0 * lda)..] : a[i0..];
            Gemm(transA, transB, i1 - i0, i1, k, alpha, ai, lda, b, ldb, beta, c[(i0 * ldc)..], ldc);
        }
    }

    /// <summary>
    /// C ← α·A·Aᵀ + β·C with A n×k (DSYRK); both triangles of the n×n result are written.
    /// When β = 0, C is not read.
    /// </summary>
    void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc);

    /// <summary>
    /// In-place Cholesky factorization A = L·Lᵀ of a symmetric positive-definite n×n matrix (DPOTRF).
    /// Only the lower triangle is read; on success it holds L and the strict upper triangle is zeroed.
    /// </summary>
    /// <returns>0 on success; otherwise the 1-based index of the pivot that was not positive
    /// (LAPACK's INFO), in which case the contents of <paramref name="a"/> are unspecified.</returns>
    int Potrf(int n, Span<double> a, int lda);

    /// <summary>
    /// Solves op(L)·X = B in place for a lower-triangular n×n L and n×nrhs B (DTRSM, side left, lower,
    /// non-unit). With <paramref name="trans"/> = <see cref="Op.Transpose"/> it solves Lᵀ·X = B.
    /// </summary>
    void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb);

    /// <summary>
    /// Symmetric eigendecomposition A = V·diag(w)·Vᵀ of an n×n matrix (DSYEVD). Only the lower
    /// triangle is read. On return <paramref name="w"/> holds the eigenvalues in ascending order and
    /// <paramref name="a"/> holds V row-major: column j of V is the eigenvector of w[j].
    /// </summary>
    /// <exception cref="ArithmeticException">The algorithm failed to converge.</exception>
    void Syevd(int n, Span<double> a, int lda, Span<double> w);
}
