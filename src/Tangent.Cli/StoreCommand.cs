using System.CommandLine;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent store info|verify PATH`, and the writing of `tangent kernel … --out K.zarr` (docs/STORE.md).</summary>
internal static class StoreCommand
{
    /// <summary>At most this many chunk keys are named in a message.</summary>
    private const int NamedChunks = 10;

    public static Command Create(TextWriter output)
    {
        var cmd = new Command("store", "Inspect a kernel store (a .zarr folder written by tangent kernel … --out K.zarr).");
        var info = new Command("info", "Print what a store holds: shape, dtype, chunks done of the total, kernel, kind and input fingerprint.");
        var infoPath = new Argument<DirectoryInfo>("PATH") { Description = "The store's folder (K.zarr)." };
        info.Arguments.Add(infoPath);
        info.SetAction(r =>
        {
            var store = KernelStore.Open(r.GetValue(infoPath)!.FullName);
            var i = store.Info();
            var m = i.Metadata;
            string dtype = KernelStore.DtypeName(m.Dtype);
            output.WriteLine($"store:    {store.Path} (Zarr v2, dtype {(m.Dtype == Precision.Float32 ? "<f4" : "<f8")} = {dtype} little-endian, C order, uncompressed)");
            output.WriteLine($"holds:    {m.Description} (kind {m.Kind}), {(m.Symmetric ? "symmetric K(X, X)" : "K(X1, X2)")}");
            output.WriteLine($"shape:    {m.Rows}×{m.Cols}, chunks {m.ChunkSize}×{m.ChunkSize}, dtype {dtype}");
            output.WriteLine($"chunks:   {i.ChunksDone} of {i.ChunksTotal} done" + (i.Complete ? "" : " (incomplete: run the same tangent kernel command again, or its missing --shard jobs)"));
            output.WriteLine($"inputs:   SHA-256 {m.Fingerprint}");
            return TangentCli.Ok;
        });
        var verify = new Command("verify", "Check every chunk of a store against its SHA-256 checksum; exit 2 naming the bad or missing chunks.");
        var verifyPath = new Argument<DirectoryInfo>("PATH") { Description = "The store's folder (K.zarr)." };
        verify.Arguments.Add(verifyPath);
        verify.SetAction(r =>
        {
            string given = r.GetValue(verifyPath)!.ToString();
            var store = KernelStore.Open(r.GetValue(verifyPath)!.FullName);
            var v = store.Verify();
            if (v.Corrupt.Count > 0)
                throw new CliError($"the store '{given}' has {v.Corrupt.Count} of {v.ChunksTotal} chunks that do not match their checksum: {Keys(v.Corrupt)}" +
                    (v.Missing.Count > 0 ? $"; {v.Missing.Count} more are missing" : "") + "; run the tangent kernel command that made it again to recompute them.");
            if (v.Missing.Count > 0)
                throw new CliError($"the store '{given}' is incomplete: {v.Missing.Count} of {v.ChunksTotal} chunks are missing: {Keys(v.Missing)}; run the tangent kernel command that made it again (or its missing --shard jobs).");
            output.WriteLine($"verified: {v.ChunksTotal} of {v.ChunksTotal} chunks of '{given}' match their SHA-256 checksums.");
            return TangentCli.Ok;
        });
        cmd.Subcommands.Add(info);
        cmd.Subcommands.Add(verify);
        return cmd;
    }

    private static string Keys(IReadOnlyList<StoreChunk> chunks) =>
        string.Join(", ", chunks.Take(NamedChunks).Select(c => c.Key)) + (chunks.Count > NamedChunks ? $" and {chunks.Count - NamedChunks} more" : "");

    /// <summary>The store options of `tangent kernel`.</summary>
    internal sealed class Options
    {
        public Option<int?> Chunk { get; } = CliOptions.OptionalInt("--chunk", $"With --out K.zarr: the chunk edge (square chunks; default {KernelStore.DefaultChunkSize}, smaller under --memory-budget).", 1, 65536);
        public Option<string?> Shard { get; } = new("--shard") { Description = "With --out K.zarr: compute only shard i of N (i/N, 0-based, e.g. 0/3, 1/3, 2/3 as three jobs filling one store)." };

        public void AddTo(Command c)
        {
            c.Options.Add(Chunk);
            c.Options.Add(Shard);
        }

        /// <summary>Refuses --chunk and --shard for an output that is not a store.</summary>
        public void RefuseWithoutStore(ParseResult r)
        {
            foreach (var o in new Option[] { Chunk, Shard })
                if (r.GetResult(o) is { Implicit: false })
                    throw new CliError($"{o.Name} applies only to a kernel store: give --out a folder name ending in .zarr.");
        }

        /// <summary>Computes the kernel into the store at <paramref name="path"/> (created, or resumed when it holds the same kernel and
        /// <paramref name="dtype"/>); <paramref name="fill"/> fills it instead of <see cref="KernelStoreWriter.Fill"/> (a cluster: ClusterOptions).</summary>
        public void Write(ParseResult r, TextWriter output, string path, IKernel kernel, Precision dtype, string kind, Matrix a, Matrix? b, ComputeOptions compute,
            Func<KernelStore, StoreShard, ComputeOptions, int>? fill = null)
        {
            fill ??= (st, sh, o) => KernelStoreWriter.Fill(st, kernel, a, b, sh, o);
            var shard = r.GetValue(Shard) is { } s ? ParseShard(s) : StoreShard.All;
            int chunk = r.GetValue(Chunk) ?? KernelStore.ChooseChunkSize(compute.MemoryBudget);
            var store = KernelStore.OpenOrCreate(path, KernelStoreWriter.Metadata(kernel, kind, a, b, chunk, dtype));
            int before = store.Info().ChunksDone;
            int written = CliProgress.Run($"kernel {a.Rows}×{(b ?? a).Rows} into {Path.GetFileName(store.Path)}",
                p => fill(store, shard, compute with { Progress = p }));
            var info = store.Info();
            output.WriteLine($"wrote {path}: {written} chunk files now ({before} were done), {info.ChunksDone} of {info.ChunksTotal} done" +
                (shard.IsPartial ? $" (shard {shard})" : "") + (info.Complete ? "" : "; the store is incomplete until every shard has run"));
        }

        private static StoreShard ParseShard(string text)
        {
            try { return StoreShard.Parse(text); }
            catch (FormatException e) { throw new CliError("--shard: " + e.Message); }
        }
    }
}
