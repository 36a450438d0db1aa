using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// The input checks every reader shares (docs/DATA.md, "Validation"): values must be finite, and a
/// bad value is reported with the file, its 1-based row and column, the value and the fix.
/// </summary>
public static class DataValidation
{
    /// <summary>
    /// Throws a <see cref="DataFormatException"/> naming the first NaN or infinite entry of
    /// <paramref name="values"/> (row-major order; 1-based row and column).
    /// </summary>
    /// <param name="values">The values read.</param>
    /// <param name="source">The file (or source name) they came from.</param>
    /// <param name="shape">
    /// Optional N-D shape of the array on disk (its product is the number of entries); when it has
    /// more than two axes the message also gives the NumPy index of the entry.
    /// </param>
    /// <exception cref="DataFormatException">An entry is NaN or ±infinity.</exception>
    public static void RequireFinite(Matrix values, string source, IReadOnlyList<int>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.FirstNonFinite() is not var (i, j)) return;
        string where = "";
        if (shape is { Count: > 2 })
        {
            long flat = (long)i * values.Cols + j;
            var index = new long[shape.Count];
            for (int k = shape.Count - 1; k >= 0; k--)
            {
                index[k] = shape[k] == 0 ? 0 : flat % shape[k];
                flat = shape[k] == 0 ? 0 : flat / shape[k];
            }
            where = $" (NumPy index [{string.Join(", ", index)}] of the {Npy.FormatShape(shape)} array)";
        }
        throw new DataFormatException(source, i + 1, j + 1, NonFiniteProblem(FormatValue(values[i, j])) + where);
    }

    /// <summary>The problem text for a non-finite value, shared by the text and binary readers.</summary>
    internal static string NonFiniteProblem(string valueText) =>
        $"the value '{valueText}' is not finite (NaN or ±infinity). Kernels and solvers need finite numbers: impute or drop missing values first " +
        "(library callers who want to clean them in code can read with non-finite values allowed).";

    /// <summary>NaN, Infinity, -Infinity or the shortest round-trip text.</summary>
    internal static string FormatValue(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
