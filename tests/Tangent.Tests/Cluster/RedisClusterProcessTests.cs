using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tangent.Tests.Cli;
using Tangent.Tests.Data;

namespace Tangent.Tests.Cluster;

/// <summary>
/// The cluster as it runs on real machines, in separate processes (docs/CLUSTER.md): a Redis server that scripts/test.sh
/// installs (Debian's redis-server) and starts on 127.0.0.1 with a password, three `tangent serve` silo processes on
/// loopback ports, the coordinator as a fourth process; one silo is killed (SIGKILL) mid-run. The kernel store must equal
/// the single-machine one file for file, and the distributed CG solution the single-machine one. Skipped, with the reason,
/// where scripts/test.sh could not start Redis (TANGENT_TEST_REDIS unset). Every process started here is stopped here.
/// </summary>
[Collection(nameof(ClusterCollection))]
[Trait("Category", "Slow")]
public sealed class RedisClusterProcessTests
{
    private static readonly string? RedisAddress = Environment.GetEnvironmentVariable("TANGENT_TEST_REDIS");
    private static readonly string? RedisPassword = Environment.GetEnvironmentVariable("TANGENT_TEST_REDIS_PASSWORD");

    private const string SkipMessage =
        "No Redis server for the multi-process cluster test: scripts/test.sh starts one (Debian package redis-server, installed when " +
        "running as root with apt) on 127.0.0.1 and sets TANGENT_TEST_REDIS=redis://127.0.0.1:PORT (and TANGENT_TEST_REDIS_PASSWORD); run the tests through it.";

    [SkippableFact]
    public void ThreeSiloProcessesSurviveAKilledSiloAndMatchOneMachine()
    {
        Skip.If(RedisAddress is null, SkipMessage);
        string cli = ChildProcess.CliDll() ?? throw new InvalidOperationException("The CLI is not built (src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll).");
        using var dir = new TempDir();
        var x = ClusterTestHelpers.Inputs(360, 4, 11);
        string xCsv = dir.Write("x.csv", Csv(x));
        string yCsv = dir.Write("y.csv", Csv(Tangent.Numerics.Matrix.Build(360, 1, (i, _) => Math.Sin(3 * x[i, 0]) + x[i, 1] * x[i, 2])));
        string testCsv = dir.Write("xs.csv", Csv(ClusterTestHelpers.Inputs(40, 4, 12)));
        const string Arch = "dense(w=1.41,b=0.1) repeat(4){relu dense(w=1.41,b=0.1)}";
        using var silos = new SiloProcesses(cli, RedisAddress!, RedisPassword);
        for (int i = 0; i < 3; i++) silos.Start();

        // The kernel store: one machine, then the cluster with its first silo killed once a tenth of the chunks are written.
        string[] kernel = ["kernel", "--arch", Arch, "--get", "ntk", "--x1", xCsv, "--chunk", "12"];
        var one = Cli(cli, dir.Path, [.. kernel, "--out", dir.File("one.zarr")]);
        Assert.True(one.Code == 0, one.Err);
        string store = dir.File("cluster.zarr");
        var run = Start(cli, dir.Path, [.. kernel, "--out", store, "--cluster", RedisAddress!], RedisPassword);
        var clock = Stopwatch.StartNew();
        while (!run.Process.HasExited && ChunkFiles(store) < 50 && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
        int doneAtKill = ChunkFiles(store);
        silos.Kill(0);
        var result = run.Wait(TimeSpan.FromMinutes(5));
        Assert.True(result.Code == 0, $"the coordinator failed after a silo was killed with {doneAtKill} chunk files written: {result.Err}");
        Assert.True(doneAtKill < 900, $"the kill came after the run ({doneAtKill} chunk files): make the kernel larger");
        ClusterTestHelpers.SameFiles(dir.File("one.zarr"), store);

        // The distributed conjugate-gradient solve on the two silos left, against one machine.
        string[] regress = ["regress", "--arch", Arch, "--get", "ntk", "--x-train", xCsv, "--y-train", yCsv, "--x-test", testCsv, "--ridge", "1e-3", "--solver", "cg", "--tolerance", "1e-12"];
        var single = Cli(cli, dir.Path, [.. regress, "--out", dir.File("single.csv")]);
        Assert.True(single.Code == 0, single.Err);
        var distributed = Start(cli, dir.Path, [.. regress, "--out", dir.File("cluster.csv"), "--cluster", RedisAddress!], RedisPassword).Wait(TimeSpan.FromMinutes(5));
        Assert.True(distributed.Code == 0, distributed.Err);
        var a = ReadCsv(dir.File("single.csv"));
        var b = ReadCsv(dir.File("cluster.csv"));
        Assert.Equal(a.Length, b.Length);
        double scale = a.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-8 * scale, $"prediction {i + 1}: one machine {a[i]:R}, cluster {b[i]:R}");
        silos.StopAll();
    }

    private static int ChunkFiles(string store) =>
        Directory.Exists(store) ? Directory.EnumerateFiles(store).Count(f => char.IsDigit(Path.GetFileName(f)[0])) : 0;

    private static string Csv(Tangent.Numerics.Matrix m) =>
        string.Join("\n", Enumerable.Range(0, m.Rows).Select(i => string.Join(",", m.Row(i).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))))) + "\n";

    private static double[] ReadCsv(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0 && (char.IsDigit(l[0]) || l[0] is '-' or '.')).SelectMany(l => l.Split(',')).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    private static (int Code, string Out, string Err) Cli(string cli, string directory, string[] args) => Start(cli, directory, args, null).Wait(TimeSpan.FromMinutes(5));

    private static Child Start(string cli, string directory, string[] args, string? redisPassword)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        psi.ArgumentList.Add(cli);
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (redisPassword is not null) psi.Environment["TANGENT_REDIS_PASSWORD"] = redisPassword;
        return new Child(Process.Start(psi)!);
    }

    /// <summary>A child process whose output is collected as it comes.</summary>
    private sealed class Child
    {
        private readonly System.Text.StringBuilder _out = new(), _err = new();

        public Child(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (_out) return _out.ToString(); } }

        public string Errors { get { lock (_err) return _err.ToString(); } }

        public (int Code, string Out, string Err) Wait(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
                Assert.Fail($"the process did not end within {timeout.TotalMinutes:F0} min: {Output} {Errors}");
            }
            Process.WaitForExit();
            return (Process.ExitCode, Output, Errors);
        }
    }

    /// <summary>Silo processes (`tangent serve --cluster redis://…`) on free loopback ports; disposing kills any still running.</summary>
    private sealed class SiloProcesses(string cli, string redis, string? password) : IDisposable
    {
        private readonly List<Child> _silos = [];

        public void Start()
        {
            int port = FreePort(), gateway = FreePort();
            var silo = RedisClusterProcessTests.Start(cli, Path.GetTempPath(),
                ["serve", "--cluster", redis, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture)], password);
            _silos.Add(silo);
            var clock = Stopwatch.StartNew();
            while (!silo.Output.Contains("listening on", StringComparison.Ordinal))
            {
                if (silo.Process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
                    Assert.Fail($"silo {_silos.Count} did not start: {silo.Output} {silo.Errors}");
                Thread.Sleep(50);
            }
        }

        public void Kill(int index) => _silos[index].Process.Kill();

        /// <summary>SIGTERM to every silo still running; each must leave the cluster and exit 0.</summary>
        public void StopAll()
        {
            foreach (var s in _silos.Where(s => !s.Process.HasExited))
            {
                Assert.Equal(0, ChildProcess.Kill(s.Process.Id, 15));
                Assert.True(s.Process.WaitForExit(30_000), "a silo did not stop within 30 s of SIGTERM");
                s.Process.WaitForExit();   // and its redirected output is read to the end
                Assert.True(s.Process.ExitCode == 0, s.Errors);
                Assert.Contains("silo stopped.", s.Output);
            }
        }

        public void Dispose()
        {
            foreach (var s in _silos)
            {
                if (!s.Process.HasExited)
                {
                    s.Process.Kill(entireProcessTree: true);
                    s.Process.WaitForExit(10_000);
                }
                s.Process.Dispose();
            }
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }
}
