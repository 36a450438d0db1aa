namespace Tangent.Numerics;

/// <summary>
/// A symmetric n×n matrix held as the tiles of its upper block triangle, each tile its own row-major
/// array: tile (i, j) with i ≤ j covers rows [Start(i), Start(i) + Length(i)) and columns
/// [Start(j), Start(j) + Length(j)). It takes about n²/2 values instead of n², no array is larger than
/// one tile (so n is not limited by .NET's array length), and <see cref="TiledCholesky"/> factors it in
/// place (docs/SOLVERS.md, "Memory of the exact solve").
/// </summary>
/// <remarks>
/// Diagonal tiles are stored whole (both triangles), which costs n·t/2 values more than the packed
/// triangle for tile size t; off-diagonal tiles are stored once, the lower block triangle being their
/// transposes.
/// </remarks>
public sealed class SymmetricTiles
{
    /// <summary>The tile size when none is given: large enough for GEMM to run at full speed on each
    /// tile update, small enough that the whole diagonal tiles waste little (n·t/2 values).</summary>
    public const int DefaultTileSize = 2048;

    private readonly double[]?[] _tiles;

    /// <summary>Creates the tiling of an n×n matrix; no tile is allocated until it is set or first used.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n is negative or the tile size is below 1.</exception>
    public SymmetricTiles(int order, int tileSize = DefaultTileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 1);
        Order = order;
        TileSize = Math.Min(tileSize, Math.Max(order, 1));
        TileCount = order == 0 ? 0 : (order + TileSize - 1) / TileSize;
        _tiles = new double[]?[(long)TileCount * (TileCount + 1) / 2];
    }

    /// <summary>The order n.</summary>
    public int Order { get; }

    /// <summary>Rows (and columns) of a full tile; the last tile of a row may be shorter.</summary>
    public int TileSize { get; }

    /// <summary>Tiles along a side.</summary>
    public int TileCount { get; }

    /// <summary>The first row (and column) of tile row <paramref name="i"/>.</summary>
    public int Start(int i) => i * TileSize;

    /// <summary>The number of rows of tile row <paramref name="i"/>.</summary>
    public int Length(int i) => Math.Min(TileSize, Order - i * TileSize);

    /// <summary>The bytes the values of an n×n matrix take in tiles of size <paramref name="tileSize"/>.</summary>
    public static long BytesFor(int order, int tileSize = DefaultTileSize)
    {
        var shape = new SymmetricTiles(order, tileSize);
        long values = 0;
        for (int i = 0; i < shape.TileCount; i++)
            for (int j = i; j < shape.TileCount; j++) values += (long)shape.Length(i) * shape.Length(j);
        return 8 * values;
    }

    /// <summary>
    /// Tile (i, j), i ≤ j, as a row-major Length(i)×Length(j) array (allocated, zero, on first use).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">i &gt; j or out of range.</exception>
    public double[] Tile(int i, int j)
    {
        int index = Index(i, j);
        return _tiles[index] ??= new double[Length(i) * Length(j)];
    }

    /// <summary>Sets tile (i, j), i ≤ j, to <paramref name="values"/> (taken, not copied): a Length(i)×Length(j) row-major array.</summary>
    /// <exception cref="ArgumentException">The array has the wrong length.</exception>
    public void SetTile(int i, int j, double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int index = Index(i, j);
        if (values.Length != Length(i) * Length(j))
            throw new ArgumentException($"Tile ({i}, {j}) is {Length(i)}×{Length(j)}; got {values.Length} values.", nameof(values));
        _tiles[index] = values;
    }

    /// <summary>Element (r, c) of the symmetric matrix.</summary>
    public double this[int r, int c]
    {
        get
        {
            if (r > c) (r, c) = (c, r);
            int i = r / TileSize, j = c / TileSize;
            return Tile(i, j)[(r - Start(i)) * Length(j) + (c - Start(j))];
        }
    }

    /// <summary>The diagonal.</summary>
    public double[] Diagonal()
    {
        var d = new double[Order];
        for (int i = 0; i < TileCount; i++)
        {
            var t = Tile(i, i);
            int b = Length(i);
            for (int k = 0; k < b; k++) d[Start(i) + k] = t[k * b + k];
        }
        return d;
    }

    /// <summary>Adds <paramref name="value"/> to every diagonal element.</summary>
    public void AddToDiagonal(double value)
    {
        for (int i = 0; i < TileCount; i++)
        {
            var t = Tile(i, i);
            int b = Length(i);
            for (int k = 0; k < b; k++) t[k * b + k] += value;
        }
    }

    /// <summary>The first entry that is not finite as (row, column), 0-based, or null.</summary>
    public (int Row, int Col)? FirstNonFinite()
    {
        for (int i = 0; i < TileCount; i++)
            for (int j = i; j < TileCount; j++)
            {
                var t = Tile(i, j);
                for (int k = 0; k < t.Length; k++)
                    if (!double.IsFinite(t[k])) return (Start(i) + k / Length(j), Start(j) + k % Length(j));
            }
        return null;
    }

    /// <summary>The whole matrix as a dense <see cref="Matrix"/> (for tests and small orders).</summary>
    public Matrix ToMatrix()
    {
        var m = new Matrix(Order, Order);
        for (int i = 0; i < TileCount; i++)
            for (int j = i; j < TileCount; j++)
            {
                var t = Tile(i, j);
                int bi = Length(i), bj = Length(j);
                for (int r = 0; r < bi; r++)
                    for (int c = 0; c < bj; c++)
                    {
                        double v = t[r * bj + c];
                        m[Start(i) + r, Start(j) + c] = v;
                        m[Start(j) + c, Start(i) + r] = v;
                    }
            }
        return m;
    }

    /// <summary>The tiling of a dense symmetric matrix (its upper triangle is read; the values are copied).</summary>
    /// <exception cref="ArgumentException">The matrix is not square.</exception>
    public static SymmetricTiles FromMatrix(Matrix a, int tileSize = DefaultTileSize)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.IsSquare) throw new ArgumentException($"A symmetric matrix must be square, got {a.Shape}.", nameof(a));
        var s = new SymmetricTiles(a.Rows, tileSize);
        for (int i = 0; i < s.TileCount; i++)
            for (int j = i; j < s.TileCount; j++)
            {
                var t = s.Tile(i, j);
                int bi = s.Length(i), bj = s.Length(j);
                for (int r = 0; r < bi; r++)
                    for (int c = 0; c < bj; c++)
                    {
                        int row = s.Start(i) + r, col = s.Start(j) + c;
                        t[r * bj + c] = row <= col ? a[row, col] : a[col, row];
                    }
            }
        return s;
    }

    internal int Index(int i, int j)
    {
        if ((uint)i >= (uint)TileCount || (uint)j >= (uint)TileCount || i > j)
            throw new ArgumentOutOfRangeException(nameof(i), $"Tile ({i}, {j}) is not in the upper block triangle of a {TileCount}×{TileCount} tiling.");
        // Row-major upper triangle: rows 0..i-1 hold T + (T-1) + ... + (T-i+1) tiles.
        return i * TileCount - i * (i - 1) / 2 + (j - i);
    }

    internal void Release(int i, int j) => _tiles[Index(i, j)] = null;
}
