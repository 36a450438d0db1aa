using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Connections.Security;
using StackExchange.Redis;

namespace Tangent.Cluster;

/// <summary>The network endpoints of one silo: the interface it binds to, its silo-to-silo port and its gateway (client) port.</summary>
/// <param name="Bind">The interface address it listens on and advertises (loopback for a local cluster).</param>
/// <param name="SiloPort">The silo-to-silo port.</param>
/// <param name="GatewayPort">The client-to-silo (gateway) port.</param>
public sealed record SiloEndpoints(IPAddress Bind, int SiloPort = ClusterAddress.DefaultSiloPort, int GatewayPort = ClusterAddress.DefaultGatewayPort);

/// <summary>The cluster could not be reached (no silo answers at the gateway, or the Redis server is down); the message says how to start one.</summary>
public sealed class ClusterUnreachableException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException() { }

    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException(string message) : base(message) { }
}

/// <summary>Builds Tangent's silos and clients (docs/CLUSTER.md): one cluster and service id, Tangent's worker grains, message limits for kernel chunks.</summary>
public static class ClusterHosting
{
    /// <summary>The cluster id and service id of every Tangent cluster.</summary>
    public const string ClusterId = "tangent";

    /// <summary>How long Orleans waits for one grain call (a chunk's computation); the coordinator's own per-chunk timeout is shorter.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromHours(2);

    /// <summary>The largest message body: a 8192×8192 float64 chunk is 512 MiB.</summary>
    public const int MaxMessageBodySize = 1 << 30;

    /// <summary>
    /// Configures <paramref name="silo"/> as a Tangent silo of <paramref name="address"/> at <paramref name="endpoints"/>, with the
    /// address's <see cref="ClusterAddress.Security"/>: mutual TLS pinned to the cluster's certificate on its silo and gateway
    /// ports and its connections to other silos, and the Redis password.
    /// </summary>
    public static void ConfigureSilo(ISiloBuilder silo, ClusterAddress address, SiloEndpoints endpoints) =>
        ConfigureSilo(silo, address, endpoints, ClusterAddress.LocalPrimarySiloPort);

    /// <summary><see cref="ConfigureSilo(ISiloBuilder, ClusterAddress, SiloEndpoints)"/> with the silo port of a local cluster's first silo (tests run local clusters on free ports).</summary>
    internal static void ConfigureSilo(ISiloBuilder silo, ClusterAddress address, SiloEndpoints endpoints, int localPrimarySiloPort)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(endpoints);
        if (address.IsLocal)
        {
            var primary = new IPEndPoint(IPAddress.Loopback, localPrimarySiloPort);
            silo.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, endpoints.SiloPort == localPrimarySiloPort ? null : primary, ClusterId, ClusterId);
        }
        else
        {
            silo.UseRedisClustering(o => ConfigureRedis(o, address));
            silo.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
        }
        silo.Configure<EndpointOptions>(o =>
        {
            o.AdvertisedIPAddress = endpoints.Bind;
            o.SiloPort = endpoints.SiloPort;
            o.GatewayPort = endpoints.GatewayPort;
            o.SiloListeningEndpoint = new IPEndPoint(endpoints.Bind, endpoints.SiloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(endpoints.Bind, endpoints.GatewayPort);
        });
        silo.Configure<SiloMessagingOptions>(o => { o.ResponseTimeout = ResponseTimeout; o.MaxMessageBodySize = MaxMessageBodySize; });
        if (address.Security.Certificate is { } certificate) silo.UseTls(certificate, o => ConfigureTls(o, address.Security));
    }

    /// <summary>
    /// Configures <paramref name="client"/> as a client of <paramref name="address"/> (for a local cluster, through the gateway at
    /// <paramref name="localGatewayPort"/>), with the address's <see cref="ClusterAddress.Security"/> (mutual TLS, Redis password).
    /// </summary>
    public static void ConfigureClient(IClientBuilder client, ClusterAddress address, int localGatewayPort = ClusterAddress.DefaultGatewayPort)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsLocal) client.UseLocalhostClustering(localGatewayPort, ClusterId, ClusterId);
        else
        {
            client.UseRedisClustering(o => ConfigureRedis(o, address));
            client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
        }
        client.Configure<ClientMessagingOptions>(o => { o.ResponseTimeout = ResponseTimeout; o.MaxMessageBodySize = MaxMessageBodySize; });
        if (address.Security.Certificate is { } certificate) client.UseTls(certificate, o => ConfigureTls(o, address.Security));
    }

    /// <summary>The Redis connection of the membership table: the address's endpoint and, if given, its password (set as an option, so any character is safe).</summary>
    private static void ConfigureRedis(RedisClusteringOptions options, ClusterAddress address)
    {
        var redis = ConfigurationOptions.Parse(address.RedisConfiguration);
        if (address.Security.RedisPassword is { } password) redis.Password = password;
        options.ConfigurationOptions = redis;
    }

    /// <summary>
    /// Mutual TLS pinned to the cluster's certificate: both ends of every connection must present a certificate, and a peer is
    /// accepted only if its certificate has the cluster certificate's SHA-256 thumbprint. The chain and host name are not checked
    /// (a self-signed certificate has no chain, and silos are addressed by IP): the pin replaces both (docs/CLUSTER.md).
    /// </summary>
    private static void ConfigureTls(TlsOptions options, ClusterSecurity security)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, _, _) => security.IsClusterCertificate(certificate);
        string host = security.Certificate!.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false);
        options.OnAuthenticateAsClient = (_, ssl) => ssl.TargetHost = host;
    }

    /// <summary>A host running one silo (not started).</summary>
    public static IHost CreateSilo(ClusterAddress address, SiloEndpoints endpoints) =>
        CreateSilo(address, endpoints, ClusterAddress.LocalPrimarySiloPort);

    /// <summary>A host running one silo (not started), for a local cluster whose first silo has the silo port <paramref name="localPrimarySiloPort"/>.</summary>
    internal static IHost CreateSilo(ClusterAddress address, SiloEndpoints endpoints, int localPrimarySiloPort) =>
        new HostBuilder().UseOrleans(s => ConfigureSilo(s, address, endpoints, localPrimarySiloPort)).Build();

    /// <summary>How long a client tries to reach a cluster before it gives up.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Connects a client to the cluster at <paramref name="address"/>.</summary>
    /// <exception cref="ClusterUnreachableException">No silo answered within <see cref="ConnectTimeout"/> (or Redis is down), with how to start one.</exception>
    public static Task<ClusterConnection> ConnectAsync(ClusterAddress address, CancellationToken cancellationToken = default, int localGatewayPort = ClusterAddress.DefaultGatewayPort) =>
        ConnectAsync(address, cancellationToken, localGatewayPort, ConnectTimeout);

    /// <summary><see cref="ConnectAsync(ClusterAddress, CancellationToken, int)"/> giving up after <paramref name="connectTimeout"/> (tests).</summary>
    internal static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, CancellationToken cancellationToken, int localGatewayPort, TimeSpan connectTimeout)
    {
        ArgumentNullException.ThrowIfNull(address);
        string where = address.IsLocal ? $"local (gateway 127.0.0.1:{localGatewayPort})" : address.ToString();
        string fix = $"Start a silo first (tangent serve --cluster {address}), or check the address and that the silos' gateway ports are open"
            + (address.Security.UsesTls
                ? ", and that the silos use the same certificate (--tls-cert): a silo refuses a client with another one."
                : "; if the silos use TLS, give their certificate (--tls-cert): a TLS silo refuses a client without it.");
        if (address.IsLocal && !await AcceptsAsync(new IPEndPoint(IPAddress.Loopback, localGatewayPort), cancellationToken).ConfigureAwait(false))
            throw new ClusterUnreachableException($"Cannot reach the cluster {where}: nothing listens there. {fix}");
        if (address.IsLocal && address.Security.UsesTls
            && await TlsMismatchAsync(new IPEndPoint(IPAddress.Loopback, localGatewayPort), address.Security, cancellationToken).ConfigureAwait(false) is { } mismatch)
            throw new ClusterUnreachableException($"Cannot reach the cluster {where}: {mismatch}");
        var host = new HostBuilder().UseOrleansClient(c => ConfigureClient(c, address, localGatewayPort)).Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await host.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            string why = e is OperationCanceledException ? $"no silo answered within {connectTimeout.TotalSeconds:F0} s." : e.Message.Split('\n')[0].Trim();
            throw new ClusterUnreachableException($"Cannot reach the cluster {where}: {why} {fix}", e);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ClusterConnection(host);
    }

    /// <summary>
    /// Before a TLS client of a local cluster starts (Orleans would retry a refused gateway until <see cref="ConnectTimeout"/>), one
    /// TLS handshake with the gateway at <paramref name="endpoint"/>: null when the silo presents the cluster's certificate, else why
    /// not (no TLS, another certificate) with the fix. The probe ends after the silo's certificate, before any Orleans message.
    /// </summary>
    private static async Task<string?> TlsMismatchAsync(IPEndPoint endpoint, ClusterSecurity security, CancellationToken cancellationToken)
    {
        X509Certificate2? presented = null;
        using var socket = new System.Net.Sockets.Socket(endpoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            await using var ssl = new SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = security.Certificate!.GetNameInfo(X509NameType.SimpleName, forIssuer: false),
                ClientCertificates = new X509CertificateCollection { security.Certificate },
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return false;   // the probe ends here either way
                },
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or AuthenticationException or System.Net.Sockets.SocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }
        using (presented)
        {
            if (presented is null)
                return $"the silo at {endpoint} does not answer a TLS handshake: it runs without TLS. Start the silos with the same --tls-cert, or drop --tls-cert here.";
            if (!security.IsClusterCertificate(presented))
                return $"the silo at {endpoint} presents another certificate ({presented.Subject}, SHA-256 {Convert.ToHexString(presented.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256))[..16]}…) than this client's (SHA-256 {security.Thumbprint![..16]}…), so each refuses the other. Give every silo and client the same --tls-cert file.";
            return null;
        }
    }

    /// <summary>Whether something accepts a TCP connection at <paramref name="endpoint"/> within 2 s.</summary>
    private static async Task<bool> AcceptsAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = new System.Net.Sockets.Socket(endpoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return false; }
    }
}

/// <summary>A connected cluster client; disposing it disconnects.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    internal ClusterConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The client (an <see cref="IGrainFactory"/> for <see cref="ClusterKernelJob"/>).</summary>
    public IClusterClient Client { get; }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _host.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        finally
        {
            _host.Dispose();
        }
    }
}
