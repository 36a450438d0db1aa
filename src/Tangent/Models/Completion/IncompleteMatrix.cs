using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// A matrix with missing entries (docs/COMPLETION.md): the values and which of them are observed. Built from a
/// matrix whose missing entries are NaN (<see cref="FromNaN"/>) or from values and a 0/1 mask
/// (<see cref="IncompleteMatrix(Matrix, Matrix)"/>); every check is made here, once, with messages that name the
/// entry (row and column, 1-based) and the fix. Immutable: the accessors return copies.
/// </summary>
public sealed class IncompleteMatrix
{
    private readonly double[] _values;     // row-major; 0 where missing
    private readonly bool[] _observed;     // row-major

    private IncompleteMatrix(int rows, int cols, double[] values, bool[] observed)
    {
        Rows = rows;
        Cols = cols;
        _values = values;
        _observed = observed;
        ObservedCount = observed.Count(o => o);
    }

    /// <summary>The values <paramref name="values"/> where <paramref name="mask"/> is 1 (observed); where it is 0 the
    /// value is missing and ignored (it may be anything, NaN included).</summary>
    /// <exception cref="ArgumentException">The shapes differ, a mask entry is neither 0 nor 1, an observed value is not
    /// finite, or nothing is observed.</exception>
    public IncompleteMatrix(Matrix values, Matrix mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Rows != values.Rows || mask.Cols != values.Cols)
            throw new ArgumentException($"The mask is {mask.Shape} but the matrix is {values.Shape}; give one mask entry per matrix entry (1 = observed, 0 = missing).");
        Rows = values.Rows;
        Cols = values.Cols;
        _values = new double[values.Data.Length];
        _observed = new bool[values.Data.Length];
        for (int k = 0; k < _values.Length; k++)
        {
            double m = mask.Data[k];
            if (m != 0 && m != 1)
                throw new ArgumentException($"The mask has {Text(m)} at row {k / Cols + 1}, column {k % Cols + 1}; use 1 for an observed entry and 0 for a missing one.");
            if (m == 0) continue;
            double v = values.Data[k];
            if (!double.IsFinite(v))
                throw new ArgumentException($"The matrix has {Text(v)} at row {k / Cols + 1}, column {k % Cols + 1}, which the mask marks observed; give a finite value or mark the entry 0 (missing) in the mask.");
            _values[k] = v;
            _observed[k] = true;
        }
        ObservedCount = _observed.Count(o => o);
        RequireSomething();
    }

    /// <summary>A matrix whose NaN entries are the missing ones.</summary>
    /// <exception cref="ArgumentException">An entry is ±∞, or every entry is NaN.</exception>
    public static IncompleteMatrix FromNaN(Matrix values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var v = new double[values.Data.Length];
        var o = new bool[v.Length];
        for (int k = 0; k < v.Length; k++)
        {
            double x = values.Data[k];
            if (double.IsNaN(x)) continue;
            if (!double.IsFinite(x))
                throw new ArgumentException($"The matrix has {Text(x)} at row {k / values.Cols + 1}, column {k % values.Cols + 1}; a missing entry is NaN (or an empty cell in a CSV file), an observed one a finite number.");
            v[k] = x;
            o[k] = true;
        }
        var m = new IncompleteMatrix(values.Rows, values.Cols, v, o);
        m.RequireSomething();
        return m;
    }

    /// <summary>Rows.</summary>
    public int Rows { get; }

    /// <summary>Columns.</summary>
    public int Cols { get; }

    /// <summary>The matrix's shape, e.g. 3×4.</summary>
    public string Shape => $"{Rows}×{Cols}";

    /// <summary>Number of observed entries.</summary>
    public int ObservedCount { get; }

    /// <summary>Number of missing entries.</summary>
    public int MissingCount => Rows * Cols - ObservedCount;

    /// <summary>Observed entries over all entries.</summary>
    public double ObservedFraction => (double)ObservedCount / (Rows * Cols);

    /// <summary>True when entry (i, j) (0-based) is observed.</summary>
    public bool IsObserved(int i, int j) => _observed[Index(i, j)];

    /// <summary>The value of an observed entry, 0 for a missing one.</summary>
    public double this[int i, int j] => _values[Index(i, j)];

    /// <summary>The matrix with the missing entries set to zero (P_Ω(X) in Mazumder et al. 2010), a copy.</summary>
    public Matrix ZeroFilled() => new(Rows, Cols, (double[])_values.Clone());

    /// <summary>The matrix with NaN at the missing entries, a copy.</summary>
    public Matrix WithNaN()
    {
        var m = ZeroFilled();
        for (int k = 0; k < _observed.Length; k++) if (!_observed[k]) m.Data[k] = double.NaN;
        return m;
    }

    /// <summary>The mask as a matrix, 1 = observed, 0 = missing.</summary>
    public Matrix Mask()
    {
        var m = new Matrix(Rows, Cols);
        for (int k = 0; k < _observed.Length; k++) m.Data[k] = _observed[k] ? 1 : 0;
        return m;
    }

    /// <summary>The transpose (observed entries move with their values).</summary>
    public IncompleteMatrix Transpose()
    {
        var v = new double[_values.Length];
        var o = new bool[_values.Length];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Cols; j++)
            {
                v[j * Rows + i] = _values[i * Cols + j];
                o[j * Rows + i] = _observed[i * Cols + j];
            }
        return new IncompleteMatrix(Cols, Rows, v, o);
    }

    /// <summary>This matrix with only the entries where <paramref name="keep"/> is true still observed (a held-out split).</summary>
    internal IncompleteMatrix Keep(Func<int, bool> keep)
    {
        var v = (double[])_values.Clone();
        var o = (bool[])_observed.Clone();
        for (int k = 0; k < o.Length; k++)
            if (o[k] && !keep(k)) { o[k] = false; v[k] = 0; }
        return new IncompleteMatrix(Rows, Cols, v, o);
    }

    /// <summary>Row-major indices of the observed entries.</summary>
    internal int[] ObservedIndices()
    {
        var list = new int[ObservedCount];
        int n = 0;
        for (int k = 0; k < _observed.Length; k++) if (_observed[k]) list[n++] = k;
        return list;
    }

    internal bool ObservedAt(int k) => _observed[k];

    internal double ValueAt(int k) => _values[k];

    /// <summary>The observed columns of row <paramref name="i"/>, ascending.</summary>
    internal int[] ObservedInRow(int i)
    {
        var list = new List<int>();
        for (int j = 0; j < Cols; j++) if (_observed[i * Cols + j]) list.Add(j);
        return [.. list];
    }

    /// <summary>Throws when a row has no observed entry. <paramref name="rowName"/> and <paramref name="colName"/> name the
    /// axes as the caller knows them ("row"/"column", or swapped when the matrix was transposed).</summary>
    /// <exception cref="ArgumentException">The first row without an observed entry, named 1-based.</exception>
    internal void RequireObservedInEveryRow(string rowName, string colName, string method)
    {
        for (int i = 0; i < Rows; i++)
        {
            bool any = false;
            for (int j = 0; j < Cols && !any; j++) any = _observed[i * Cols + j];
            if (!any)
                throw new ArgumentException($"{Capital(rowName)} {i + 1} has no observed entry; {method} needs at least one in every {rowName}. Observe one of its {Cols} {colName}s or drop the {rowName}.");
        }
    }

    /// <summary>The completed matrix: the observed values, and <paramref name="fill"/> at the missing entries.</summary>
    internal Matrix Merge(Matrix fill)
    {
        var m = new Matrix(Rows, Cols);
        for (int k = 0; k < _values.Length; k++) m.Data[k] = _observed[k] ? _values[k] : fill.Data[k];
        return m;
    }

    /// <summary>The root-mean-square error of <paramref name="completed"/> against <paramref name="truth"/> over the entries
    /// that are missing here (the test entries of a completion).</summary>
    /// <exception cref="ArgumentException">The shapes differ, or nothing is missing.</exception>
    public double MissingRmse(Matrix completed, Matrix truth)
    {
        ArgumentNullException.ThrowIfNull(completed);
        ArgumentNullException.ThrowIfNull(truth);
        if (completed.Rows != Rows || completed.Cols != Cols || truth.Rows != Rows || truth.Cols != Cols)
            throw new ArgumentException($"The completed matrix is {completed.Shape} and the truth {truth.Shape}; both must be {Shape}.");
        if (MissingCount == 0) throw new ArgumentException("No entry is missing, so there is no error on missing entries to measure.");
        double s = 0;
        for (int k = 0; k < _observed.Length; k++)
        {
            if (_observed[k]) continue;
            double d = completed.Data[k] - truth.Data[k];
            s += d * d;
        }
        return Math.Sqrt(s / MissingCount);
    }

    private int Index(int i, int j)
    {
        if ((uint)i >= (uint)Rows || (uint)j >= (uint)Cols)
            throw new ArgumentOutOfRangeException(nameof(i), $"Entry ({i}, {j}) is outside the {Shape} matrix (indices are 0-based).");
        return i * Cols + j;
    }

    private void RequireSomething()
    {
        if (Rows == 0 || Cols == 0) throw new ArgumentException($"The matrix is {Shape}; give at least one row and one column.");
        if (ObservedCount == 0) throw new ArgumentException($"No entry of the {Shape} matrix is observed; a completion needs observed values to start from.");
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    internal static string Text(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+∞" : double.IsNegativeInfinity(v) ? "−∞" : v.ToString("G6", CultureInfo.InvariantCulture);
}
