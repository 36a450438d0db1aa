using System.Runtime.CompilerServices;

namespace Tangent.Numerics;

/// <summary>
/// A dense row-major matrix of <see cref="double"/> (the project's default precision, docs/MATH.md).
/// Element (i, j) lives at <c>Data[i * Cols + j]</c>; rows are contiguous, so a row is a <see cref="Span{T}"/>.
/// </summary>
/// <remarks>
/// The storage is exposed on purpose: heavy routines (the <see cref="ILinearAlgebraProvider"/> methods,
/// kernel tiles) work on spans without copies. A matrix is mutable; types that must not change
/// (fitted models) keep private copies.
/// </remarks>
public sealed class Matrix
{
    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; }

    /// <summary>Row-major storage, length <c>Rows * Cols</c>.</summary>
    public double[] Data { get; }

    /// <summary>Creates a zero matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or the size overflows.</exception>
    public Matrix(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        long size = (long)rows * cols;
        if (size > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(rows),
                $"A {rows}×{cols} matrix has {size} entries, more than one .NET array can hold ({Array.MaxLength}). Compute it in tiles instead.");
        Rows = rows;
        Cols = cols;
        Data = new double[size];
        HugePages.Advise(Data); // large outputs: 2 MiB pages make the first touch ~100x cheaper on Linux VMs
    }

    /// <summary>Wraps existing row-major storage (no copy).</summary>
    /// <exception cref="ArgumentException">The length of <paramref name="data"/> is not <c>rows * cols</c>.</exception>
    public Matrix(int rows, int cols, double[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if ((long)rows * cols != data.Length)
            throw new ArgumentException($"Expected {rows}×{cols} = {(long)rows * cols} values, got {data.Length}.", nameof(data));
        Rows = rows;
        Cols = cols;
        Data = data;
    }

    /// <summary>Element (i, j).</summary>
    public double this[int i, int j]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Data[i * Cols + j];
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => Data[i * Cols + j] = value;
    }

    /// <summary>The storage as a span.</summary>
    public Span<double> Span => Data;

    /// <summary>Row <paramref name="i"/> as a span (no copy).</summary>
    public Span<double> Row(int i) => Data.AsSpan(i * Cols, Cols);

    /// <summary>True when the matrix is square.</summary>
    public bool IsSquare => Rows == Cols;

    /// <summary>Shape as text, e.g. <c>3×4</c>, for messages.</summary>
    public string Shape => $"{Rows}×{Cols}";

    /// <summary>An n×n identity matrix.</summary>
    public static Matrix Identity(int n)
    {
        var m = new Matrix(n, n);
        for (int i = 0; i < n; i++) m.Data[i * n + i] = 1.0;
        return m;
    }

    /// <summary>Builds a matrix from rows of equal length (copies).</summary>
    /// <exception cref="ArgumentException">The rows are ragged.</exception>
    public static Matrix FromRows(params double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int r = rows.Length, c = r == 0 ? 0 : rows[0].Length;
        var m = new Matrix(r, c);
        for (int i = 0; i < r; i++)
        {
            if (rows[i].Length != c)
                throw new ArgumentException($"Row {i + 1} has {rows[i].Length} values; row 1 has {c}. All rows must have the same length.", nameof(rows));
            rows[i].CopyTo(m.Data, i * c);
        }
        return m;
    }

    /// <summary>Builds a column vector (n×1) from values (copies).</summary>
    public static Matrix Column(params double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new Matrix(values.Length, 1, (double[])values.Clone());
    }

    /// <summary>Builds a matrix element by element.</summary>
    public static Matrix Build(int rows, int cols, Func<int, int, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var m = new Matrix(rows, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m.Data[i * cols + j] = f(i, j);
        return m;
    }

    /// <summary>A deep copy.</summary>
    public Matrix Clone() => new(Rows, Cols, (double[])Data.Clone());

    /// <summary>The transpose (a new matrix).</summary>
    public Matrix Transpose()
    {
        var t = new Matrix(Cols, Rows);
        const int B = 32;
        for (int i0 = 0; i0 < Rows; i0 += B)
            for (int j0 = 0; j0 < Cols; j0 += B)
            {
                int i1 = Math.Min(Rows, i0 + B), j1 = Math.Min(Cols, j0 + B);
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                        t.Data[j * Rows + i] = Data[i * Cols + j];
            }
        return t;
    }

    /// <summary>Copies rows <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/>-1.</summary>
    public Matrix SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start}..{start + count - 1} are outside a matrix with {Rows} rows.");
        var m = new Matrix(count, Cols);
        Array.Copy(Data, (long)start * Cols, m.Data, 0, (long)count * Cols);
        return m;
    }

    /// <summary>Copies the rows listed in <paramref name="indices"/>, in that order.</summary>
    public Matrix SelectRows(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var m = new Matrix(indices.Count, Cols);
        for (int r = 0; r < indices.Count; r++)
        {
            int i = indices[r];
            if ((uint)i >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Row index {i} is outside a matrix with {Rows} rows.");
            Array.Copy(Data, (long)i * Cols, m.Data, (long)r * Cols, Cols);
        }
        return m;
    }

    /// <summary>Copies the columns listed in <paramref name="indices"/>, in that order.</summary>
    public Matrix SelectColumns(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var m = new Matrix(Rows, indices.Count);
        foreach (int j in indices)
            if ((uint)j >= (uint)Cols)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Column index {j} is outside a matrix with {Cols} columns.");
        for (int i = 0; i < Rows; i++)
            for (int c = 0; c < indices.Count; c++)
                m.Data[i * indices.Count + c] = Data[i * Cols + indices[c]];
        return m;
    }

    /// <summary>Copies the block at the rows <paramref name="rows"/> and columns <paramref name="cols"/>, in those orders
    /// (K[rows, cols], e.g. a fold's validation-train block of a kernel matrix).</summary>
    public Matrix Select(IReadOnlyList<int> rows, IReadOnlyList<int> cols)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cols);
        foreach (int i in rows)
            if ((uint)i >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row index {i} is outside a matrix with {Rows} rows.");
        foreach (int j in cols)
            if ((uint)j >= (uint)Cols)
                throw new ArgumentOutOfRangeException(nameof(cols), $"Column index {j} is outside a matrix with {Cols} columns.");
        var b = new Matrix(rows.Count, cols.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var src = Row(rows[i]);
            var dst = b.Row(i);
            for (int j = 0; j < cols.Count; j++) dst[j] = src[cols[j]];
        }
        return b;
    }

    /// <summary>The diagonal of a matrix (length min(Rows, Cols)).</summary>
    public double[] Diagonal()
    {
        int n = Math.Min(Rows, Cols);
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = Data[i * Cols + i];
        return d;
    }

    /// <summary>Adds <paramref name="value"/> to every diagonal entry in place (A ← A + value·I, e.g. a ridge).</summary>
    public void AddToDiagonal(double value)
    {
        int n = Math.Min(Rows, Cols);
        for (int i = 0; i < n; i++) Data[i * Cols + i] += value;
    }

    /// <summary>Largest absolute elementwise difference to <paramref name="other"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public double MaxAbsDifference(Matrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireSameShape(other, nameof(other));
        double m = 0;
        for (int i = 0; i < Data.Length; i++) m = Math.Max(m, Math.Abs(Data[i] - other.Data[i]));
        return m;
    }

    /// <summary>The Frobenius norm.</summary>
    public double FrobeniusNorm()
    {
        double s = 0;
        foreach (double v in Data) s += v * v;
        return Math.Sqrt(s);
    }

    /// <summary>True when every entry is finite (no NaN or infinity).</summary>
    public bool AllFinite() => FirstNonFinite() is null;

    /// <summary>The 0-based (row, column) of the first NaN or infinite entry in row-major order, or null
    /// when every entry is finite; input checks use it to name the offending cell.</summary>
    public (int Row, int Column)? FirstNonFinite()
    {
        for (int k = 0; k < Data.Length; k++)
            if (!double.IsFinite(Data[k])) return (k / Cols, k % Cols);
        return null;
    }

    /// <summary>Throws unless <paramref name="other"/> has this matrix's shape.</summary>
    internal void RequireSameShape(Matrix other, string paramName)
    {
        if (other.Rows != Rows || other.Cols != Cols)
            throw new ArgumentException($"Shape mismatch: expected {Shape}, got {other.Shape}.", paramName);
    }

    /// <summary>Rows as jagged arrays (copies); handy for tests and printing.</summary>
    public double[][] ToRowArrays()
    {
        var r = new double[Rows][];
        for (int i = 0; i < Rows; i++) r[i] = Row(i).ToArray();
        return r;
    }

    /// <inheritdoc />
    public override string ToString() => $"Matrix {Shape}";
}
