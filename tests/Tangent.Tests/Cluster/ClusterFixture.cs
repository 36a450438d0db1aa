using Orleans.TestingHost;
using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Tests.Cluster;

/// <summary>An in-process cluster of three silos (Orleans TestingHost), started once for the tests of <see cref="ClusterCollection"/>.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ClusterTestHelpers.StartAsync(3);

    public async Task DisposeAsync() => await ClusterTestHelpers.StopAsync(Cluster);
}

/// <summary>The tests that share one three-silo cluster (run one after another: the machine has few cores).</summary>
[CollectionDefinition(nameof(ClusterCollection), DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;

internal static class ClusterTestHelpers
{
    public static async Task<TestCluster> StartAsync(int silos)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.AddSiloBuilderConfigurator<SiloSettings>();
        builder.AddClientBuilderConfigurator<ClientSettings>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task StopAsync(TestCluster? cluster)
    {
        if (cluster is null) return;
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    private sealed class SiloSettings : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.Configure<Orleans.Configuration.SiloMessagingOptions>(o => o.MaxMessageBodySize = ClusterHosting.MaxMessageBodySize);
    }

    private sealed class ClientSettings : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.MaxMessageBodySize = ClusterHosting.MaxMessageBodySize);
    }

    /// <summary>Waits (up to 60 s) until a client can connect to the local cluster that <paramref name="serving"/> (a `tangent serve` run) starts.</summary>
    public static async Task WaitForLocalClusterAsync(Task serving, ClusterAddress? address = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (serving.IsCompleted) Assert.Fail("tangent serve ended before the cluster was up: " + (await (Task<(int, string, string)>)serving).Item3);
            try
            {
                await using var c = await ClusterHosting.ConnectAsync(address ?? ClusterAddress.Local);
                return;
            }
            catch (ClusterUnreachableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    public static Matrix Inputs(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, d, (_, _) => rng.NextDouble() * 2 - 1);
    }

    public static KernelStore Make(string path, IKernel k, Matrix x1, Matrix? x2, int chunk) =>
        KernelStore.OpenOrCreate(path, KernelStoreWriter.Metadata(k, "ntk", x1, x2, chunk));

    /// <summary>The store made on one machine by <see cref="KernelStoreWriter"/>.</summary>
    public static KernelStore Reference(string path, IKernel k, Matrix x1, Matrix? x2, int chunk)
    {
        var store = Make(path, k, x1, x2, chunk);
        KernelStoreWriter.Fill(store, k, x1, x2, StoreShard.All, ComputeOptions.Default);
        return store;
    }

    /// <summary>Every file of a store (chunks, checksums, metadata) by relative path, without temporary files.</summary>
    public static SortedDictionary<string, byte[]> Files(string store)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories))
            if (!f.EndsWith(".tmp", StringComparison.Ordinal))
                files[Path.GetRelativePath(store, f)] = File.ReadAllBytes(f);
        return files;
    }

    /// <summary>Asserts that two stores hold the same files with the same bytes (chunk files and their SHA-256 checksums).</summary>
    public static void SameFiles(string expected, string actual)
    {
        var a = Files(expected);
        var b = Files(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"file {name} differs from the single-machine store");
    }
}
