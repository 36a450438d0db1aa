using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// A symmetric n×n matrix M kept as its lower block triangle with halved diagonal blocks (M′, so that
/// M = M′ + M′ᵀ), for the diagonal of the quadratic form W·M·Wᵀ at half the cost of a full product:
/// wᵀ·M·w = 2·wᵀ·M′·w, and W·M′ᵀ is a block-triangular product whose block column A needs only the
/// first (A + 1)·b columns of W. The NTK-ensemble variances evaluate diag(W·(VᵀKₓₓV)·Wᵀ) at every time
/// (docs/DYNAMICS.md, "Cost"), so this halves the per-time n*×n×n product, and building M′ = Vᵀ·(Kₓₓ·V)
/// as the lower triangle of Vᵀ·(Kₓₓ·V) halves the second of the two n×n×n products that make VᵀKₓₓV.
/// </summary>
internal sealed class HalfQuadraticForm
{
    private readonly Matrix _lower; // M′: blocks (A, B) with B < A as in M, diagonal blocks ¼·(M_AA + M_AAᵀ), zeros above
    private readonly ILinearAlgebraProvider _provider;

    private HalfQuadraticForm(Matrix lower, int blockSize, ILinearAlgebraProvider provider)
    {
        _lower = lower;
        BlockSize = blockSize;
        _provider = provider;
    }

    /// <summary>n.</summary>
    public int Order => _lower.Rows;

    /// <summary>The block size b (the per-product overhead over the exact half is b/n).</summary>
    public int BlockSize { get; }

    /// <summary>The default block size for order n: about n/10, between 64 and 1024 (at most n). The triangle's blocks add
    /// b/n (~10%) to the half product, but each GEMM is then large enough to run near the kernel's peak: with m = 1000
    /// test points on 2 AVX-512 cores (<c>quick gemm-shapes n m</c>, docs/PERFORMANCE.md) n = 5000 took 0.172 s per
    /// product at b = 208 (n/24) and 0.135 s at 512; n = 2000 was best at 256 and n = 8000 at 1024.</summary>
    public static int DefaultBlockSize(int n) => Math.Max(1, Math.Min(n, Math.Clamp(n / 10, 64, 1024)));

    /// <summary>M = Vᵀ·K·V for a symmetric K (n×n) and V (n×n): K·V in full, then only the lower triangle of Vᵀ·(K·V)
    /// (<see cref="ILinearAlgebraProvider.GemmLower"/>, one call); each diagonal block is taken from its lower triangle.</summary>
    public static HalfQuadraticForm Congruence(Matrix v, Matrix k, ILinearAlgebraProvider p, int blockSize = 0)
    {
        int n = v.Rows;
        if (blockSize <= 0) blockSize = DefaultBlockSize(n);
        var kv = LinearAlgebra.Multiply(k, v, Op.None, Op.None, p);
        var lower = new Matrix(n, n);
        p.GemmLower(Op.Transpose, Op.None, n, n, 1.0, v.Data, n, kv.Data, n, 0.0, lower.Data, n);
        var l = lower.Data;
        Parallel.For(0, (n + blockSize - 1) / blockSize, block =>
        {
            int a0 = block * blockSize, a1 = Math.Min(n, a0 + blockSize);
            for (int i = a0; i < a1; i++)
            {
                // M′_AA = ½·M_AA from its lower triangle; nothing right of the diagonal block.
                l[(long)i * n + i] *= 0.5;
                for (int j = a0; j < i; j++) l[(long)j * n + i] = l[(long)i * n + j] *= 0.5;
                l.AsSpan(i * n + a1, n - a1).Clear();
            }
        });
        return new HalfQuadraticForm(lower, blockSize, p);
    }

    /// <summary>From a full symmetric M (its lower block triangle is read; tests and small cases).</summary>
    public static HalfQuadraticForm FromSymmetric(Matrix m, ILinearAlgebraProvider p, int blockSize = 0)
    {
        int n = m.Rows;
        if (blockSize <= 0) blockSize = DefaultBlockSize(n);
        var lower = new Matrix(n, n);
        for (int a0 = 0; a0 < n; a0 += blockSize)
        {
            int a1 = Math.Min(n, a0 + blockSize);
            for (int i = a0; i < a1; i++) Array.Copy(m.Data, i * n, lower.Data, i * n, a1);
            HalveDiagonalBlock(lower, a0, a1);
        }
        return new HalfQuadraticForm(lower, blockSize, p);
    }

    private static void HalveDiagonalBlock(Matrix lower, int a0, int a1)
    {
        int n = lower.Cols;
        for (int i = a0; i < a1; i++)
        {
            lower.Data[i * n + i] *= 0.5;
            for (int j = a0; j < i; j++)
            {
                double s = 0.25 * (lower.Data[i * n + j] + lower.Data[j * n + i]);
                lower.Data[i * n + j] = s;
                lower.Data[j * n + i] = s;
            }
        }
    }

    /// <summary>The full symmetric M = M′ + M′ᵀ (a new matrix).</summary>
    public Matrix ToFull()
    {
        int n = Order;
        var m = new Matrix(n, n);
        var l = _lower.Data;
        Parallel.For(0, n, i =>
        {
            var row = m.Row(i);
            for (int j = 0; j < n; j++) row[j] = l[i * n + j] + l[j * n + i];
        });
        return m;
    }

    /// <summary>diag(W·M·Wᵀ) for W (r×n): 2·Σ_a W_ia·(W·M′ᵀ)_ia, with <paramref name="work"/> (r×n, overwritten)
    /// holding W·M′ᵀ, so that a caller looping over times allocates nothing n-sized.</summary>
    public double[] QuadraticDiagonal(Matrix w, Matrix work)
    {
        int n = Order, r = w.Rows;
        if (w.Cols != n || work.Rows != r || work.Cols != n)
            throw new ArgumentException($"Expected W and the workspace {r}×{n}, got {w.Shape} and {work.Shape}.", nameof(w));
        for (int a0 = 0; a0 < n; a0 += BlockSize)
        {
            int a1 = Math.Min(n, a0 + BlockSize);
            // work[:, a0:a1] = W[:, 0:a1] · M′[a0:a1, 0:a1]ᵀ
            _provider.Gemm(Op.None, Op.Transpose, r, a1 - a0, a1, 1.0, w.Data, n, _lower.Data.AsSpan(a0 * n), n, 0.0, work.Data.AsSpan(a0), n);
        }
        var d = DenseOps.RowDots(w, work);
        for (int i = 0; i < r; i++) d[i] *= 2;
        return d;
    }
}
