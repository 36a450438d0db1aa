using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Tangent.Experiments;

namespace Tangent.Cli;

/// <summary>`tangent demo`: the main job on embedded data.</summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("demo", "Run the tour on embedded data: kernel and linear regression on a real data set and lecture 3's 1-D kernel figures; writes a report folder with plots.");
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Report folder (replaced whole).", DefaultValueFactory = _ => new DirectoryInfo("tangent-demo") };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 };
        var provider = CommonOptions.Provider();
        cmd.Options.Add(outDir);
        cmd.Options.Add(seed);
        cmd.Options.Add(provider);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var clock = Stopwatch.StartNew();
            var report = new Report("Tangent demo");
            report.Paragraph("Classical kernel machines first: kernel regression (minimum-norm interpolation and ridge) and linear regression, " +
                             "on a real data set and on a one-dimensional example. Everything here runs on data embedded in Tangent.");

            report.Heading("Regression on a real data set");
            var tab = TabularRegressionExperiment.Run(seed: r.GetValue(seed));
            TabularRegressionExperiment.AddTo(report, tab);
            var console = Terminal.For(output);
            var t1 = new Table().Title(Markup.Escape($"{tab.Dataset}: {tab.Train} train / {tab.Test} test, standardized targets"));
            t1.AddColumns("model", "train MSE", "test MSE", "test R²");
            foreach (var row in tab.Rows)
                t1.AddRow(Markup.Escape(row.Model), Report.Num(row.TrainMse), Report.Num(row.TestMse), Report.Num(1 - row.TestMse));
            console.Write(t1);

            report.Heading("Kernel regression in one dimension (lecture 3)");
            var ks = new KernelsSettings { Seed = r.GetValue(seed) + 1 };
            var kr = KernelsExperiment.Run(ks);
            KernelsExperiment.AddTo(report, kr, ks);
            var t2 = new Table().Title(Markup.Escape("1-D: f(x) = sin(4x) + x/2, test MSE against f on [-1, 1]"));
            t2.AddColumns("kernel", "γ", "λ", "train MSE", "test MSE");
            foreach (var f in kr.Fits)
                t2.AddRow(f.Kernel, Report.Num(f.Gamma), Report.Num(f.Ridge), Report.Num(f.TrainMse), Report.Num(f.TestMse));
            console.Write(t2);

            report.Setting("seed", r.GetValue(seed));
            report.Setting("provider", Tangent.Numerics.LinearAlgebra.Provider.Name);
            report.Setting("command", "tangent demo " + string.Join(' ', Environment.GetCommandLineArgs().Skip(2)));
            string path = report.Save(r.GetValue(outDir)!.FullName);
            output.WriteLine($"report: {path} ({report.Files.Count(f => f.EndsWith(".png", StringComparison.Ordinal))} plots) in {clock.Elapsed.TotalSeconds:F1} s");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
