using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// The kernel rows of one SMO sub-problem of l training rows (docs/SVM.md, "Kernel rows"): <see cref="Row"/> returns a
/// pointer to row i, whose entry for sub-problem column c lies at <c>Row(i)[ColumnIndex[c]]</c>. The solver reads
/// rows only through it, so a row is read in place from a precomputed matrix, gathered once into an LRU cache, or
/// computed on demand by an <see cref="IKernel"/>; the pointers stay valid until the next two rows are asked for.
/// </summary>
internal abstract unsafe class KernelRows : IDisposable
{
    protected KernelRows(int count, int[] columnIndex, double[] diagonal)
    {
        Count = count;
        ColumnIndex = columnIndex;
        Diagonal = diagonal;
        IsIdentity = true;
        for (int c = 0; c < columnIndex.Length; c++)
            if (columnIndex[c] != c)
            {
                IsIdentity = false;
                break;
            }
    }

    /// <summary>l, the rows (and columns) of the sub-problem.</summary>
    public int Count { get; }

    /// <summary>Where column c of the sub-problem lies within a row.</summary>
    public int[] ColumnIndex { get; }

    /// <summary>True when <see cref="ColumnIndex"/> is 0, 1, …, l−1 (a row is contiguous in sub-problem order).</summary>
    public bool IsIdentity { get; }

    /// <summary>K(x_i, x_i) for each row of the sub-problem.</summary>
    public double[] Diagonal { get; }

    /// <summary>Row <paramref name="i"/> of the sub-problem's kernel (see the class remarks for its layout).</summary>
    public abstract double* Row(int i);

    /// <summary>A hint that <paramref name="rows"/> are read next, so a cache computes the missing ones in one block.</summary>
    public virtual void Prefetch(ReadOnlySpan<int> rows) { }

    /// <summary>How many rows may be prefetched at once and all stay readable.</summary>
    public virtual int PrefetchLimit => int.MaxValue;

    /// <summary>Whether row <paramref name="i"/> is at hand (held by a cache, or read in place) without computing it.</summary>
    public virtual bool Holds(int i) => true;

    /// <summary>True when computing several missing rows at once costs less than computing them one by one
    /// (a kernel evaluated on a block of rows), so that the solver asks for likely rows ahead of need.</summary>
    public bool ComputesInBlocks { get; init; }

    /// <summary>Releases pinned memory.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases pinned memory.</summary>
    protected virtual void Dispose(bool disposing) { }
}

/// <summary>
/// Rows read in place from an n×n precomputed kernel (row-major, contiguous), through an index map from
/// sub-problem rows to the matrix's rows and columns (the identity for a binary problem on every row).
/// </summary>
internal sealed unsafe class PrecomputedKernelRows : KernelRows
{
    private GCHandle _handle;
    private readonly double* _data;
    private readonly int _n;
    private readonly int[] _map;

    public PrecomputedKernelRows(Matrix kernel, int[] map, double[] fullDiagonal)
        : base(map.Length, map, Gather(fullDiagonal, map))
    {
        _n = kernel.Cols;
        _map = map;
        _handle = GCHandle.Alloc(kernel.Data, GCHandleType.Pinned);
        _data = (double*)_handle.AddrOfPinnedObject();
    }

    public override double* Row(int i) => _data + (long)_map[i] * _n;

    protected override void Dispose(bool disposing)
    {
        if (_handle.IsAllocated) _handle.Free();
        base.Dispose(disposing);
    }

    internal static double[] Gather(double[] values, int[] map)
    {
        var g = new double[map.Length];
        for (int c = 0; c < map.Length; c++) g[c] = values[map[c]];
        return g;
    }
}

/// <summary>
/// Rows held in a least-recently-used cache of a fixed number of bytes (libsvm's <c>Cache</c>), filled on a miss by
/// <c>fill(rows, destination)</c>, which writes the full rows (sub-problem order, contiguous) one after another.
/// At least two rows are always held, so the pair of rows of an SMO step stay readable together.
/// </summary>
internal sealed unsafe class CachedKernelRows : KernelRows
{
    // Slots live in blocks of _blockRows rows, taken when first used (from the fit's pool, so that the sub-problems of one fit
    // reuse each other's blocks instead of faulting in fresh pages): a sub-problem that touches few rows holds few blocks.
    private readonly RowBlockPool _pool;
    private readonly List<double[]> _blocks = [];
    private readonly nint[] _blockBase;
    private readonly int _blockRows;
    private readonly int[] _slotOf, _rowOf, _prev, _next;
    private readonly Action<int[], Span<double>> _fill;
    private int _head = -1, _tail = -1, _used;

    public CachedKernelRows(int count, double[] diagonal, long cacheBytes, Action<int[], Span<double>> fill, RowBlockPool? pool = null)
        : base(count, Identity(count), diagonal)
    {
        _fill = fill;
        _pool = pool ?? new RowBlockPool();
        long perRow = 8L * Math.Max(count, 1);
        Slots = (int)Math.Max(Math.Min(cacheBytes / perRow, count), Math.Min(2, count));
        _blockRows = Math.Clamp(RowBlockPool.BlockLength / Math.Max(count, 1), 1, Math.Max(Slots, 1));
        _blockBase = new nint[(Slots + _blockRows - 1) / _blockRows];
        _slotOf = new int[count];
        Array.Fill(_slotOf, -1);
        _rowOf = new int[Slots];
        _prev = new int[Slots];
        _next = new int[Slots];
    }

    private double* Slot(int s)
    {
        int b = s / _blockRows;
        if (_blockBase[b] == 0)
        {
            var block = _pool.Take(_blockRows * Count);
            _blocks.Add(block);
            _blockBase[b] = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));
        }
        return (double*)_blockBase[b] + (long)(s % _blockRows) * Count;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var block in _blocks) _pool.Return(block);
        _blocks.Clear();
        Array.Clear(_blockBase);
        base.Dispose(disposing);
    }

    /// <summary>Rows the cache holds at most.</summary>
    public int Slots { get; }

    /// <summary>Rows computed so far (misses), for tests and benchmarks.</summary>
    public long Misses { get; private set; }

    public override int PrefetchLimit => Math.Max(1, Slots - 2);

    public override bool Holds(int i) => _slotOf[i] >= 0;

    public override double* Row(int i)
    {
        int s = _slotOf[i];
        if (s < 0)
        {
            s = Take(i);
            _fill([i], new Span<double>(Slot(s), Count));
            Misses++;
        }
        else MoveToFront(s);
        return Slot(s);
    }

    public override void Prefetch(ReadOnlySpan<int> rows)
    {
        var missing = new List<int>();
        foreach (int i in rows)
        {
            if (missing.Count == PrefetchLimit) break;
            if (_slotOf[i] < 0 && !missing.Contains(i)) missing.Add(i);
        }
        if (missing.Count == 0) return;
        var block = GC.AllocateUninitializedArray<double>(missing.Count * Count);
        _fill([.. missing], block);
        Misses += missing.Count;
        for (int r = 0; r < missing.Count; r++)
        {
            int s = Take(missing[r]);
            block.AsSpan(r * Count, Count).CopyTo(new Span<double>(Slot(s), Count));
        }
    }

    // A slot for row i at the front of the LRU list: a free one, else the least recently used one's.
    private int Take(int i)
    {
        int s;
        if (_used < Slots) s = _used++;
        else
        {
            s = _tail;
            Unlink(s);
            _slotOf[_rowOf[s]] = -1;
        }
        _rowOf[s] = i;
        _slotOf[i] = s;
        LinkFront(s);
        return s;
    }

    private void MoveToFront(int s)
    {
        if (_head == s) return;
        Unlink(s);
        LinkFront(s);
    }

    private void Unlink(int s)
    {
        if (_prev[s] >= 0) _next[_prev[s]] = _next[s];
        else _head = _next[s];
        if (_next[s] >= 0) _prev[_next[s]] = _prev[s];
        else _tail = _prev[s];
    }

    private void LinkFront(int s)
    {
        _prev[s] = -1;
        _next[s] = _head;
        if (_head >= 0) _prev[_head] = s;
        _head = s;
        if (_tail < 0) _tail = s;
    }

    private static int[] Identity(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /// <summary>Rows of a precomputed kernel restricted to the sub-problem's rows and columns (a gather per row, once per miss).</summary>
    public static CachedKernelRows Gathered(Matrix kernel, int[] map, double[] fullDiagonal, long cacheBytes, RowBlockPool? pool = null)
    {
        int n = kernel.Cols;
        var data = kernel.Data;
        return new CachedKernelRows(map.Length, PrecomputedKernelRows.Gather(fullDiagonal, map), cacheBytes,
            (rows, dest) => GatherRows(data, n, map, rows, dest), pool);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherRows(double[] data, int n, int[] map, int[] rows, Span<double> dest)
    {
        int l = map.Length;
        fixed (double* k0 = data, d0 = dest)
        fixed (int* m = map)
        {
            for (int r = 0; r < rows.Length; r++)
            {
                double* src = k0 + (long)map[rows[r]] * n, d = d0 + (long)r * l;
                int c = 0;
                if (Avx2.IsSupported)
                    for (; c <= l - 4; c += 4) Avx2.GatherVector256(src, Sse2.LoadVector128(m + c), 8).Store(d + c);
                for (; c < l; c++) d[c] = src[m[c]];
            }
        }
    }

    /// <summary>Rows computed by <paramref name="kernel"/> on the sub-problem's inputs <paramref name="x"/>, in blocks of missing rows.</summary>
    /// <exception cref="ArgumentException">A computed kernel entry is not finite (named by its training rows, 1-based, through <paramref name="map"/>).</exception>
    public static CachedKernelRows Computed(IKernel kernel, Matrix x, int[] map, double[] diagonal, long cacheBytes, ComputeOptions options, RowBlockPool? pool = null) =>
        new(x.Rows, diagonal, cacheBytes, (rows, dest) => ComputeRows(kernel, x, map, options, rows, dest), pool) { ComputesInBlocks = true };

    private static void ComputeRows(IKernel kernel, Matrix x, int[] map, ComputeOptions options, int[] rows, Span<double> dest)
    {
        var block = kernel.Compute(x.SelectRows(rows), x, options);
        if (block.FirstNonFinite() is var (r, c))
            throw new ArgumentException($"Entry ({map[rows[r]] + 1}, {map[c] + 1}) of the {kernel.Describe()} kernel matrix is not finite; rescale the inputs or change the kernel's parameters.");
        block.Data.AsSpan().CopyTo(dest);
    }
}

/// <summary>
/// Pinned blocks of <see cref="BlockLength"/> doubles (1 MiB) shared by the row caches of one fit (thread-safe): a block a finished
/// sub-problem returns is reused by the next instead of new pages. Blocks longer than that (rows over 1 MiB) are not kept.
/// </summary>
internal sealed class RowBlockPool
{
    /// <summary>Doubles per pooled block.</summary>
    public const int BlockLength = 1 << 17;

    private readonly System.Collections.Concurrent.ConcurrentBag<double[]> _free = [];

    /// <summary>A pinned block of at least <paramref name="length"/> doubles (on the pinned object heap, so its address stays put).</summary>
    public double[] Take(int length)
    {
        if (length <= BlockLength && _free.TryTake(out var block)) return block;
        return GC.AllocateUninitializedArray<double>(Math.Max(length, BlockLength), pinned: true);
    }

    /// <summary>Gives a block back for reuse.</summary>
    public void Return(double[] block)
    {
        if (block.Length == BlockLength) _free.Add(block);
    }
}
