using System.CommandLine;
using Spectre.Console;
using Tangent.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent bench`: GFLOP/s of GEMM and Cholesky for each linear-algebra provider.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("bench", "Time matrix multiplication (GEMM) and Cholesky for the linear-algebra providers and print GFLOP/s and the fraction of the estimated peak.");
        var gemmN = CliOptions.Int("--gemm-n", $"Order of the square GEMM, 0 to {MaxOrder} (0 skips it); three n×n matrices must fit in memory.", 4096, 0, MaxOrder);
        var cholN = CliOptions.Int("--cholesky-n", $"Order of the Cholesky factorization, 0 to {MaxOrder} (0 skips it); two n×n matrices must fit in memory.", 8000, 0, MaxOrder);
        var provider = new Option<string>("--provider") { Description = "managed, native or all.", DefaultValueFactory = _ => "all" };
        var repeats = CliOptions.Int("--repeats", "Timed repeats after one warm-up, 1 to 1000; the best is reported.", 3, 1, 1000);
        cmd.Options.Add(gemmN);
        cmd.Options.Add(cholN);
        cmd.Options.Add(provider);
        cmd.Options.Add(repeats);
        cmd.SetAction(r => Run(output, r.GetValue(gemmN), r.GetValue(cholN), r.GetValue(provider) ?? "all", r.GetValue(repeats)));
        return cmd;
    }

    /// <summary>The largest order whose n² doubles fit in one .NET array.</summary>
    internal const int MaxOrder = 46_340;

    /// <summary>
    /// Refuses a benchmark whose matrices (<paramref name="matrices"/> of n² doubles, in checked arithmetic)
    /// need more than the memory this process can use, before anything is allocated.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">They do not fit; the message gives the GB needed and the largest n that fits.</exception>
    internal static void RequireMemory(string option, int n, int matrices, long available)
    {
        long bytes = checked(matrices * (long)n * n * sizeof(double));
        if (bytes <= available) return;
        int fits = (int)Math.Floor(Math.Sqrt(available / (double)(matrices * sizeof(double))));
        throw new InsufficientMemoryException(
            $"{option} {n} needs {CliOptions.Gb(bytes)} ({matrices} matrices of {n}×{n} doubles) but this process can use {CliOptions.Gb(available)}; give {option} {Math.Min(fits, MaxOrder)} or less.");
    }

    private static int Run(TextWriter output, int gemmN, int cholN, string providerName, int repeats)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (gemmN > 0) RequireMemory("--gemm-n", gemmN, 3, available);
        if (cholN > 0) RequireMemory("--cholesky-n", cholN, 2, available);
        var providers = Select(providerName, output);
        var peak = PeakEstimate.ForThisMachine();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        var table = new Table().AddColumns("provider", "operation", "n", "best s", "GFLOP/s", "of peak", "GFLOP/CPU-s");
        foreach (var p in providers)
        {
            output.WriteLine($"{p.Name}: {p.Description}");
            if (gemmN > 0) AddRow(table, ProviderBenchmark.Gemm(p, gemmN, repeats), peak);
            if (cholN > 0) AddRow(table, ProviderBenchmark.Cholesky(p, cholN, repeats), peak);
        }
        console.Write(table);
        output.WriteLine($"peak {peak.Gflops:F1} GFLOP/s is an {peak.Source}.");
        output.WriteLine($"GFLOP/CPU-s divides by the process CPU time of all threads; it is steadier on a busy machine (load {LoadAverage()}).");
        return TangentCli.Ok;
    }

    private static void AddRow(Table table, BenchmarkResult r, PeakEstimate peak) =>
        table.AddRow(r.Provider, r.Operation.ToString(), r.N.ToString(), r.BestSeconds.ToString("F3"), r.Gflops.ToString("F1"),
            peak.Gflops > 0 ? (r.Gflops / peak.Gflops).ToString("P0") : "?",
            double.IsFinite(r.GflopsPerCpuSecond) ? r.GflopsPerCpuSecond.ToString("F1") : "?");

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static List<ILinearAlgebraProvider> Select(string name, TextWriter output)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "all":
                var all = LinearAlgebra.Available().ToList();
                if (NativeProvider.Instance is null) output.WriteLine($"native: skipped — {NativeProvider.UnavailableReason}");
                return all;
            case "managed":
                return [ManagedProvider.Instance];
            case "native":
                return [LinearAlgebra.Resolve(ProviderKind.Native)];
            default:
                throw new CliError($"--provider must be managed, native or all, not '{name}'.");
        }
    }
}
