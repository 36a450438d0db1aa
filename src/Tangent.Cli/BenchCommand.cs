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
        var gemmN = new Option<int>("--gemm-n") { Description = "Order of the square GEMM (0 skips it).", DefaultValueFactory = _ => 4096 };
        var cholN = new Option<int>("--cholesky-n") { Description = "Order of the Cholesky factorization (0 skips it).", DefaultValueFactory = _ => 8000 };
        var provider = new Option<string>("--provider") { Description = "managed, native or all.", DefaultValueFactory = _ => "all" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats after one warm-up; the best is reported.", DefaultValueFactory = _ => 3 };
        cmd.Options.Add(gemmN);
        cmd.Options.Add(cholN);
        cmd.Options.Add(provider);
        cmd.Options.Add(repeats);
        cmd.SetAction(r => Run(output, r.GetValue(gemmN), r.GetValue(cholN), r.GetValue(provider) ?? "all", r.GetValue(repeats)));
        return cmd;
    }

    private static int Run(TextWriter output, int gemmN, int cholN, string providerName, int repeats)
    {
        if (gemmN < 0) throw new ArgumentException($"--gemm-n must be ≥ 0 (0 skips GEMM), got {gemmN}.");
        if (cholN < 0) throw new ArgumentException($"--cholesky-n must be ≥ 0 (0 skips Cholesky), got {cholN}.");
        if (repeats < 1) throw new ArgumentException($"--repeats must be ≥ 1, got {repeats}.");
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
                throw new ArgumentException($"Unknown --provider '{name}'. Use managed, native or all.");
        }
    }
}
