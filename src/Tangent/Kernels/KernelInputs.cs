using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>The input check every kernel engine shares (classical, fully connected, convolutional).</summary>
internal static class KernelInputs
{
    /// <summary>Throws unless every entry of <paramref name="x"/> is finite, naming the first bad one 1-based.</summary>
    /// <param name="x">The inputs, a sample per row.</param>
    /// <param name="name">Their name in the message (X1, X2).</param>
    /// <param name="row">What a row is (row, image).</param>
    /// <param name="column">What a column is (column, feature).</param>
    /// <exception cref="ArgumentException">An entry is NaN or ±∞.</exception>
    public static void RequireFinite(Matrix x, string name, string row = "row", string column = "column")
    {
        if (x.FirstNonFinite() is var (i, j))
            throw new ArgumentException(
                $"{name} {row} {i + 1}, {column} {j + 1} is {x[i, j].ToString("G6", CultureInfo.InvariantCulture)}: kernels need finite inputs. Remove or impute that value.");
    }
}
