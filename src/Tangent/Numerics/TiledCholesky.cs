namespace Tangent.Numerics;

/// <summary>
/// The Cholesky factorization A = L·Lᵀ of a <see cref="SymmetricTiles"/> matrix, computed in place: the
/// matrix's own tiles become the factor, so the exact solve needs no second n×n buffer (docs/SOLVERS.md,
/// "Memory of the exact solve"). The tile algorithm is the right-looking block Cholesky (Golub &amp; Van
/// Loan, "Matrix Computations", 4th ed., §4.2.9; the tile form of Buttari et al. 2009, PLASMA) written
/// on the upper block triangle, so that every step is a left-sided provider call:
/// </summary>
/// <remarks>
/// For each tile column k: L_kk = chol(A_kk) (DPOTRF on the diagonal tile); U_kj = L_kk⁻¹·A_kj for j &gt; k
/// (DTRSM, left, lower), which is L_jkᵀ; and A_ji ← A_ji − U_kjᵀ·U_ki for k &lt; j ≤ i (DGEMM). Diagonal
/// tiles end holding L_kk (lower), off-diagonal tiles U_kj = L_jkᵀ. The flop count is n³/3 as for DPOTRF,
/// all of it in the provider's GEMM, TRSM and POTRF.
/// </remarks>
public sealed class TiledCholesky
{
    private readonly SymmetricTiles _l;
    private readonly ILinearAlgebraProvider _provider;

    private TiledCholesky(SymmetricTiles l, ILinearAlgebraProvider provider)
    {
        _l = l;
        _provider = provider;
    }

    /// <summary>Order of the factored matrix.</summary>
    public int Order => _l.Order;

    /// <summary>
    /// Factors <paramref name="a"/> in place. On success the tiles hold the factor and <paramref name="a"/>
    /// must no longer be read as the matrix; on failure its contents are unspecified.
    /// </summary>
    /// <param name="a">The symmetric matrix (consumed).</param>
    /// <param name="failedPivot">0, or the 1-based index of the first pivot that was not positive.</param>
    /// <param name="provider">The linear-algebra provider (default: <see cref="LinearAlgebra.Provider"/>).</param>
    /// <param name="progress">Called after each tile column with the flops done and the total (n³/3).</param>
    /// <param name="cancellationToken">Checked between tile steps.</param>
    /// <returns>The factor, or null when a pivot was not positive.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static TiledCholesky? TryFactorInPlace(SymmetricTiles a, out int failedPivot, ILinearAlgebraProvider? provider = null,
        Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        provider ??= LinearAlgebra.Provider;
        int tiles = a.TileCount;
        double total = Math.Max((double)a.Order * a.Order * a.Order / 3, 1), done = 0;
        for (int k = 0; k < tiles; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int bk = a.Length(k);
            var lkk = a.Tile(k, k);
            int info = provider.Potrf(bk, lkk, bk);
            if (info > 0)
            {
                failedPivot = a.Start(k) + info;
                return null;
            }
            for (int j = k + 1; j < tiles; j++)
                provider.Trsm(Op.None, bk, a.Length(j), lkk, bk, a.Tile(k, j), a.Length(j));
            for (int j = k + 1; j < tiles; j++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var ukj = a.Tile(k, j);
                int bj = a.Length(j);
                for (int i = j; i < tiles; i++)
                {
                    int bi = a.Length(i);
                    provider.Gemm(Op.Transpose, Op.None, bj, bi, bk, -1.0, ukj, bj, a.Tile(k, i), bi, 1.0, a.Tile(j, i), bi);
                    done += 2.0 * bj * bi * bk;
                }
            }
            done += (double)bk * bk * bk / 3 + (double)bk * bk * (a.Order - a.Start(k) - bk);   // POTRF and the TRSMs
            progress?.Invoke((long)Math.Min(done, total), (long)total);
        }
        failedPivot = 0;
        progress?.Invoke((long)total, (long)total);
        return new TiledCholesky(a, provider);
    }

    /// <summary>Factors <paramref name="a"/> in place (see <see cref="TryFactorInPlace"/>).</summary>
    /// <exception cref="NotPositiveDefiniteException">A pivot was not positive; the message suggests a ridge.</exception>
    public static TiledCholesky FactorInPlace(SymmetricTiles a, ILinearAlgebraProvider? provider = null,
        Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        var diagonal = a.Diagonal();
        return TryFactorInPlace(a, out int pivot, provider, progress, cancellationToken) ?? throw NotPositiveDefiniteException.For(diagonal, pivot);
    }

    /// <summary>The smallest squared pivot L[i,i]² (for the numerically-singular test of <c>Solver.Auto</c>).</summary>
    public double MinPivotSquared()
    {
        double min = double.PositiveInfinity;
        for (int k = 0; k < _l.TileCount; k++)
        {
            var t = _l.Tile(k, k);
            int b = _l.Length(k);
            for (int r = 0; r < b; r++) min = Math.Min(min, t[r * b + r] * t[r * b + r]);
        }
        return min;
    }

    /// <summary>log det A = 2·Σ log L[i,i].</summary>
    public double LogDeterminant()
    {
        double s = 0;
        for (int k = 0; k < _l.TileCount; k++)
        {
            var t = _l.Tile(k, k);
            int b = _l.Length(k);
            for (int r = 0; r < b; r++) s += Math.Log(t[r * b + r]);
        }
        return 2 * s;
    }

    /// <summary>Solves A·X = B (a new matrix).</summary>
    /// <exception cref="ArgumentException">B has the wrong number of rows.</exception>
    public Matrix Solve(Matrix b)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Order)
            throw new ArgumentException($"Right-hand side has {b.Rows} rows; the factored matrix has order {Order}.", nameof(b));
        var x = b.Clone();
        int m = x.Cols, tiles = _l.TileCount;
        if (m == 0) return x;
        Span<double> Block(int i) => x.Data.AsSpan(_l.Start(i) * m, _l.Length(i) * m);
        // Forward: L·Z = B, block row i: Z_i = L_ii⁻¹ (B_i − Σ_{k<i} L_ik·Z_k), with L_ik = U_kiᵀ.
        for (int i = 0; i < tiles; i++)
        {
            int bi = _l.Length(i);
            for (int k = 0; k < i; k++)
                _provider.Gemm(Op.Transpose, Op.None, bi, m, _l.Length(k), -1.0, _l.Tile(k, i), bi, Block(k), m, 1.0, Block(i), m);
            _provider.Trsm(Op.None, bi, m, _l.Tile(i, i), bi, Block(i), m);
        }
        // Backward: Lᵀ·X = Z, block row i: X_i = L_iiᵀ⁻¹ (Z_i − Σ_{k>i} L_kiᵀ·X_k), with L_kiᵀ = U_ik.
        for (int i = tiles - 1; i >= 0; i--)
        {
            int bi = _l.Length(i);
            for (int k = i + 1; k < tiles; k++)
                _provider.Gemm(Op.None, Op.None, bi, m, _l.Length(k), -1.0, _l.Tile(i, k), _l.Length(k), Block(k), m, 1.0, Block(i), m);
            _provider.Trsm(Op.Transpose, bi, m, _l.Tile(i, i), bi, Block(i), m);
        }
        return x;
    }
}
