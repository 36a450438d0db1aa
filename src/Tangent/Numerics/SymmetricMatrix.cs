namespace Tangent.Numerics;

/// <summary>Small helpers for square row-major storage.</summary>
internal static class SymmetricMatrix
{
    /// <summary>Copies the lower triangle onto the upper one.</summary>
    /// <remarks>Works in 64×64 tiles so that the strided reads stay in cache.</remarks>
    public static void MirrorLowerToUpper(int n, Span<double> c, int ldc)
    {
        const int T = 64;
        for (int i0 = 0; i0 < n; i0 += T)
            for (int j0 = i0; j0 < n; j0 += T)
            {
                int i1 = Math.Min(n, i0 + T), j1 = Math.Min(n, j0 + T);
                for (int i = i0; i < i1; i++)
                    for (int j = Math.Max(j0, i + 1); j < j1; j++)
                        c[i * ldc + j] = c[j * ldc + i];
            }
    }

    /// <summary>Transposes a square matrix in place, in 32×32 blocks (each pair of blocks swapped within the cache).</summary>
    public static void TransposeInPlace(int n, Span<double> a, int lda)
    {
        const int B = 32;
        for (int i0 = 0; i0 < n; i0 += B)
            for (int j0 = i0; j0 < n; j0 += B)
                for (int i = i0; i < Math.Min(i0 + B, n); i++)
                    for (int j = Math.Max(j0, i + 1); j < Math.Min(j0 + B, n); j++)
                        (a[(int)((long)i * lda + j)], a[(int)((long)j * lda + i)]) = (a[(int)((long)j * lda + i)], a[(int)((long)i * lda + j)]);
    }
}
