using Tangent.Cluster;
using Tangent.Tests.Data;
using static Tangent.Tests.Cli.CliRunner;

namespace Tangent.Tests.Cluster;

/// <summary>`tangent serve` and `tangent kernel … --cluster` from the command line.</summary>
[Collection(nameof(ClusterCollection))]
public class ServeCommandTests
{
    private static string WriteInputs(TempDir dir, int n, int d, int seed)
    {
        var x = ClusterTestHelpers.Inputs(n, d, seed);
        return dir.Write("x.csv", string.Join("\n", Enumerable.Range(0, n).Select(i => string.Join(",", x.Row(i).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))) + "\n");
    }

    [Theory]
    [InlineData("remote", "--cluster: The cluster 'remote' is neither local nor a redis:// address")]
    [InlineData("redis://host:6379/0", "not of the form redis://HOST:PORT")]
    public void ServeRefusesABadClusterAddressInOneLine(string address, string expected)
    {
        var (code, _, err) = Run("serve", "--cluster", address);
        Assert.Equal(2, code);
        Assert.Contains(expected, AssertErrorForm(err));
    }

    [Fact]
    public void ServeRefusesAnInterfaceOtherThanLoopbackForALocalCluster()
    {
        var (code, _, err) = Run("serve", "--cluster", "local", "--bind", "10.1.2.3");
        Assert.Equal(2, code);
        Assert.Contains("a local cluster listens on 127.0.0.1 only", AssertErrorForm(err));
        (code, _, err) = Run("serve", "--cluster", "local", "--bind", "not-an-ip");
        Assert.Equal(2, code);
        Assert.Contains("--bind: 'not-an-ip' is not an IP address", AssertErrorForm(err));
        (code, _, err) = Run("serve", "--cluster", "local", "--port", "30000");
        Assert.Equal(2, code);
        Assert.Contains("--port and --gateway-port are both 30000", AssertErrorForm(err));
    }

    [Fact]
    public void KernelRefusesClusterWithAnOutputThatIsNotAStore()
    {
        using var dir = new TempDir();
        string x = WriteInputs(dir, 4, 2, 1);
        var (code, _, err) = Run("kernel", "--kernel", "gaussian", "--x1", x, "--out", dir.File("K.npy"), "--cluster", "local");
        Assert.Equal(2, code);
        Assert.Contains("--cluster applies only to a kernel store", AssertErrorForm(err));
        Assert.False(File.Exists(dir.File("K.npy")));
        (code, _, err) = Run("kernel", "--kernel", "gaussian", "--x1", x, "--out", dir.File("K.zarr"), "--cluster", "redis:/host");
        Assert.Equal(2, code);
        Assert.Contains("--cluster:", AssertErrorForm(err));
        Assert.False(Directory.Exists(dir.File("K.zarr")));
    }

    [Fact]
    public void KernelOnAnUnreachableClusterSaysHowToStartOneAndWritesNothing()
    {
        using var dir = new TempDir();
        string x = WriteInputs(dir, 4, 2, 1);
        var (code, _, err) = Run("kernel", "--kernel", "gaussian", "--x1", x, "--out", dir.File("K.zarr"), "--cluster", "local");
        Assert.Equal(2, code);
        string line = AssertErrorForm(err);
        Assert.Contains("Cannot reach the cluster local", line);
        Assert.Contains("tangent serve --cluster local", line);
        Assert.False(Directory.Exists(dir.File("K.zarr")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ServedLocalClusterComputesTheSameStoreAsOneMachineAndStopsOnCancel()
    {
        using var dir = new TempDir();
        string x = WriteInputs(dir, 23, 3, 2);
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(() => Run(stop.Token, "serve", "--cluster", "local"));
        try
        {
            await WaitForLocalClusterAsync(serve);
            string[] args = ["kernel", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5)", "--get", "ntk", "--x1", x, "--chunk", "5"];
            var one = Run([.. args, "--out", dir.File("one.zarr")]);
            var cluster = Run([.. args, "--out", dir.File("cluster.zarr"), "--cluster", "local"]);
            Assert.True(cluster.Code == 0, cluster.Err);
            Assert.Equal(0, one.Code);
            Assert.Contains("25 chunk files now (0 were done), 25 of 25 done", cluster.Out);
            ClusterTestHelpers.SameFiles(dir.File("one.zarr"), dir.File("cluster.zarr"));
        }
        finally
        {
            stop.Cancel();
            var (code, output, err) = await serve.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, err);
            Assert.Contains("listening on 127.0.0.1:11111, gateway 127.0.0.1:30000", output);
            Assert.Contains("silo stopped.", output);
        }
    }

    private static async Task WaitForLocalClusterAsync(Task serving)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (serving.IsCompleted) Assert.Fail("tangent serve ended before the cluster was up: " + (await (Task<(int, string, string)>)serving).Item3);
            try
            {
                await using var c = await ClusterHosting.ConnectAsync(ClusterAddress.Local);
                return;
            }
            catch (ClusterUnreachableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
