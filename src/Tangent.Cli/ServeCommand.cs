using System.CommandLine;
using System.Net;
using Tangent.Cluster;

namespace Tangent.Cli;

/// <summary>`tangent serve`: runs one silo of a Tangent cluster until Ctrl-C or SIGTERM (docs/CLUSTER.md).</summary>
internal static class ServeCommand
{
    /// <summary>How long a stopping silo may take to leave the cluster before the process lets it go (the interrupt handler's grace is 1 s).</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMilliseconds(800);

    public static Command Create(TextWriter output)
    {
        var cmd = new Command("serve", "Run a silo of a Tangent cluster until Ctrl-C or SIGTERM: it computes kernel chunks for tangent kernel … --out K.zarr --cluster (docs/CLUSTER.md).");
        var cluster = new Option<string>("--cluster")
        {
            Description = "The cluster to join: local (a development cluster on this machine; the first silo takes the default ports) or redis://HOST:PORT (membership kept in Redis, silos on many machines).",
            Required = true,
        };
        var port = CliOptions.OptionalInt("--port", $"The silo-to-silo port (default {ClusterAddress.DefaultSiloPort}; give each silo on one machine its own).", 1, 65535);
        var gateway = CliOptions.OptionalInt("--gateway-port", $"The port clients connect to (default {ClusterAddress.DefaultGatewayPort}; give each silo on one machine its own).", 1, 65535);
        var bind = new Option<string?>("--bind") { Description = "With redis://: the IP address this silo listens on and advertises to the others (default 127.0.0.1, this machine only). A local cluster listens on 127.0.0.1 only." };
        var security = new ClusterSecurityOptions();
        foreach (var o in new Option[] { cluster, port, gateway, bind }) cmd.Options.Add(o);
        security.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var address = security.Apply(r, ClusterOptions.ParseAddress(r.GetValue(cluster)!));
            var ip = IPAddress.Loopback;
            if (r.GetValue(bind) is { } b)
            {
                if (!IPAddress.TryParse(b.Trim(), out var parsed))
                    throw new CliError($"--bind: '{b}' is not an IP address; give the address of one of this machine's interfaces, e.g. 10.0.0.5 (a host name is not taken).");
                if (address.IsLocal && !IPAddress.IsLoopback(parsed))
                    throw new CliError($"--bind {b}: a local cluster listens on 127.0.0.1 only; drop --bind, or join a cluster on several machines with --cluster redis://HOST:PORT.");
                ip = parsed;
            }
            var endpoints = new SiloEndpoints(ip, r.GetValue(port) ?? ClusterAddress.DefaultSiloPort, r.GetValue(gateway) ?? ClusterAddress.DefaultGatewayPort);
            if (endpoints.SiloPort == endpoints.GatewayPort)
                throw new CliError($"--port and --gateway-port are both {endpoints.SiloPort}; give the silo and the gateway different ports.");
            var token = TangentCli.Cancellation;
            using var host = ClusterHosting.CreateSilo(address, endpoints);
            try
            {
                host.StartAsync(token).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                throw new IOException($"Cannot start a silo of the cluster {address} on {ip}:{endpoints.SiloPort} (gateway {endpoints.GatewayPort}): {e.Message.Split('\n')[0].Trim()} " +
                    (address.IsLocal && endpoints.SiloPort != ClusterAddress.LocalPrimarySiloPort
                        ? $"Start the first silo of a local cluster without --port (it takes {ClusterAddress.LocalPrimarySiloPort}), and give each silo free ports."
                        : "Give free ports (--port, --gateway-port)" + (address.IsLocal ? "." : $" and check that Redis answers at {address.RedisConfiguration}" + (address.Security.RedisPassword is null ? $" (if it requires a password, give it with {ClusterSecurityOptions.RedisPasswordVariable} or --redis-password-file)." : " and accepts the password given.")))
                    + (address.Security.UsesTls
                        ? " A silo whose certificate differs from the running silos' is not admitted: give every silo the same --tls-cert."
                        : " If the running silos use TLS, give their certificate (--tls-cert): they do not admit a silo without it."), e);
            }
            output.WriteLine($"silo of the cluster {address} listening on {ip}:{endpoints.SiloPort}, gateway {ip}:{endpoints.GatewayPort}; {address.Security}; stop it with Ctrl-C.");
            output.Flush();
            token.WaitHandle.WaitOne();
            using (var stop = new CancellationTokenSource(StopTimeout))
            {
                try { host.StopAsync(stop.Token).GetAwaiter().GetResult(); }
                catch (OperationCanceledException) { }   // the others notice a silo that left without a goodbye (docs/CLUSTER.md)
            }
            output.WriteLine("silo stopped.");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
