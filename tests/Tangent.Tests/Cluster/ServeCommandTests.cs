using Tangent.Cli;
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
            await ClusterTestHelpers.WaitForLocalClusterAsync(serve);
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
            Assert.Contains("listening on 127.0.0.1:11111, gateway 127.0.0.1:30000; TLS off (plain TCP, no authentication)", output);
            Assert.Contains("silo stopped.", output);
        }
    }

    /// <summary>Runs the command line with these environment variables in place of the process's (for the cluster's passwords).</summary>
    private static (int Code, string Out, string Err) RunWith(Dictionary<string, string?> environment, params string[] args) =>
        ClusterSecurityOptions.WithEnvironment(environment, () => Run(args));

    [Fact]
    public void TlsCertificateOptionRefusesAMissingFileAWrongPasswordAndAMissingKeyInOneLine()
    {
        using var dir = new TempDir();
        string x = WriteInputs(dir, 4, 2, 1);
        using var cert = Certificates.SelfSigned("tangent-cluster");
        string pfx = Certificates.WritePfx(cert, dir.File("cluster.pfx"), "right-pw");
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(cert.RawData);
        File.WriteAllBytes(dir.File("public.pfx"), publicOnly.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12));
        string[] kernel = ["kernel", "--kernel", "gaussian", "--x1", x, "--out", dir.File("K.zarr"), "--cluster", "local"];

        var (code, _, err) = RunWith([], [.. kernel, "--tls-cert", dir.File("none.pfx")]);
        Assert.Equal(2, code);
        Assert.Contains("--tls-cert: The certificate file '" + dir.File("none.pfx") + "' does not exist", AssertErrorForm(err));

        (code, _, err) = RunWith(new() { ["TANGENT_TLS_PASSWORD"] = "wrong-pw" }, [.. kernel, "--tls-cert", pfx]);
        Assert.Equal(2, code);
        Assert.Contains("cannot be opened with the password given: the password is wrong", AssertErrorForm(err));
        Assert.Contains("hint: the password is read from the environment variable TANGENT_TLS_PASSWORD", err);
        Assert.DoesNotContain("wrong-pw", err);
        (code, _, err) = RunWith([], [.. kernel, "--tls-cert", pfx]);
        Assert.Contains("cannot be opened without a password", AssertErrorForm(err));

        (code, _, err) = RunWith([], [.. kernel, "--tls-cert", dir.File("public.pfx")]);
        Assert.Equal(2, code);
        Assert.Contains("public.pfx' has no private key", AssertErrorForm(err));

        (code, _, err) = RunWith([], ["kernel", "--kernel", "gaussian", "--x1", x, "--out", dir.File("K.zarr"), "--tls-cert", pfx]);
        Assert.Equal(2, code);
        Assert.Contains("--tls-cert applies only with --cluster", AssertErrorForm(err));
        Assert.False(Directory.Exists(dir.File("K.zarr")));
    }

    [Fact]
    public void RedisPasswordIsRefusedForALocalClusterOrAnUnusableFileWithoutShowingIt()
    {
        using var dir = new TempDir();
        string file = dir.Write("redis.pw", "hunter2-pw\nsecond line ignored\n");
        var (code, _, err) = RunWith([], "serve", "--cluster", "local", "--redis-password-file", file);
        Assert.Equal(2, code);
        Assert.Contains("--redis-password-file: the local cluster has no Redis server", AssertErrorForm(err));

        (code, _, err) = RunWith(new() { ["TANGENT_REDIS_PASSWORD"] = "hunter2-pw" }, "serve", "--cluster", "local");
        Assert.Equal(2, code);
        Assert.Contains("TANGENT_REDIS_PASSWORD is set, but the local cluster has no Redis server; unset TANGENT_REDIS_PASSWORD", AssertErrorForm(err));
        Assert.DoesNotContain("hunter2", err);

        (code, _, err) = RunWith([], "serve", "--cluster", "redis://127.0.0.1:6379", "--redis-password-file", dir.File("none.pw"));
        Assert.Equal(2, code);
        Assert.Contains("--redis-password-file: cannot read '" + dir.File("none.pw") + "'", AssertErrorForm(err));

        (code, _, err) = RunWith([], "serve", "--cluster", "redis://127.0.0.1:6379", "--redis-password-file", dir.Write("empty.pw", "\nx\n"));
        Assert.Equal(2, code);
        Assert.Contains("the first line of '" + dir.File("empty.pw") + "' is empty", AssertErrorForm(err));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ServedTlsClusterComputesTheStoreForTheSameCertificateAndRefusesAnother()
    {
        using var dir = new TempDir();
        string x = WriteInputs(dir, 9, 3, 4);
        using var cert = Certificates.SelfSigned("tangent-cluster");
        using var other = Certificates.SelfSigned("tangent-cluster");
        string pfx = Certificates.WritePfx(cert, dir.File("cluster.pfx"), "pfx-pw");
        string otherPfx = Certificates.WritePfx(other, dir.File("other.pfx"), null);
        var withPassword = new Dictionary<string, string?> { ["TANGENT_TLS_PASSWORD"] = "pfx-pw" };
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(() => ClusterSecurityOptions.WithEnvironment(withPassword, () => Run(stop.Token, "serve", "--cluster", "local", "--tls-cert", pfx)));
        try
        {
            await ClusterTestHelpers.WaitForLocalClusterAsync(serve, ClusterAddress.Local.With(new ClusterSecurity(cert)));
            string[] args = ["kernel", "--kernel", "gaussian", "--x1", x, "--chunk", "4"];
            var one = Run([.. args, "--out", dir.File("one.zarr")]);
            var tls = RunWith(withPassword, [.. args, "--out", dir.File("tls.zarr"), "--cluster", "local", "--tls-cert", pfx]);
            Assert.True(tls.Code == 0, tls.Err);
            Assert.Equal(0, one.Code);
            ClusterTestHelpers.SameFiles(dir.File("one.zarr"), dir.File("tls.zarr"));
            var refused = RunWith([], [.. args, "--out", dir.File("other.zarr"), "--cluster", "local", "--tls-cert", otherPfx]);
            Assert.Equal(2, refused.Code);
            Assert.Contains("presents another certificate", AssertErrorForm(refused.Err));
            Assert.False(Directory.Exists(dir.File("other.zarr")));
        }
        finally
        {
            stop.Cancel();
            var (code, output, err) = await serve.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, err);
            Assert.Contains("listening on 127.0.0.1:11111, gateway 127.0.0.1:30000; TLS on (certificate SHA-256 " + new ClusterSecurity(cert).Thumbprint![..16], output);
            Assert.DoesNotContain("pfx-pw", output + err);
        }
    }
}
