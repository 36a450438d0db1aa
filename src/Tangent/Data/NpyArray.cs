using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>The element type of a NumPy array on disk.</summary>
public enum NpyElementType
{
    /// <summary>64-bit float (<c>&lt;f8</c>).</summary>
    Float64,
    /// <summary>32-bit float (<c>&lt;f4</c>).</summary>
    Float32,
    /// <summary>16-bit float (<c>&lt;f2</c>), read only.</summary>
    Float16,
    /// <summary>8-bit signed integer (<c>|i1</c>), read only.</summary>
    Int8,
    /// <summary>16-bit signed integer (<c>&lt;i2</c>), read only.</summary>
    Int16,
    /// <summary>32-bit signed integer (<c>&lt;i4</c>), read only.</summary>
    Int32,
    /// <summary>64-bit signed integer (<c>&lt;i8</c>), read only.</summary>
    Int64,
    /// <summary>8-bit unsigned integer (<c>|u1</c>), read only.</summary>
    UInt8,
    /// <summary>16-bit unsigned integer (<c>&lt;u2</c>), read only.</summary>
    UInt16,
    /// <summary>32-bit unsigned integer (<c>&lt;u4</c>), read only.</summary>
    UInt32,
    /// <summary>64-bit unsigned integer (<c>&lt;u8</c>), read only.</summary>
    UInt64,
    /// <summary>Boolean (<c>|b1</c>, 0 or 1), read only.</summary>
    Bool,
}

/// <summary>
/// A NumPy array read from a <c>.npy</c> file: its full shape and its values as a matrix with one
/// row per entry of the first axis and every other axis flattened in C order (a 1-D array of
/// length n is n×1; an (n, H, W, C) image array is n×(H·W·C); a 0-D scalar is 1×1).
/// </summary>
/// <param name="Shape">The array's shape as stored in the file (after any Fortran-order conversion the values are in C order).</param>
/// <param name="Values">The values as a row-major matrix (see the type's summary).</param>
/// <param name="ElementType">The element type on disk (values are always converted to double).</param>
public sealed record NpyArray(IReadOnlyList<int> Shape, Matrix Values, NpyElementType ElementType)
{
    /// <summary>The number of axes (0 for a scalar).</summary>
    public int Rank => Shape.Count;

    /// <summary>The shape as NumPy prints it, e.g. <c>(10, 28, 28, 1)</c>.</summary>
    public string ShapeText => Npy.FormatShape(Shape);
}
