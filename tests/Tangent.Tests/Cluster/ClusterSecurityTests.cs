using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Tests.Data;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

/// <summary>The tests that start silos of their own on free loopback ports (one after another: the machine has few cores).</summary>
[CollectionDefinition(nameof(SecureClusterCollection), DisableParallelization = true)]
public sealed class SecureClusterCollection;

/// <summary>Mutual TLS pinned to the cluster's certificate and the Redis password, with silos configured by <see cref="ClusterHosting"/>.</summary>
[Collection(nameof(SecureClusterCollection))]
public class ClusterSecurityTests
{
    /// <summary>
    /// How long a client without TLS tries a TLS silo (Orleans retries a gateway that drops the connection until the connect
    /// timeout, 30 s outside tests); a client with TLS is refused by its handshake probe at once.
    /// </summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(6);

    /// <summary>How long a refusal may take.</summary>
    private static readonly TimeSpan RefusalBound = TimeSpan.FromSeconds(15);

    private static readonly IKernel Gaussian = ClassicalKernel.Gaussian(0.7);

    [Fact]
    public async Task TlsClusterComputesAStoreForAClientWithTheSameCertificate()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        var address = ClusterAddress.Local.With(new ClusterSecurity(cert));
        await using var silo = await LocalSilo.StartAsync(address);
        await using var client = await ClusterHosting.ConnectAsync(address, default, silo.GatewayPort);
        using var dir = new TempDir();
        var x = Inputs(11, 3, 5);
        var reference = Reference(dir.File("one.zarr"), Gaussian, x, null, 4);
        var store = Make(dir.File("tls.zarr"), Gaussian, x, null, 4);
        int written = await new ClusterKernelJob(client.Client).FillAsync(store, Gaussian, x, null, StoreShard.All, ComputeOptions.Default);
        Assert.Equal(store.Chunks.Count, written);
        SameFiles(reference.Path, store.Path);
    }

    [Fact]
    public async Task TlsClusterRefusesAClientWithoutTls()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        await using var silo = await LocalSilo.StartAsync(ClusterAddress.Local.With(new ClusterSecurity(cert)));
        var e = await AssertRefusedAsync(ClusterAddress.Local, silo.GatewayPort);
        if (e is ClusterUnreachableException) Assert.Contains("if the silos use TLS, give their certificate (--tls-cert): a TLS silo refuses a client without it", e.Message);
    }

    [Fact]
    public async Task TlsClusterRefusesAClientWithAnotherSelfSignedCertificateOfTheSameName()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        using var other = Certificates.SelfSigned("tangent-cluster");
        await using var silo = await LocalSilo.StartAsync(ClusterAddress.Local.With(new ClusterSecurity(cert)));
        var e = await AssertRefusedAsync(ClusterAddress.Local.With(new ClusterSecurity(other)), silo.GatewayPort);
        var refused = Assert.IsType<ClusterUnreachableException>(e);
        Assert.Contains("presents another certificate (CN=tangent-cluster, SHA-256 " + new ClusterSecurity(cert).Thumbprint![..16], refused.Message);
        Assert.Contains("Give every silo and client the same --tls-cert file", refused.Message);
    }

    [Fact]
    public async Task ClusterWithoutTlsRefusesATlsClient()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        await using var silo = await LocalSilo.StartAsync(ClusterAddress.Local);
        var e = Assert.IsType<ClusterUnreachableException>(await AssertRefusedAsync(ClusterAddress.Local.With(new ClusterSecurity(cert)), silo.GatewayPort));
        Assert.Contains("does not answer a TLS handshake: it runs without TLS", e.Message);
    }

    [Fact]
    public async Task SiloWithAnotherCertificateCannotJoinTheCluster()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        using var other = Certificates.SelfSigned("tangent-cluster");
        var address = ClusterAddress.Local.With(new ClusterSecurity(cert));
        await using var primary = await LocalSilo.StartAsync(address);
        var (port, gateway) = (FreePort(), FreePort());
        using var intruder = ClusterHosting.CreateSilo(ClusterAddress.Local.With(new ClusterSecurity(other)), new SiloEndpoints(IPAddress.Loopback, port, gateway), primary.SiloPort);
        using (var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<Exception>(() => intruder.StartAsync(bounded.Token));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the intruder took {watch.Elapsed} to fail");
        }
        await using var client = await ClusterHosting.ConnectAsync(address, default, primary.GatewayPort);
        var hosts = await client.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Single(hosts);
        Assert.Contains(hosts.Keys, h => h.Endpoint.Port == primary.SiloPort);
    }

    [Fact]
    public void RedisPasswordGoesIntoTheRedisConfigurationOfSiloAndClient()
    {
        const string password = "s3cret,with=commas";
        var address = ClusterAddress.Parse("redis://10.0.0.2:6390").With(new ClusterSecurity(redisPassword: password));
        using var client = new HostBuilder().UseOrleansClient(c => ClusterHosting.ConfigureClient(c, address)).Build();
        using var silo = new HostBuilder().UseOrleans(s => ClusterHosting.ConfigureSilo(s, address, new SiloEndpoints(IPAddress.Loopback))).Build();
        foreach (var host in new[] { client, silo })
        {
            var redis = host.Services.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions!;
            Assert.Equal(password, redis.Password);
            Assert.Equal("10.0.0.2:6390", Assert.Single(redis.EndPoints).ToString());
        }
        var plain = ClusterAddress.Parse("redis://10.0.0.2:6390");
        using var unsecured = new HostBuilder().UseOrleansClient(c => ClusterHosting.ConfigureClient(c, plain)).Build();
        Assert.Null(unsecured.Services.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions!.Password);
        Assert.DoesNotContain(password, address.ToString());
        Assert.DoesNotContain(password, address.Security.ToString());
        Assert.DoesNotContain(password, address.RedisConfiguration);
    }

    [Fact]
    public void CertificatePinningAcceptsOnlyTheSameCertificate()
    {
        using var cert = Certificates.SelfSigned("tangent-cluster");
        using var other = Certificates.SelfSigned("tangent-cluster");
        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        var security = new ClusterSecurity(cert);
        Assert.True(security.IsClusterCertificate(publicOnly));
        Assert.False(security.IsClusterCertificate(other));
        Assert.False(security.IsClusterCertificate(null));
        Assert.False(ClusterSecurity.None.IsClusterCertificate(cert));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(cert.RawData)), security.Thumbprint);
        Assert.StartsWith($"TLS on (certificate SHA-256 {security.Thumbprint![..16]}", security.ToString());
    }

    [Fact]
    public void CertificateIsLoadedFromAPasswordProtectedPfxAndRefusedWithTheWrongPassword()
    {
        using var dir = new TempDir();
        using var cert = Certificates.SelfSigned("tangent-cluster");
        string pfx = Certificates.WritePfx(cert, dir.File("cluster.pfx"), "pfx-password");
        using (var loaded = ClusterSecurity.LoadCertificate(pfx, "pfx-password"))
        {
            Assert.True(loaded.HasPrivateKey);
            Assert.Equal(cert.Thumbprint, loaded.Thumbprint);
        }
        var wrong = Assert.Throws<InvalidDataException>(() => ClusterSecurity.LoadCertificate(pfx, "guess"));
        Assert.Contains($"'{pfx}' cannot be opened with the password given", wrong.Message);
        Assert.DoesNotContain("guess", wrong.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => ClusterSecurity.LoadCertificate(dir.File("none.pfx"), null));
        Assert.Contains("none.pfx' does not exist", missing.Message);
    }

    [Fact]
    public void CertificateWithoutPrivateKeyOrWithOnlyServerUsageIsRefused()
    {
        using var dir = new TempDir();
        using var cert = Certificates.SelfSigned("tangent-cluster");
        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        File.WriteAllBytes(dir.File("public.pfx"), publicOnly.Export(X509ContentType.Pkcs12));
        var e = Assert.Throws<InvalidDataException>(() => ClusterSecurity.LoadCertificate(dir.File("public.pfx"), null));
        Assert.Contains("has no private key", e.Message);
        Assert.Contains("openssl pkcs12 -export", e.Message);
        using var serverOnly = Certificates.SelfSigned("tangent-cluster", serverAuthOnly: true);
        var u = Assert.Throws<ArgumentException>(() => new ClusterSecurity(serverOnly));
        Assert.Contains("without both TLS server and client authentication", u.Message);
    }

    /// <summary>Asserts that a client of <paramref name="address"/> at the local gateway cannot use the cluster: the connection or a call fails, within <see cref="RefusalBound"/>.</summary>
    private static async Task<Exception> AssertRefusedAsync(ClusterAddress address, int gatewayPort)
    {
        var watch = Stopwatch.StartNew();
        Exception refusal;
        try
        {
            await using var client = await ClusterHosting.ConnectAsync(address, default, gatewayPort, ConnectTimeout);
            // Connected (a client may open before its first message): the call itself must fail.
            refusal = await Assert.ThrowsAnyAsync<Exception>(() => client.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(RefusalBound));
            Assert.IsNotType<TimeoutException>(refusal);
        }
        catch (ClusterUnreachableException e)
        {
            refusal = e;
        }
        Assert.True(watch.Elapsed < RefusalBound, $"the refusal took {watch.Elapsed}");
        return refusal;
    }

    /// <summary>A free TCP port on loopback.</summary>
    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The first silo of a local cluster on free ports, started with <see cref="ClusterHosting"/>'s configuration.</summary>
    private sealed class LocalSilo : IAsyncDisposable
    {
        private readonly IHost _host;

        private LocalSilo(IHost host, int siloPort, int gatewayPort) => (_host, SiloPort, GatewayPort) = (host, siloPort, gatewayPort);

        public int SiloPort { get; }

        public int GatewayPort { get; }

        public static async Task<LocalSilo> StartAsync(ClusterAddress address)
        {
            int port = FreePort(), gateway = FreePort();
            var host = ClusterHosting.CreateSilo(address, new SiloEndpoints(IPAddress.Loopback, port, gateway), localPrimarySiloPort: port);
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await host.StartAsync(bounded.Token);
            return new LocalSilo(host, port, gateway);
        }

        public async ValueTask DisposeAsync()
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _host.StopAsync(stop.Token); }
            catch (OperationCanceledException) { }
            _host.Dispose();
        }
    }
}

/// <summary>Self-signed certificates for the tests (RSA 2048, with the private key).</summary>
internal static class Certificates
{
    public static X509Certificate2 SelfSigned(string name, bool serverAuthOnly = false)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") };
        if (!serverAuthOnly) usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Through PKCS#12, as a certificate loaded from a file is (SslStream needs a key it can use on every platform).
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes <paramref name="certificate"/> and its key to a PKCS#12 file protected by <paramref name="password"/>.</summary>
    public static string WritePfx(X509Certificate2 certificate, string path, string? password)
    {
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
