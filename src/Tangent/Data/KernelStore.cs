using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>One chunk of a <see cref="KernelStore"/>: chunk (<paramref name="Row"/>, <paramref name="Col"/>) holds the entries
/// [RowStart, RowStart + Rows) × [ColStart, ColStart + Cols) of the matrix (fewer than the chunk edge at the last row or column).</summary>
/// <param name="Row">The chunk's row index (0-based).</param>
/// <param name="Col">The chunk's column index (0-based).</param>
/// <param name="RowStart">The first matrix row it holds.</param>
/// <param name="ColStart">The first matrix column it holds.</param>
/// <param name="Rows">The matrix rows it holds.</param>
/// <param name="Cols">The matrix columns it holds.</param>
public readonly record struct StoreChunk(int Row, int Col, int RowStart, int ColStart, int Rows, int Cols)
{
    /// <summary>The Zarr v2 chunk key, e.g. <c>0.1</c> (also its file name in the store).</summary>
    public string Key => $"{Row}.{Col}";
}

/// <summary>
/// Shard <paramref name="Index"/> of <paramref name="Count"/> (0-based, written <c>i/N</c>): the chunks of a store are dealt to the
/// shards in turn (the k-th chunk to compute, in row-major order, goes to shard k mod N), so N independent jobs fill one store.
/// </summary>
/// <param name="Index">This shard, 0 ≤ Index &lt; Count.</param>
/// <param name="Count">The number of shards, ≥ 1.</param>
public readonly record struct StoreShard(int Index, int Count)
{
    /// <summary>The whole store (shard 0/1).</summary>
    public static StoreShard All => new(0, 1);

    /// <summary>Whether this is one shard of several.</summary>
    public bool IsPartial => Count > 1;

    /// <summary>Parses <c>i/N</c> (0 ≤ i &lt; N).</summary>
    /// <exception cref="FormatException">Not of that form, with the fix.</exception>
    public static StoreShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && i < n)
            return new StoreShard(i, n);
        throw new FormatException($"The shard '{text}' is not of the form i/N with 0 ≤ i < N (0-based), e.g. 0/3, 1/3 and 2/3 for three jobs.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>What a store holds and was made from, kept in its <c>.zattrs</c> under "tangent".</summary>
/// <param name="Description">What the matrix is, e.g. the kernel's description (<c>gaussian(gamma=0.5)</c>).</param>
/// <param name="Kind">The kind of matrix, e.g. nngp, ntk or classical.</param>
/// <param name="Fingerprint">SHA-256 (hex) of the inputs it was computed from.</param>
/// <param name="Rows">Matrix rows.</param>
/// <param name="Cols">Matrix columns.</param>
/// <param name="ChunkSize">The chunk edge (square chunks).</param>
/// <param name="Symmetric">Whether the matrix is K(X, X): only the upper-triangle chunks are computed, each also written mirrored.</param>
/// <param name="Dtype">How the entries are stored: float64 (Zarr <c>&lt;f8</c>, the default) or float32 (<c>&lt;f4</c>, half the disk, each entry
/// rounded to nearest, docs/PRECISION.md).</param>
public sealed record KernelStoreMetadata(string Description, string Kind, string Fingerprint, int Rows, int Cols, int ChunkSize, bool Symmetric,
    Precision Dtype = Precision.Float64)
{
    /// <summary>The first difference from <paramref name="other"/> as "field: this vs other", or null when they describe the same store.</summary>
    public string? FirstDifference(KernelStoreMetadata other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rows != other.Rows || Cols != other.Cols) return $"shape {Rows}×{Cols} vs {other.Rows}×{other.Cols}";
        if (Symmetric != other.Symmetric) return $"symmetric {Symmetric} vs {other.Symmetric}";
        if (Kind != other.Kind) return $"kind '{Kind}' vs '{other.Kind}'";
        if (Description != other.Description) return $"kernel '{Description}' vs '{other.Description}'";
        if (Fingerprint != other.Fingerprint) return $"input fingerprint {Fingerprint[..Math.Min(12, Fingerprint.Length)]}… vs {other.Fingerprint[..Math.Min(12, other.Fingerprint.Length)]}…";
        if (ChunkSize != other.ChunkSize) return $"chunk {ChunkSize} vs {other.ChunkSize}";
        if (Dtype != other.Dtype) return $"dtype {KernelStore.DtypeName(Dtype)} vs {KernelStore.DtypeName(other.Dtype)}";
        return null;
    }
}

/// <summary>The state of a store: what it holds and how many chunks are done (<see cref="KernelStore.Info"/>).</summary>
/// <param name="Path">The store's folder.</param>
/// <param name="Metadata">What it holds.</param>
/// <param name="ChunksDone">Chunks present with a checksum of the right form (not re-hashed: <see cref="KernelStore.Verify"/> does that).</param>
/// <param name="ChunksTotal">All chunks of the array.</param>
public sealed record KernelStoreInfo(string Path, KernelStoreMetadata Metadata, int ChunksDone, int ChunksTotal)
{
    /// <summary>Whether every chunk is done.</summary>
    public bool Complete => ChunksDone == ChunksTotal;
}

/// <summary>The outcome of <see cref="KernelStore.Verify"/>.</summary>
/// <param name="Missing">Chunks not written yet (no chunk file, or no checksum: a run was stopped before it finished them).</param>
/// <param name="Corrupt">Chunks whose file has the wrong size or does not match its checksum.</param>
/// <param name="ChunksTotal">All chunks of the array.</param>
public sealed record StoreVerification(IReadOnlyList<StoreChunk> Missing, IReadOnlyList<StoreChunk> Corrupt, int ChunksTotal)
{
    /// <summary>Every chunk is present and matches its checksum.</summary>
    public bool Ok => Missing.Count == 0 && Corrupt.Count == 0;
}

/// <summary>Computes one chunk of a store: writes its Rows×Cols entries, row-major, into <paramref name="into"/>.</summary>
/// <param name="chunk">The chunk to compute.</param>
/// <param name="into">Rows·Cols doubles, row-major.</param>
public delegate void TileComputer(StoreChunk chunk, Span<double> into);

/// <summary>
/// A float64 or float32 matrix on disk in the Zarr v2 format (docs/STORE.md): a folder with <c>.zarray</c>, <c>.zattrs</c> (Tangent's metadata
/// under "tangent", which marks the folder as Tangent's, and the dtype), one file per chunk named <c>ROW.COL</c> (little-endian float64 or
/// float32, C order, every chunk the full chunk edge squared, padded with NaN past the matrix edge) and <c>checksums/ROW.COL.sha256</c>
/// (SHA-256 of the stored bytes). Whatever the dtype, the store is read and written in doubles: a float32 store rounds on writing and
/// widens (exactly) on reading. A chunk is written to a
/// temporary name, flushed to disk and renamed (<see cref="AtomicFile"/>); its checksum is written after the rename, so a chunk with a
/// valid checksum is complete and anything else is recomputed. Python's zarr opens the folder as is: <c>zarr.open('K.zarr')[:]</c>.
/// </summary>
public sealed class KernelStore
{
    /// <summary>The default chunk edge (8 MiB per chunk).</summary>
    public const int DefaultChunkSize = 1024;

    /// <summary>The format name written in <c>.zattrs</c>; a folder without it is not Tangent's.</summary>
    public const string FormatName = "tangent-kernel-store";

    private const string AttributesKey = "tangent";
    private const string ChecksumFolder = "checksums";

    private KernelStore(string path, KernelStoreMetadata metadata)
    {
        Path = path;
        Metadata = metadata;
        int rowChunks = Ceil(metadata.Rows, metadata.ChunkSize), colChunks = Ceil(metadata.Cols, metadata.ChunkSize);
        var chunks = new List<StoreChunk>(rowChunks * colChunks);
        for (int r = 0; r < rowChunks; r++)
            for (int c = 0; c < colChunks; c++)
                chunks.Add(ChunkAt(r, c));
        Chunks = chunks;
    }

    /// <summary>The store's folder (full path).</summary>
    public string Path { get; }

    /// <summary>What the store holds.</summary>
    public KernelStoreMetadata Metadata { get; }

    /// <summary>Every chunk of the array, row-major.</summary>
    public IReadOnlyList<StoreChunk> Chunks { get; }

    /// <summary>Bytes per stored entry: 8 for float64, 4 for float32.</summary>
    public int EntryBytes => Metadata.Dtype == Precision.Float32 ? sizeof(float) : sizeof(double);

    /// <summary>Bytes of every chunk file (the chunk edge squared, padded).</summary>
    public long ChunkFileBytes => (long)EntryBytes * Metadata.ChunkSize * Metadata.ChunkSize;

    /// <summary>The dtype as Tangent's metadata and the command line name it: <c>float64</c> or <c>float32</c>.</summary>
    public static string DtypeName(Precision dtype) => dtype == Precision.Float32 ? "float32" : "float64";

    /// <summary>Parses <c>float64</c> or <c>float32</c> (also <c>f8</c>/<c>f4</c>, <c>double</c>/<c>single</c>), case-insensitively.</summary>
    /// <exception cref="FormatException">Another name, with the fix.</exception>
    public static Precision ParseDtype(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "float64" or "f8" or "double" => Precision.Float64,
            "float32" or "f4" or "single" => Precision.Float32,
            _ => throw new FormatException($"The dtype '{text}' is not float64 or float32; give --dtype float64 (the default) or --dtype float32."),
        };
    }

    /// <summary>The chunks that are computed (the rest are mirrors): all of them, or for a symmetric store those with Row ≤ Col; row-major.</summary>
    public IReadOnlyList<StoreChunk> ComputedChunks => Metadata.Symmetric ? [.. Chunks.Where(c => c.Row <= c.Col)] : Chunks;

    /// <summary>Whether <paramref name="path"/> names a store by its extension (<c>.zarr</c>).</summary>
    public static bool IsStorePath(string path) =>
        path is not null && path.TrimEnd('/', '\\').EndsWith(".zarr", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The chunk edge for a memory budget: <see cref="DefaultChunkSize"/>, halved (down to 16) while the chunks in flight
    /// (a computed block, its mirror, the padded bytes: about 32 bytes per entry) exceed half the budget.
    /// </summary>
    /// <param name="memoryBudget">Bytes, or null for no budget.</param>
    public static int ChooseChunkSize(long? memoryBudget)
    {
        int c = DefaultChunkSize;
        while (memoryBudget is long b && c > 16 && InFlightBytes(c) > b / 2) c /= 2;
        return c;
    }

    /// <summary>Bytes held while one chunk is in flight (computed block, mirror, padded bytes, the kernel's own result).</summary>
    public static long InFlightBytes(int chunkSize) => 32L * chunkSize * chunkSize;

    /// <summary>
    /// Opens the store at <paramref name="path"/> when it exists and holds the same matrix, or creates it (the folder is made under a
    /// temporary name and renamed, so it either carries Tangent's marker or does not exist).
    /// </summary>
    /// <param name="path">The store's folder, usually ending in <c>.zarr</c>; its parent must exist.</param>
    /// <param name="metadata">What the store is to hold.</param>
    /// <exception cref="IOException">The path is a file, or a folder that is not a Tangent store (it is never touched), or the parent is missing.</exception>
    /// <exception cref="InvalidOperationException">The store holds another matrix (other inputs, kernel, kind, shape or chunk); it is left as is.</exception>
    /// <exception cref="InvalidDataException">The store's metadata is damaged.</exception>
    public static KernelStore OpenOrCreate(string path, KernelStoreMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Rows < 1 || metadata.Cols < 1) throw new ArgumentException($"A store needs at least one row and column, got {metadata.Rows}×{metadata.Cols}.", nameof(metadata));
        if (metadata.ChunkSize < 1) throw new ArgumentException($"The chunk edge must be at least 1, got {metadata.ChunkSize}.", nameof(metadata));
        if (metadata.Symmetric && metadata.Rows != metadata.Cols) throw new ArgumentException($"A symmetric store must be square, got {metadata.Rows}×{metadata.Cols}.", nameof(metadata));
        string full = System.IO.Path.GetFullPath(path.TrimEnd('/', '\\'));
        if (File.Exists(full)) throw new IOException($"Cannot create the store '{path}': it is a file. Give a new folder name ending in .zarr.");
        if (Directory.Exists(full))
        {
            var existing = Open(path);
            if (existing.Metadata.Dtype != metadata.Dtype && existing.Metadata.FirstDifference(metadata with { Dtype = existing.Metadata.Dtype }) is null)
            {
                string stored = DtypeName(existing.Metadata.Dtype);
                throw new InvalidOperationException(
                    $"The store '{path}' holds {stored} entries but {DtypeName(metadata.Dtype)} was asked for; it is left as is. Give --dtype {stored} to continue it, or a new --out path.");
            }
            if (existing.Metadata.FirstDifference(metadata) is { } diff)
                throw new InvalidOperationException(
                    $"The store '{path}' holds another matrix ({diff}, stored vs asked); it is left as is. Give a new --out path, or run the command that made it.");
            return existing;
        }
        string parent = System.IO.Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(parent)) throw new IOException($"Cannot create the store '{path}': the folder '{parent}' does not exist. Create it first.");
        string temp = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.new");
        Directory.CreateDirectory(temp);
        try
        {
            Directory.CreateDirectory(System.IO.Path.Combine(temp, ChecksumFolder));
            AtomicFile.WriteAllText(System.IO.Path.Combine(temp, ".zarray"), ZArray(metadata));
            AtomicFile.WriteAllText(System.IO.Path.Combine(temp, ".zattrs"), ZAttrs(metadata));
            Directory.Move(temp, full);
        }
        catch (IOException) when (Directory.Exists(full))
        {
            // Another job (another shard) created the store first: use its store, after the same checks.
            DeleteOwn(temp);
            return OpenOrCreate(path, metadata);
        }
        catch
        {
            DeleteOwn(temp);
            throw;
        }
        return new KernelStore(full, metadata);
    }

    /// <summary>Opens an existing store.</summary>
    /// <param name="path">The store's folder.</param>
    /// <exception cref="IOException">No such folder, or a folder that is not a Tangent store.</exception>
    /// <exception cref="InvalidDataException">The store's metadata is damaged.</exception>
    public static KernelStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path.TrimEnd('/', '\\'));
        if (!Directory.Exists(full))
            throw new IOException(File.Exists(full) ? $"'{path}' is a file, not a kernel store (a folder ending in .zarr)." : $"The store '{path}' does not exist; create it with tangent kernel … --out {path}.");
        string attrs = System.IO.Path.Combine(full, ".zattrs");
        if (!File.Exists(attrs) || !File.ReadAllText(attrs).Contains(FormatName, StringComparison.Ordinal))
            throw new IOException($"The folder '{path}' is not a Tangent kernel store (no \"{FormatName}\" marker in its .zattrs); it is left untouched. Give a new path ending in .zarr.");
        var meta = ReadMetadata(path, attrs);
        CheckZArray(path, System.IO.Path.Combine(full, ".zarray"), meta);
        return new KernelStore(full, meta);
    }

    /// <summary>The chunks still to compute in <paramref name="shard"/>: chunks of <see cref="ComputedChunks"/> dealt to the shard
    /// whose file or checksum is missing or wrong (for a symmetric store, also when its mirror is).</summary>
    /// <param name="shard">The shard; <see cref="StoreShard.All"/> for every chunk.</param>
    public IReadOnlyList<StoreChunk> MissingChunks(StoreShard shard)
    {
        if (shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count) throw new ArgumentOutOfRangeException(nameof(shard), $"The shard {shard} is not of the form i/N with 0 ≤ i < N.");
        var computed = ComputedChunks;
        var missing = new List<StoreChunk>();
        for (int k = 0; k < computed.Count; k++)
        {
            if (k % shard.Count != shard.Index) continue;
            var c = computed[k];
            if (!IsValid(c) || (c.Row != c.Col && Metadata.Symmetric && !IsValid(ChunkAt(c.Col, c.Row)))) missing.Add(c);
        }
        return missing;
    }

    /// <summary>Whether the chunk's file is there, of the right size, and matches its checksum.</summary>
    public bool IsValid(StoreChunk chunk) => Check(chunk) == ChunkState.Valid;

    /// <summary>Writes a chunk atomically (temporary file, flush, rename), then its checksum.</summary>
    /// <param name="chunk">The chunk (one of <see cref="Chunks"/>).</param>
    /// <param name="values">Its Rows·Cols entries, row-major.</param>
    public void WriteChunk(StoreChunk chunk, ReadOnlySpan<double> values)
    {
        RequireChunk(chunk);
        if (values.Length != chunk.Rows * chunk.Cols)
            throw new ArgumentException($"Chunk {chunk.Key} holds {chunk.Rows}×{chunk.Cols} = {chunk.Rows * chunk.Cols} entries, got {values.Length}.", nameof(values));
        int edge = Metadata.ChunkSize, size = EntryBytes;
        bool single = Metadata.Dtype == Precision.Float32;
        var bytes = new byte[checked(ChunkFileBytes)];
        if (!single && BitConverter.IsLittleEndian && chunk.Rows == edge && chunk.Cols == edge)
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);   // a whole '<f8' chunk is the doubles' own bytes
        else for (int i = 0; i < edge; i++)
            for (int j = 0; j < edge; j++)
            {
                double v = i < chunk.Rows && j < chunk.Cols ? values[i * chunk.Cols + j] : double.NaN;
                var at = bytes.AsSpan(size * (i * edge + j));
                if (!single)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(at, v);
                    continue;
                }
                float f = (float)v;
                if (float.IsInfinity(f) && double.IsFinite(v))
                    throw new InvalidOperationException(
                        $"Entry (row {chunk.RowStart + i + 1}, column {chunk.ColStart + j + 1}) of the store '{Path}' is {v.ToString("G6", CultureInfo.InvariantCulture)}, beyond float32 (about 3.4e38); store it as float64 (--dtype float64) or scale the inputs.");
                BinaryPrimitives.WriteSingleLittleEndian(at, f);
            }
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        AtomicFile.Write(ChunkPath(chunk), s => s.Write(bytes));
        AtomicFile.WriteAllText(ChecksumPath(chunk), hash + "\n");
    }

    /// <summary>Reads a chunk's Rows·Cols entries (row-major) as doubles (a float32 store's entries widened exactly), checking its size
    /// (not its checksum: <see cref="Verify"/>).</summary>
    /// <exception cref="IOException">The chunk is not written yet.</exception>
    /// <exception cref="InvalidDataException">The chunk file has the wrong size.</exception>
    public double[] ReadChunk(StoreChunk chunk)
    {
        RequireChunk(chunk);
        string file = ChunkPath(chunk);
        if (!File.Exists(file)) throw new IOException($"Chunk {chunk.Key} of the store '{Path}' is not written yet; complete the store by running its tangent kernel command again.");
        var bytes = File.ReadAllBytes(file);
        int edge = Metadata.ChunkSize;
        if (bytes.LongLength != ChunkFileBytes)
            throw new InvalidDataException($"Chunk file '{file}' has {bytes.LongLength} bytes, not {ChunkFileBytes} ({edge}×{edge} {DtypeName(Metadata.Dtype)}); run tangent store verify and the kernel command again to recompute it.");
        var values = new double[chunk.Rows * chunk.Cols];
        bool single = Metadata.Dtype == Precision.Float32;
        for (int i = 0; i < chunk.Rows; i++)
            for (int j = 0; j < chunk.Cols; j++)
                values[i * chunk.Cols + j] = single
                    ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * (i * edge + j)))
                    : BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * (i * edge + j)));
        return values;
    }

    /// <summary>The whole matrix in memory, when it fits (<see cref="MemoryGuard"/>).</summary>
    /// <exception cref="IOException">A chunk is not written yet.</exception>
    /// <exception cref="InsufficientMemoryException">The matrix does not fit in memory.</exception>
    public Matrix ReadAll()
    {
        MemoryGuard.Require(8L * Metadata.Rows * Metadata.Cols, $"reading the {Metadata.Rows}×{Metadata.Cols} store '{Path}'", "read it chunk by chunk (KernelStore.ReadChunk) or with python's zarr/dask");
        var m = new Matrix(Metadata.Rows, Metadata.Cols);
        foreach (var c in Chunks)
        {
            var v = ReadChunk(c);
            for (int i = 0; i < c.Rows; i++)
                v.AsSpan(i * c.Cols, c.Cols).CopyTo(m.Row(c.RowStart + i).Slice(c.ColStart, c.Cols));
        }
        return m;
    }

    /// <summary>Re-hashes every chunk and compares it with its checksum.</summary>
    public StoreVerification Verify()
    {
        var missing = new List<StoreChunk>();
        var corrupt = new List<StoreChunk>();
        foreach (var c in Chunks)
            switch (Check(c))
            {
                case ChunkState.Missing: missing.Add(c); break;
                case ChunkState.Corrupt: corrupt.Add(c); break;
            }
        return new StoreVerification(missing, corrupt, Chunks.Count);
    }

    /// <summary>What the store holds and how many chunks are done (a chunk file of the right size with a checksum; not re-hashed).</summary>
    public KernelStoreInfo Info()
    {
        long size = ChunkFileBytes;
        int done = Chunks.Count(c => File.Exists(ChecksumPath(c)) && new FileInfo(ChunkPath(c)) is { Exists: true } f && f.Length == size);
        return new KernelStoreInfo(Path, Metadata, done, Chunks.Count);
    }

    /// <summary>
    /// Computes and writes the missing chunks of <paramref name="shard"/>, one at a time (memory: <see cref="InFlightBytes"/>),
    /// row-major; for a symmetric store each computed chunk is also written transposed as its mirror. Stopped at any moment
    /// (cancellation, a kill), the store keeps the finished chunks and a later call continues from them.
    /// </summary>
    /// <param name="compute">Computes a chunk.</param>
    /// <param name="shard">Which chunks to compute.</param>
    /// <param name="options">Memory budget, progress (kernel entries written) and cancellation (checked between chunks).</param>
    /// <returns>The number of chunk files written.</returns>
    public int Fill(TileComputer compute, StoreShard shard, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(options);
        var todo = MissingChunks(shard);
        if (todo.Count == 0) return 0;
        options.RequireMemory(InFlightBytes(Metadata.ChunkSize), $"one {Metadata.ChunkSize}×{Metadata.ChunkSize} store chunk in flight", "give a smaller --chunk");
        long total = todo.Sum(c => (long)c.Rows * c.Cols * (Metadata.Symmetric && c.Row != c.Col ? 2 : 1));
        long done = 0;
        int written = 0;
        var clock = Stopwatch.StartNew();
        string stage = $"store {Metadata.Rows}×{Metadata.Cols}" + (shard.IsPartial ? $" shard {shard}" : "");
        foreach (var c in todo)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            var block = new double[c.Rows * c.Cols];
            compute(c, block);
            options.CancellationToken.ThrowIfCancellationRequested();
            int files = WriteComputed(c, block);
            written += files;
            done += files * (long)block.Length;
            options.Progress?.Report(new ProgressInfo(done, total, stage, clock.Elapsed));
        }
        return written;
    }

    /// <summary>Writes a computed chunk (<see cref="WriteChunk"/>) and, for an off-diagonal chunk of a symmetric store, its mirror (transposed).</summary>
    /// <param name="chunk">One of <see cref="ComputedChunks"/>.</param>
    /// <param name="values">Its Rows·Cols entries, row-major.</param>
    /// <returns>The number of chunk files written: 1, or 2 with the mirror.</returns>
    public int WriteComputed(StoreChunk chunk, ReadOnlySpan<double> values)
    {
        if (!Metadata.Symmetric || chunk.Row == chunk.Col)
        {
            WriteChunk(chunk, values);
            return 1;
        }
        var mirror = ChunkAt(chunk.Col, chunk.Row);
        var t = new double[values.Length];
        const int B = 32;   // the transpose in 32×32 blocks, each read and written within the cache
        for (int i0 = 0; i0 < chunk.Rows; i0 += B)
            for (int j0 = 0; j0 < chunk.Cols; j0 += B)
                for (int i = i0; i < Math.Min(i0 + B, chunk.Rows); i++)
                    for (int j = j0; j < Math.Min(j0 + B, chunk.Cols); j++)
                        t[j * chunk.Rows + i] = values[i * chunk.Cols + j];
        // The chunk and its mirror are two files, each with its checksum and flush to disk: written side by side.
        var mirrorWrite = Task.Run(() => WriteChunk(mirror, t));
        try
        {
            WriteChunk(chunk, values);
        }
        finally
        {
            mirrorWrite.GetAwaiter().GetResult();
        }
        return 2;
    }

    /// <summary>The chunk at chunk row <paramref name="row"/> and chunk column <paramref name="col"/>.</summary>
    public StoreChunk ChunkAt(int row, int col)
    {
        int e = Metadata.ChunkSize;
        int r0 = row * e, c0 = col * e;
        if (row < 0 || col < 0 || r0 >= Metadata.Rows || c0 >= Metadata.Cols)
            throw new ArgumentOutOfRangeException(nameof(row), $"The store has {Ceil(Metadata.Rows, e)}×{Ceil(Metadata.Cols, e)} chunks; ({row}, {col}) is outside.");
        return new StoreChunk(row, col, r0, c0, Math.Min(e, Metadata.Rows - r0), Math.Min(e, Metadata.Cols - c0));
    }

    /// <summary>The file holding a chunk.</summary>
    public string ChunkPath(StoreChunk chunk) => System.IO.Path.Combine(Path, chunk.Key);

    /// <summary>The file holding a chunk's SHA-256 (hex).</summary>
    public string ChecksumPath(StoreChunk chunk) => System.IO.Path.Combine(Path, ChecksumFolder, chunk.Key + ".sha256");

    private enum ChunkState { Missing, Corrupt, Valid }

    private ChunkState Check(StoreChunk chunk)
    {
        string file = ChunkPath(chunk), sum = ChecksumPath(chunk);
        if (!File.Exists(file) || !File.Exists(sum)) return ChunkState.Missing;
        if (new FileInfo(file).Length != ChunkFileBytes) return ChunkState.Corrupt;
        string expected = File.ReadAllText(sum).Trim();
        using var s = File.OpenRead(file);
        return string.Equals(Convert.ToHexStringLower(SHA256.HashData(s)), expected, StringComparison.Ordinal) ? ChunkState.Valid : ChunkState.Corrupt;
    }

    private void RequireChunk(StoreChunk chunk)
    {
        if (ChunkAt(chunk.Row, chunk.Col) != chunk)
            throw new ArgumentException($"{chunk} is not a chunk of this store (chunk edge {Metadata.ChunkSize}, shape {Metadata.Rows}×{Metadata.Cols}).", nameof(chunk));
    }

    /// <summary>Deletes the temporary folder this process made for a new store.</summary>
    private static void DeleteOwn(string temp)
    {
        try { Directory.Delete(temp, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;

    /// <summary>The <c>.zarray</c> of the Zarr v2 spec (zarr-specs v2.0): fields sorted, float64 or float32 little-endian, no compression.</summary>
    internal static string ZArray(KernelStoreMetadata m) => Json(w =>
    {
        w.WriteStartArray("chunks"); w.WriteNumberValue(m.ChunkSize); w.WriteNumberValue(m.ChunkSize); w.WriteEndArray();
        w.WriteNull("compressor");
        w.WriteString("dimension_separator", ".");
        w.WriteString("dtype", m.Dtype == Precision.Float32 ? "<f4" : "<f8");
        w.WriteString("fill_value", "NaN");
        w.WriteNull("filters");
        w.WriteString("order", "C");
        w.WriteStartArray("shape"); w.WriteNumberValue(m.Rows); w.WriteNumberValue(m.Cols); w.WriteEndArray();
        w.WriteNumber("zarr_format", 2);
    });

    private static string ZAttrs(KernelStoreMetadata m) => Json(w =>
    {
        w.WriteStartObject(AttributesKey);
        w.WriteString("format", FormatName);
        w.WriteNumber("version", 1);
        w.WriteString("description", m.Description);
        w.WriteString("kind", m.Kind);
        w.WriteString("fingerprint", m.Fingerprint);
        w.WriteString("dtype", DtypeName(m.Dtype));
        w.WriteNumber("chunk", m.ChunkSize);
        w.WriteBoolean("symmetric", m.Symmetric);
        w.WriteString("checksums", ChecksumFolder + "/ROW.COL.sha256 (SHA-256 of the chunk file)");
        w.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    private static KernelStoreMetadata ReadMetadata(string path, string attrs)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(attrs));
            var t = doc.RootElement.GetProperty(AttributesKey);
            int chunk = t.GetProperty("chunk").GetInt32();
            string dtype = t.TryGetProperty("dtype", out var dt) ? dt.GetString() ?? "" : "float64";
            var precision = dtype switch
            {
                "float64" => Precision.Float64,
                "float32" => Precision.Float32,
                _ => throw new FormatException($"unknown dtype '{dtype}' (Tangent writes float64 or float32)"),
            };
            var zarray = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(attrs)!, ".zarray")));
            using (zarray)
            {
                var shape = zarray.RootElement.GetProperty("shape");
                return new KernelStoreMetadata(t.GetProperty("description").GetString() ?? "", t.GetProperty("kind").GetString() ?? "",
                    t.GetProperty("fingerprint").GetString() ?? "", shape[0].GetInt32(), shape[1].GetInt32(), chunk, t.GetProperty("symmetric").GetBoolean(), precision);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException or FileNotFoundException)
        {
            throw new InvalidDataException($"The store '{path}' has damaged metadata (.zarray/.zattrs: {e.Message.Split('\n')[0]}); make it again under a new --out path.", e);
        }
    }

    private static void CheckZArray(string path, string file, KernelStoreMetadata meta)
    {
        if (File.ReadAllText(file) != ZArray(meta))
            throw new InvalidDataException($"The store '{path}' has a .zarray that Tangent did not write (it must be {DtypeName(meta.Dtype)} as its .zattrs says, C order, uncompressed, chunks {meta.ChunkSize}×{meta.ChunkSize}); make the store again under a new --out path.");
    }
}
