using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Experiments;

namespace Tangent.Cli;

/// <summary>`tangent benchmark uci`: the UCI-90 benchmark of Arora et al. 2020 (docs/UCI.md). `tangent bench` (GEMM, Cholesky) is another command.</summary>
internal static class BenchmarkCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("benchmark", "Published benchmarks, run with Tangent's kernels and written as a report folder. (For the speed of matrix multiplication and Cholesky see `tangent bench`.)");
        cmd.Subcommands.Add(Uci(output));
        return cmd;
    }

    private static Command Uci(TextWriter output)
    {
        var cmd = new Command("uci", "The 90 UCI data sets of Arora et al. 2020: NTK-SVM, NNGP-SVM, Gaussian SVM and NTK kernel regression selected on the conxuntos.dat split, scored on the 4 folds of conxuntos_kfold.dat, reported beside Delgado's random forest and Gaussian SVM (docs/UCI.md). Resumable: a rerun with the same --out skips the finished data sets.");
        var data = new Option<string>("--data") { Description = "The UCI-90 data: uci90.txz itself (extracted into a temporary folder with tar) or the folder it extracts to.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output folder: sets/ (one result file per finished data set, read back by a rerun) and report/ (README.md, results.csv, plots). New, empty, or one this command wrote before.", DefaultValueFactory = _ => "tangent-uci" };
        var methods = new Option<string>("--methods") { Description = $"Comma-separated methods: {string.Join(", ", UciMethods.Names)}.", DefaultValueFactory = _ => string.Join(",", UciMethods.Names) };
        var sets = new Option<string?>("--sets") { Description = "Comma-separated data sets (folder names, e.g. iris,wine); default all." };
        var delgado = new Option<string?>("--delgado") { Description = "Delgado's results table (delgado_results.txt, the results.txt of Fernández-Delgado et al. 2014) for the random-forest and Gaussian-SVM columns; default: delgado_results.txt beside --data when there is one." };
        var parallel = new Option<string>("--parallel") { Description = "How the cores are used: sets (several data sets at once, each single-threaded) or grid (one set at a time, its grid points and folds in parallel).", DefaultValueFactory = _ => "sets" };
        var threads = CliOptions.OptionalInt("--threads", "Threads, 1 to 1024 (default: the number of cores).", 1, 1024);
        cmd.Options.Add(data); cmd.Options.Add(outDir); cmd.Options.Add(methods); cmd.Options.Add(sets);
        cmd.Options.Add(delgado); cmd.Options.Add(parallel); cmd.Options.Add(threads);
        cmd.SetAction(r =>
        {
            var methodList = ParseMethods(r.GetValue(methods)!);
            var parallelism = r.GetValue(parallel)!.Trim().ToLowerInvariant() switch
            {
                "sets" => UciParallelism.DataSets,
                "grid" => UciParallelism.GridPoints,
                var p => throw new CliError($"--parallel must be sets or grid, not '{p}'."),
            };
            string outPath = r.GetValue(outDir)!;
            string dataPath = r.GetValue(data)!;
            UciBenchmark.EnsureWritable(outPath);   // refuse a user's folder before any work
            Report.EnsureWritable(Path.Combine(outPath, UciBenchmark.ReportFolder));
            var table = LoadDelgado(r.GetValue(delgado), dataPath, output);
            using var folder = UciDataFolder.Open(dataPath, TangentCli.Cancellation);
            IReadOnlyList<string>? setList = r.GetValue(sets) is { } s ? Split(s, "--sets") : null;
            var names = UciBenchmark.SelectSets(folder.Root, setList, dataPath);
            var settings = new UciBenchmarkSettings { Methods = methodList, Sets = names, Parallelism = parallelism, Threads = r.GetValue(threads) };
            output.WriteLine($"benchmark uci: {names.Count} data sets, methods {string.Join(", ", methodList.Select(m => m.Name))}, parallel over {(parallelism == UciParallelism.DataSets ? "data sets" : "grid points")}; results in {Path.Combine(outPath, UciBenchmark.SetsFolder)}");
            int done = 0;
            var gate = new object();
            UciBenchmarkRun run;
            TangentCli.KeepsOnInterrupt($"the finished data sets stay in {Path.Combine(outPath, UciBenchmark.SetsFolder)} (rerun the same command to resume); no report was written");
            try
            {
                run = UciBenchmark.Run(folder.Root, outPath, settings, (set, resumed) =>
                {
                    lock (gate)
                    {
                        done++;
                        string scores = string.Join(", ", methodList.Select(m => set.Of(m.Name) is { } x
                            ? $"{m.Title} {(100 * x.TestAccuracy).ToString("F2", CultureInfo.InvariantCulture)} % ({x.Choice})" : $"{m.Title} –"));
                        output.WriteLine($"[{done}/{names.Count}] {set.Name} ({set.Rows}×{set.Features}, {set.Classes} classes): {scores}{(resumed ? " [read back]" : "")}");
                    }
                }, TangentCli.Cancellation);
            }
            catch (OperationCanceledException)
            {
                int kept = names.Count(n => File.Exists(Path.Combine(outPath, UciBenchmark.SetsFolder, n + ".txt")));
                output.WriteLine($"interrupted: {kept} of {names.Count} data sets have results in {Path.Combine(outPath, UciBenchmark.SetsFolder)}; the same command resumes from them.");
                throw;
            }
            var report = UciBenchmarkReport.Build(run, methodList, table,
            [
                ("data", dataPath),
                ("delgado", table?.Source ?? "(none)"),
                ("parallel", parallelism.ToString()),
                ("threads", (r.GetValue(threads) ?? Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture)),
                ("load average at the end", LoadAverage()),
                ("command", CommonOptions.CommandLine(r)),
            ]);
            string readme = report.Save(Path.Combine(outPath, UciBenchmark.ReportFolder));
            var summary = UciBenchmarkReport.Summarize(run.Sets, methodList, table);
            foreach (var c in summary.Columns)
                output.WriteLine($"{c.Title}: mean {c.MeanAccuracy.ToString("F2", CultureInfo.InvariantCulture)} % over {summary.CommonSets.Count} sets" +
                                 (c.AverageRank is { } rank ? $", Friedman rank {rank.ToString("F2", CultureInfo.InvariantCulture)}" : ""));
            if (summary.WithoutDelgado.Count > 0) output.WriteLine($"not in Delgado's table: {string.Join(", ", summary.WithoutDelgado)}");
            output.WriteLine($"report: {readme} in {run.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({run.Resumed} sets read back)");
            return TangentCli.Ok;
        });
        return cmd;
    }

    private static IReadOnlyList<UciMethod> ParseMethods(string text)
    {
        try { return UciMethods.Parse(Split(text, "--methods")); }
        catch (ArgumentException e) { throw new CliError("--methods: " + TangentCli.Message(e)); }
    }

    private static DelgadoResults? LoadDelgado(string? given, string dataPath, TextWriter output)
    {
        if (given is not null) return DelgadoResults.Load(given);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataPath));
        string? beside = Path.GetDirectoryName(full) is { } parent ? Path.Combine(parent, "delgado_results.txt") : null;
        if (beside is null || !File.Exists(beside)) return null;
        output.WriteLine($"delgado: {beside}");
        return DelgadoResults.Load(beside);
    }

    private static string[] Split(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new CliError($"{option} is empty.", "give a comma-separated list such as iris,wine.");
        return parts;
    }

    private static string LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown"; }
        catch (IOException) { return "unknown"; }
    }
}
