using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// The training kernel K(X, X) in a kernel store for a command's <c>--kernel-store K.zarr</c> (docs/STORE.md, "Solving from a store"):
/// shared by <c>tangent regress</c> and <c>tangent predict</c>. An existing store must hold this kernel on these training inputs;
/// a missing or unfinished one is created or resumed and its missing chunks computed.
/// </summary>
internal static class TrainKernelStore
{
    /// <summary>Refuses a path that is not a kernel store path (a folder name ending in .zarr).</summary>
    public static void RequirePath(string path)
    {
        if (!Data.KernelStore.IsStorePath(path))
            throw new CliError($"--kernel-store '{path}' is not a kernel store path.", "give a folder name ending in .zarr, e.g. --kernel-store K.zarr");
    }

    /// <summary>
    /// Opens the store at <paramref name="path"/> (refusing one that holds another kernel or other inputs, or a --chunk that differs
    /// from its edge) or creates it, then computes its missing chunks (a stopped run resumes).
    /// </summary>
    /// <returns>The complete store, the chunks that were done before, and the chunk files written now.</returns>
    public static (Data.KernelStore Store, int Before, int Written) OpenAndFill(string path, int? chunk, IKernel k, Matrix x, ComputeOptions compute)
    {
        Data.KernelStore store;
        if (Directory.Exists(path) || File.Exists(path))
        {
            store = Data.KernelStore.Open(path);
            if (IterativeKernelRegression.StoreMismatch(store, k, x) is { } diff)
                throw new CliError($"--kernel-store '{path}' holds another kernel matrix ({diff}, stored vs asked); it is left as is.",
                    "give another --kernel-store path, or the training inputs (after --standardize) and kernel options the store was made from.");
            if (chunk is { } c && c != store.Metadata.ChunkSize)
                throw new CliError($"--chunk {c} differs from the chunk edge {store.Metadata.ChunkSize} of the existing store '{path}'.", "drop --chunk (it applies when a store is created), or give another --kernel-store path.");
        }
        else
            store = Data.KernelStore.OpenOrCreate(path, IterativeKernelRegression.StoreMetadata(k, x, chunk ?? Data.KernelStore.ChooseChunkSize(compute.MemoryBudget)));
        int before = store.Info().ChunksDone;
        int written = CliProgress.Run($"kernel {x.Rows}×{x.Rows} into {Path.GetFileName(store.Path)}",
            p => KernelStoreWriter.Fill(store, k, x, null, StoreShard.All, compute with { Progress = p }));
        return (store, before, written);
    }

    /// <summary>"kernel store K.zarr: W chunk files written (B of T were done), chunk c; R chunk reads, H from the cache".</summary>
    public static string Describe(string path, Data.KernelStore store, int before, int written, StoreKernelOperator op) =>
        $"kernel store {path}: {written} chunk files written ({before} of {store.Info().ChunksTotal} were done), chunk {store.Metadata.ChunkSize}; " +
        $"{op.ChunkReads} chunk reads, {op.CacheHits} from the cache";
}
