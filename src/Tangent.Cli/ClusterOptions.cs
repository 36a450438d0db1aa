using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// The --cluster option of `tangent kernel` (docs/CLUSTER.md) with its security options (<see cref="ClusterSecurityOptions"/>), and
/// the parsing shared with `tangent serve`.
/// </summary>
internal sealed class ClusterOptions
{
    public Option<string?> Cluster { get; } = new("--cluster")
    {
        Description = "With --out K.zarr: compute the chunks on a Tangent cluster: local (silos started on this machine with tangent serve --cluster local) or redis://HOST:PORT (docs/CLUSTER.md). The store is the same as without it.",
    };

    /// <summary>--tls-cert and --redis-password-file.</summary>
    public ClusterSecurityOptions Security { get; } = new();

    /// <summary>Adds --cluster and its security options to <paramref name="c"/>.</summary>
    public void AddTo(Command c)
    {
        c.Options.Add(Cluster);
        Security.AddTo(c);
    }

    /// <summary>The cluster of --cluster with its security settings, or null when not given; refused for an output that is not a store.</summary>
    public ClusterAddress? Parse(ParseResult r, bool toStore)
    {
        if (r.GetValue(Cluster) is not { } text)
        {
            Security.RefuseWithoutCluster(r);
            return null;
        }
        if (!toStore) throw new CliError("--cluster applies only to a kernel store: give --out a folder name ending in .zarr (then tangent store info/verify read it), or drop --cluster.");
        return Security.Apply(r, ParseAddress(text));
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

/// <summary>
/// The security options of a cluster (docs/CLUSTER.md, "Security"): <c>--tls-cert FILE.pfx</c> (its password from
/// <see cref="TlsPasswordVariable"/>) and the Redis password from <see cref="RedisPasswordVariable"/> or <c>--redis-password-file</c>.
/// Passwords are never arguments: the arguments of a process are visible to every user of the machine (ps).
/// </summary>
internal sealed class ClusterSecurityOptions
{
    /// <summary>The environment variable holding the password of the --tls-cert file.</summary>
    public const string TlsPasswordVariable = "TANGENT_TLS_PASSWORD";

    /// <summary>The environment variable holding the Redis password.</summary>
    public const string RedisPasswordVariable = "TANGENT_REDIS_PASSWORD";

    private static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> EnvironmentOverride = new();

    public Option<string?> TlsCert { get; } = new("--tls-cert")
    {
        Description = $"The cluster's certificate and private key, a PKCS#12 file (.pfx; its password from ${TlsPasswordVariable}): every silo and client uses the same one, and connections are mutual TLS pinned to it (docs/CLUSTER.md).",
    };

    public Option<string?> RedisPasswordFile { get; } = new("--redis-password-file")
    {
        Description = $"With redis://: a file whose first line is the Redis password (else ${RedisPasswordVariable}, if set).",
    };

    /// <summary>Adds the options to <paramref name="c"/>.</summary>
    public void AddTo(Command c)
    {
        c.Options.Add(TlsCert);
        c.Options.Add(RedisPasswordFile);
    }

    /// <summary>Refuses the security options when no cluster is given.</summary>
    public void RefuseWithoutCluster(ParseResult r)
    {
        if (r.GetValue(TlsCert) is not null) throw new CliError("--tls-cert applies only with --cluster; give --cluster local|redis://HOST:PORT, or drop --tls-cert.");
        if (r.GetValue(RedisPasswordFile) is not null) throw new CliError("--redis-password-file applies only with --cluster redis://HOST:PORT; give that, or drop --redis-password-file.");
    }

    /// <summary><paramref name="address"/> with the certificate of --tls-cert and the Redis password of the options and environment.</summary>
    public ClusterAddress Apply(ParseResult r, ClusterAddress address)
    {
        var certificate = r.GetValue(TlsCert) is { } path ? LoadCertificate(path) : null;
        string? password = RedisPassword(r, address);
        try
        {
            return address.With(new ClusterSecurity(certificate, password));
        }
        catch (ArgumentException e)
        {
            certificate?.Dispose();
            throw new CliError(TangentCli.Message(e));
        }
    }

    private static X509Certificate2 LoadCertificate(string path)
    {
        try
        {
            return ClusterSecurity.LoadCertificate(path, Environment(TlsPasswordVariable));
        }
        catch (FileNotFoundException e)
        {
            throw new CliError("--tls-cert: " + e.Message);
        }
        catch (InvalidDataException e) when (e.InnerException is CryptographicException)
        {
            throw new CliError("--tls-cert: " + e.Message, $"the password is read from the environment variable {TlsPasswordVariable} (never from an argument); set it to the file's password.");
        }
        catch (InvalidDataException e)
        {
            throw new CliError("--tls-cert: " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliError($"--tls-cert: the certificate file '{path}' cannot be read ({e.Message}); give this user read access to it.");
        }
    }

    /// <summary>The Redis password of --redis-password-file (its first line), else of the environment, else null; refused for a local cluster.</summary>
    private string? RedisPassword(ParseResult r, ClusterAddress address)
    {
        if (r.GetValue(RedisPasswordFile) is { } file)
        {
            if (address.IsLocal) throw new CliError("--redis-password-file: the local cluster has no Redis server; drop --redis-password-file, or give --cluster redis://HOST:PORT.");
            string first;
            try
            {
                using var reader = new StreamReader(file);
                first = reader.ReadLine() ?? "";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"--redis-password-file: cannot read '{file}' ({e.GetType().Name}: {ParseErrors.OneLine(e.Message)}); give a readable file whose first line is the Redis password.");
            }
            if (first.Length == 0) throw new CliError($"--redis-password-file: the first line of '{file}' is empty; put the Redis password on the first line.");
            return first;
        }
        if (Environment(RedisPasswordVariable) is not { } password) return null;
        if (address.IsLocal) throw new CliError($"{RedisPasswordVariable} is set, but the local cluster has no Redis server; unset {RedisPasswordVariable}, or give --cluster redis://HOST:PORT.");
        if (password.Length == 0) throw new CliError($"{RedisPasswordVariable} is set but empty; set it to the Redis password, or unset it for a Redis without one.");
        return password;
    }

    /// <summary>An environment variable of this process (or, inside <see cref="WithEnvironment"/>, of the test's replacement).</summary>
    internal static string? Environment(string name) =>
        EnvironmentOverride.Value is { } map ? map.GetValueOrDefault(name) : System.Environment.GetEnvironmentVariable(name);

    /// <summary>Runs <paramref name="action"/> (and what it starts) with <paramref name="variables"/> in place of the process's environment variables read here, so tests in parallel do not share them.</summary>
    internal static T WithEnvironment<T>(IReadOnlyDictionary<string, string?> variables, Func<T> action)
    {
        var previous = EnvironmentOverride.Value;
        EnvironmentOverride.Value = variables;
        try { return action(); }
        finally { EnvironmentOverride.Value = previous; }
    }
}
