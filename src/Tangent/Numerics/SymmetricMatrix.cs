namespace Tangent.Numerics;

/// <summary>Small helpers for square row-major storage.</summary>
internal static class SymmetricMatrix
{
    /// <summary>Copies the lower triangle onto the upper one.</summary>
    public static void MirrorLowerToUpper(int n, Span<double> c, int ldc)
    {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                c[i * ldc + j] = c[j * ldc + i];
    }

    /// <summary>Transposes a square matrix in place.</summary>
    public static void TransposeInPlace(int n, Span<double> a, int lda)
    {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                (a[i * lda + j], a[j * lda + i]) = (a[j * lda + i], a[i * lda + j]);
    }
}
