namespace Tangent.Numerics;

/// <summary>Checks that row-major storage can hold the matrix a routine is about to touch, so that
/// the pointer-based kernels never read or write outside a span.</summary>
internal static class MatrixArguments
{
    /// <summary>Throws unless a rows×cols matrix with leading dimension <paramref name="ld"/> fits in <paramref name="length"/> values.</summary>
    /// <exception cref="ArgumentException">The leading dimension is smaller than the column count, or the storage is too short.</exception>
    public static void Check(string name, int length, int rows, int cols, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"{name}: the leading dimension {ld} is smaller than the {cols} columns of the {rows}×{cols} operand; pass ld ≥ {cols} (row-major storage).", name);
        long need = (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException($"{name}: a {rows}×{cols} operand with leading dimension {ld} needs {need} values, but the storage holds {length}.", name);
    }
}
