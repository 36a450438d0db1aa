using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>
/// Fills a <see cref="KernelStore"/> with a kernel matrix chunk by chunk (docs/STORE.md): a chunk is the kernel of the chunk's row block of
/// X1 against its column block of X2. For K(X, X) the diagonal chunks are computed as symmetric kernels and each upper chunk is written
/// mirrored too. A run stopped at any moment and started again continues from the finished chunks; shards fill one store together.
/// </summary>
public static class KernelStoreWriter
{
    /// <summary>SHA-256 (hex) of the inputs: the shapes and the float64 bits of X1 and, when given, X2.</summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for K(X1, X1).</param>
    public static string Fingerprint(Matrix x1, Matrix? x2)
    {
        ArgumentNullException.ThrowIfNull(x1);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buf = stackalloc byte[8];
        foreach (var m in x2 is null ? [x1] : new[] { x1, x2 })
        {
            h.AppendData(Encoding.ASCII.GetBytes($"{m.Rows}x{m.Cols};"));
            foreach (double v in m.Data)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(buf, v);
                h.AppendData(buf);
            }
        }
        h.AppendData(Encoding.ASCII.GetBytes(x2 is null ? "symmetric" : "cross"));
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>The metadata of the store of <paramref name="kernel"/> on these inputs.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="kind">What the kernel is, e.g. nngp, ntk or classical.</param>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for the symmetric K(X1, X1).</param>
    /// <param name="chunkSize">The chunk edge.</param>
    /// <param name="dtype">How the entries are stored (float64, or float32: half the disk, docs/PRECISION.md).</param>
    public static KernelStoreMetadata Metadata(IKernel kernel, string kind, Matrix x1, Matrix? x2, int chunkSize, Precision dtype = Precision.Float64)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(x1);
        if (x2 is not null && x2.Cols != x1.Cols) throw new ArgumentException($"X1 has {x1.Cols} columns but X2 has {x2.Cols}; both need the same features.", nameof(x2));
        return new KernelStoreMetadata(kernel.Describe(), kind, Fingerprint(x1, x2), x1.Rows, (x2 ?? x1).Rows, chunkSize, x2 is null, dtype);
    }

    /// <summary>
    /// Computes the missing chunks of <paramref name="shard"/> into <paramref name="store"/> (which must have been made for these inputs
    /// and this kernel: <see cref="Metadata"/>).
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="kernel">The kernel.</param>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for K(X1, X1).</param>
    /// <param name="shard">Which chunks to compute.</param>
    /// <param name="options">How to compute each chunk (provider, tile size, threads, <see cref="ComputeOptions.Precision"/>: the store's dtype
    /// decides only how the result is stored, so a float32 store of a float64 computation costs the storage rounding alone), the memory budget,
    /// progress (kernel entries) and cancellation. Resume a store with the precision that began it, or its chunks mix two computations.</param>
    /// <returns>The number of chunk files written.</returns>
    /// <exception cref="InvalidOperationException">The store was made from other inputs or another kernel.</exception>
    public static int Fill(KernelStore store, IKernel kernel, Matrix x1, Matrix? x2, StoreShard shard, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(options);
        var expected = Metadata(kernel, store.Metadata.Kind, x1, x2, store.Metadata.ChunkSize, store.Metadata.Dtype);
        if (store.Metadata.FirstDifference(expected) is { } diff)
            throw new InvalidOperationException($"The store '{store.Path}' holds another matrix ({diff}, stored vs asked); it is left as is.");
        var inner = options with { Progress = null };
        var other = x2 ?? x1;
        return store.Fill((chunk, into) => ComputeChunk(kernel, chunk, x1.SliceRows(chunk.RowStart, chunk.Rows),
            x2 is null && chunk.Row == chunk.Col ? null : other.SliceRows(chunk.ColStart, chunk.Cols), inner, into), shard, options);
    }

    /// <summary>
    /// Computes one chunk: the kernel of its row block against its column block, or for a diagonal chunk of a symmetric store
    /// (<paramref name="cols"/> null) the symmetric kernel of the row block. Every writer of a store (this one, a cluster's workers)
    /// computes a chunk here, so a chunk has the same bits whoever computes it.
    /// </summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="chunk">The chunk.</param>
    /// <param name="rows">The chunk's Rows inputs of X1 (rows RowStart…).</param>
    /// <param name="cols">The chunk's Cols inputs of X2 (or X1) (rows ColStart…), or null for a diagonal chunk of K(X, X).</param>
    /// <param name="options">How to compute (provider, tile size, threads, cancellation).</param>
    /// <param name="into">Rows·Cols doubles, row-major.</param>
    public static void ComputeChunk(IKernel kernel, StoreChunk chunk, Matrix rows, Matrix? cols, ComputeOptions options, Span<double> into)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Rows != chunk.Rows || (cols ?? rows).Rows != chunk.Cols)
            throw new ArgumentException($"Chunk {chunk.Key} is {chunk.Rows}×{chunk.Cols} but was given {rows.Rows} row inputs and {(cols ?? rows).Rows} column inputs.", nameof(rows));
        if (into.Length != chunk.Rows * chunk.Cols)
            throw new ArgumentException($"Chunk {chunk.Key} holds {chunk.Rows * chunk.Cols} entries, got room for {into.Length}.", nameof(into));
        var block = kernel.Compute(rows, cols, options);
        if (block.Rows != chunk.Rows || block.Cols != chunk.Cols)
            throw new InvalidOperationException($"The kernel {kernel.Describe()} returned a {block.Shape} block for chunk {chunk.Key} of {chunk.Rows}×{chunk.Cols}.");
        block.Span.CopyTo(into);
    }
}
