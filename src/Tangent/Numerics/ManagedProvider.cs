using System.Numerics;

namespace Tangent.Numerics;

/// <summary>
/// Dense linear algebra in plain C#: SIMD through <see cref="Vector{T}"/> and multithreading through
/// <see cref="Parallel"/>. Always available; the reference for the native provider's tests.
/// </summary>
public sealed unsafe partial class ManagedProvider : ILinearAlgebraProvider
{
    /// <summary>The shared instance.</summary>
    public static ManagedProvider Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "managed";

    /// <inheritdoc />
    public string Description => $"managed C# (GEMM micro-kernel {ManagedGemm.MR}×{ManagedGemm.NR} with {(ManagedGemm.Use512 ? "Vector512" : "Vector256")}, {Environment.ProcessorCount} threads)";

    /// <inheritdoc />
    /// <remarks>Packed, register-blocked and multithreaded (<see cref="ManagedGemm"/>).</remarks>
    public void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        if (m == 0 || n == 0) return;
        MatrixArguments.Check("A", a.Length, transA == Op.None ? m : k, transA == Op.None ? k : m, lda);
        MatrixArguments.Check("B", b.Length, transB == Op.None ? k : n, transB == Op.None ? n : k, ldb);
        MatrixArguments.Check("C", c.Length, m, n, ldc);
        fixed (double* pa = a, pb = b, pc = c)
        {
            if (ManagedThinGemm.Applies(m, n, k))
                ManagedThinGemm.Gemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            else
                ManagedGemm.Gemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <inheritdoc />
    /// <remarks>One <see cref="ManagedGemm"/> call that skips the register tiles wholly above the diagonal.</remarks>
    public void GemmLower(Op transA, Op transB, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        if (n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(n), $"GemmLower dimensions must be non-negative, got n={n}, k={k}.");
        if (n == 0) return;
        MatrixArguments.Check("A", a.Length, transA == Op.None ? n : k, transA == Op.None ? k : n, lda);
        MatrixArguments.Check("B", b.Length, transB == Op.None ? k : n, transB == Op.None ? n : k, ldb);
        MatrixArguments.Check("C", c.Length, n, n, ldc);
        fixed (double* pa = a, pb = b, pc = c)
            ManagedGemm.Gemm(transA, transB, n, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, ManagedGemm.Part.Lower);
    }

    /// <inheritdoc />
    /// <remarks>Only the register tiles on or below the diagonal are computed; the upper triangle is mirrored.</remarks>
    public void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
    {
        if (n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(n), $"Syrk dimensions must be non-negative, got n={n}, k={k}.");
        if (n == 0) return;
        MatrixArguments.Check("A", a.Length, n, k, lda);
        MatrixArguments.Check("C", c.Length, n, n, ldc);
        fixed (double* pa = a, pc = c)
            ManagedGemm.Gemm(Op.None, Op.Transpose, n, n, k, alpha, pa, lda, pa, lda, beta, pc, ldc, ManagedGemm.Part.Lower);
        SymmetricMatrix.MirrorLowerToUpper(n, c, ldc);
    }

    /// <inheritdoc />
    /// <remarks>Right-looking blocked algorithm with GEMM/TRSM updates (<see cref="ManagedCholesky"/>).</remarks>
    public int Potrf(int n, Span<double> a, int lda)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return 0;
        MatrixArguments.Check("A", a.Length, n, n, lda);
        fixed (double* pa = a)
            return ManagedCholesky.Potrf(n, pa, lda);
    }

    /// <inheritdoc />
    /// <remarks>Recursive blocked algorithm with GEMM updates (<see cref="ManagedCholesky"/>).</remarks>
    public void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb)
    {
        if (n < 0 || nrhs < 0) throw new ArgumentOutOfRangeException(nameof(n), $"Trsm dimensions must be non-negative, got n={n}, nrhs={nrhs}.");
        if (n == 0 || nrhs == 0) return;
        MatrixArguments.Check("L", l.Length, n, n, ldl);
        MatrixArguments.Check("B", b.Length, n, nrhs, ldb);
        fixed (double* pl = l, pb = b)
            ManagedCholesky.TrsmLeftLower(trans, n, nrhs, pl, ldl, pb, ldb);
    }
}
