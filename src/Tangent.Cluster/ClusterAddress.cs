using System.Globalization;

namespace Tangent.Cluster;

/// <summary>
/// Where a cluster's membership lives (docs/CLUSTER.md): <c>local</c>, a development cluster on this machine (silos on loopback, the
/// first one on <see cref="LocalPrimarySiloPort"/> keeps the membership), or <c>redis://HOST:PORT</c>, a Redis server that holds the
/// membership table of silos on any number of machines. The address carries the cluster's <see cref="Security"/> (TLS certificate,
/// Redis password; see <see cref="With"/>), so whatever takes an address connects securely; <see cref="ToString"/> shows neither.
/// </summary>
public sealed record ClusterAddress
{
    /// <summary>The silo-to-silo port of the first silo of a local cluster (the one the others join).</summary>
    public const int LocalPrimarySiloPort = 11111;

    /// <summary>The default silo-to-silo port.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>The default gateway (client-to-silo) port; a client of a local cluster connects to it.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The Redis port when the address gives none.</summary>
    public const int DefaultRedisPort = 6379;

    private ClusterAddress(string? redisHost, int redisPort)
    {
        RedisHost = redisHost;
        RedisPort = redisPort;
    }

    /// <summary>The development cluster on this machine.</summary>
    public static ClusterAddress Local { get; } = new(null, 0);

    /// <summary>A cluster whose membership is kept by the Redis server at <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static ClusterAddress Redis(string host, int port = DefaultRedisPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return new ClusterAddress(host, port);
    }

    /// <summary>True for the development cluster on this machine.</summary>
    public bool IsLocal => RedisHost is null;

    /// <summary>The Redis host, or null for a local cluster.</summary>
    public string? RedisHost { get; }

    /// <summary>The Redis port (0 for a local cluster).</summary>
    public int RedisPort { get; }

    /// <summary>The security settings: <see cref="ClusterSecurity.None"/> unless given with <see cref="With"/>.</summary>
    public ClusterSecurity Security { get; private init; } = ClusterSecurity.None;

    /// <summary>This address with the security settings <paramref name="security"/> (the cluster's certificate, the Redis password).</summary>
    /// <exception cref="ArgumentException">A Redis password for a local cluster, which has no Redis server.</exception>
    public ClusterAddress With(ClusterSecurity security)
    {
        ArgumentNullException.ThrowIfNull(security);
        if (IsLocal && security.RedisPassword is not null)
            throw new ArgumentException("A Redis password was given for the local cluster, which has no Redis server; drop the password, or give the cluster as redis://HOST:PORT.", nameof(security));
        return this with { Security = security };
    }

    /// <summary>The StackExchange.Redis endpoint, <c>HOST:PORT</c>, without the password (<see cref="ClusterHosting"/> adds it from <see cref="Security"/>); safe to print.</summary>
    public string RedisConfiguration => IsLocal ? throw new InvalidOperationException("A local cluster has no Redis server.") : $"{HostText}:{RedisPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The host as written in an address (an IPv6 address in brackets).</summary>
    private string HostText => RedisHost!.Contains(':', StringComparison.Ordinal) ? $"[{RedisHost}]" : RedisHost;

    /// <summary>Parses <c>local</c> or <c>redis://HOST[:PORT]</c> (port 6379 when omitted; an IPv6 host in brackets).</summary>
    /// <exception cref="FormatException">Neither form, with the fix.</exception>
    public static ClusterAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.Equals("local", StringComparison.OrdinalIgnoreCase)) return Local;
        const string fix = "give local (a development cluster on this machine) or redis://HOST:PORT (e.g. redis://10.0.0.5:6379)";
        if (!t.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"The cluster '{text}' is neither local nor a redis:// address; {fix}.");
        if (!Uri.TryCreate(t, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host)
            || (uri.AbsolutePath is not ("" or "/")) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            throw new FormatException($"The cluster address '{text}' is not of the form redis://HOST:PORT (no path, user or query); {fix}.");
        string afterScheme = t["redis://".Length..].TrimEnd('/');
        bool portGiven = afterScheme.LastIndexOf(':') > afterScheme.LastIndexOf(']');
        if (portGiven && afterScheme.EndsWith(':'))
            throw new FormatException($"The cluster address '{text}' has an empty port; {fix}.");
        return Redis(uri.DnsSafeHost, portGiven ? uri.Port : DefaultRedisPort);
    }

    /// <inheritdoc/>
    public override string ToString() => IsLocal ? "local" : $"redis://{RedisConfiguration}";
}
