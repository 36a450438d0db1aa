using System.CommandLine;
using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>The --cluster option of `tangent kernel` (docs/CLUSTER.md) and the parsing shared with `tangent serve`.</summary>
internal sealed class ClusterOptions
{
    public Option<string?> Cluster { get; } = new("--cluster")
    {
        Description = "With --out K.zarr: compute the chunks on a Tangent cluster: local (silos started on this machine with tangent serve --cluster local) or redis://HOST:PORT (docs/CLUSTER.md). The store is the same as without it.",
    };

    public void AddTo(Command c) => c.Options.Add(Cluster);

    /// <summary>The cluster of --cluster, or null when not given; refused for an output that is not a store.</summary>
    public ClusterAddress? Parse(ParseResult r, bool toStore)
    {
        if (r.GetValue(Cluster) is not { } text) return null;
        if (!toStore) throw new CliError("--cluster applies only to a kernel store: give --out a folder name ending in .zarr (then tangent store info/verify read it), or drop --cluster.");
        return ParseAddress(text);
    }

    /// <summary>Parses a --cluster value into a one-line error naming the option.</summary>
    public static ClusterAddress ParseAddress(string text)
    {
        try { return ClusterAddress.Parse(text); }
        catch (FormatException e) { throw new CliError("--cluster: " + e.Message); }
    }

    /// <summary>Connects to the cluster before anything is written (an unreachable cluster is refused with how to start one).</summary>
    public static ClusterRun Connect(ClusterAddress address, IKernel kernel)
    {
        ClusterKernelSpec.From(kernel);   // a kernel that cannot travel is refused before connecting
        var connection = ClusterHosting.ConnectAsync(address, TangentCli.Cancellation).GetAwaiter().GetResult();
        return new ClusterRun(connection);
    }

    /// <summary>A connection to a cluster for one command; disposing it disconnects.</summary>
    internal sealed class ClusterRun(ClusterConnection connection) : IDisposable
    {
        /// <summary>Fills a store's missing chunks of a shard on the cluster (the fill of <see cref="StoreCommand.Options.Write"/>).</summary>
        public Func<KernelStore, StoreShard, ComputeOptions, int> Fill(IKernel kernel, Matrix a, Matrix? b) =>
            (store, shard, options) => new ClusterKernelJob(connection.Client).FillAsync(store, kernel, a, b, shard, options).GetAwaiter().GetResult();

        public void Dispose() => connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
