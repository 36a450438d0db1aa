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
        var cmd = new Command("demo", "Run the tour on embedded and synthetic data: networks of growing width against their NTK, lazy training (the NTK barely moves, unlike under the mean-field readout), random-features double descent, NTK vs Gaussian kernel vs a trained network on the wine data set, kernel and linear regression on diabetes, and lecture 3's 1-D kernel figures; writes a report folder with plots.");
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Report folder: new, empty, or one that Tangent wrote before (then replaced whole); any other folder is refused.", DefaultValueFactory = _ => new DirectoryInfo("tangent-demo") };
        var seed = CliOptions.Seed();
        var provider = CommonOptions.Provider();
        cmd.Options.Add(outDir);
        cmd.Options.Add(seed);
        cmd.Options.Add(provider);
        cmd.SetAction(r =>
        {
            Report.EnsureWritable(r.GetValue(outDir)!.FullName);   // refuse a user's folder before any work
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var clock = Stopwatch.StartNew();
            var report = new Report("Tangent demo");
            report.Paragraph("A tour of Tangent: finite networks become kernel machines as they grow wide (the NTK), random features show double descent toward " +
                             "the NNGP, and on a real classification task the NTK is held against a classical kernel and a trained network. Then classical kernel " +
                             "machines: kernel and linear regression on a real data set and a one-dimensional example. Everything runs on data embedded in Tangent or synthetic.");
            var console = Terminal.For(output);
            int sd = r.GetValue(seed);

            report.Heading("Wide networks and their NTK");
            var ws = new WidthSettings { TrainPoints = 20, Widths = [8, 64, 512, 4096], Steps = 400, Repeats = 3, Seed = sd + 1 };
            var token = TangentCli.Cancellation;
            var wr = CliProgress.Run("width", p => WidthExperiment.Run(ws, p, token));
            WidthExperiment.AddTo(report, wr, ws);
            var tw = new Table().Title(Markup.Escape("Networks vs the NTK prediction (unit circle, g(s) = s + sin 10s)"));
            tw.AddColumns("width", "train loss", "test MSE", "distance to NTK");
            foreach (var w in wr.Rows) tw.AddRow(w.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), Report.Num(w.TrainLoss), Report.Num(w.TestMse), Report.Num(w.DistanceToNtk));
            console.Write(tw);

            report.Heading("Lazy training: the NTK barely moves");
            var ls = new LazySettings { DenseWidths = [32, 128, 512], ConvWidths = [16, 64], Steps = 200, CirclePoints = 20, Images = 32, ProbePoints = 8, Seed = sd + 1 };
            var lr = CliProgress.Run("lazy", p => LazyExperiment.Run(ls, p, token));
            report.Paragraph($"The same dense network on the circle task ({string.Join(", ", ls.DenseWidths)} units) and a CNN on the 8×8 digits ({string.Join(", ", ls.ConvWidths)} channels), trained by gradient descent for {ls.Steps} steps. " +
                             "In the 'ntk' parameterization the empirical NTK on a fixed probe set moves less and less as the width grows (lazy training, no feature learning in the limit); " +
                             "with the mean-field readout (output × 1/√width, learning rate × width) it keeps moving. The full experiment is `tangent experiment lazy` (docs/EXPERIMENTS.md).");
            report.Image("lazy-kernel.png", LazyExperiment.KernelChart(lr), "relative NTK change against width");
            var tl = new Table().Title(Markup.Escape("Relative change of the empirical NTK after training, ‖Θ_T − Θ₀‖_F/‖Θ₀‖_F"));
            tl.AddColumns("network", "parameterization", "widths", "changes", "slope");
            foreach (var g in lr.Rows.GroupBy(x => (x.Task, x.Parameterization)))
                tl.AddRow(g.Key.Task, g.Key.Parameterization, string.Join(", ", g.Select(x => x.Width.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    string.Join(", ", g.Select(x => Report.Num(x.KernelChange))), LazyExperiment.SlopeOf(lr, g.Key.Task, g.Key.Parameterization).KernelSlope.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            console.Write(tl);

            report.Heading("Double descent of random features");
            var ds = new DoubleDescentSettings { TrainPoints = 30, TestPoints = 300, Seeds = 3, Seed = sd, Features = [3, 8, 15, 24, 28, 30, 32, 36, 45, 60, 90, 150, 300, 1000, 3000] };
            var dr = CliProgress.Run("double descent", _ => DoubleDescentExperiment.Run(ds, token));
            DoubleDescentExperiment.AddTo(report, dr, ds);
            output.WriteLine($"double descent: peak test MSE at k = {DoubleDescentExperiment.PeakFeatures(dr)} (n = {ds.TrainPoints}); k = {dr.Points[^1].Features}: {Report.Num(dr.Points[^1].TestMse)}, NNGP limit {Report.Num(dr.NngpTestMse)}");

            report.Heading("Classification: NTK vs Gaussian kernel vs a trained network");
            var cs = new ClassificationSettings { Seed = sd };
            var cr = CliProgress.Run("classification", _ => ClassificationExperiment.Run(cs, null, token));
            ClassificationExperiment.AddTo(report, cr, cs);
            var tc = new Table().Title(Markup.Escape($"{cr.Dataset}: {cr.Train} train / {cr.Test} test, {cr.Classes} classes"));
            tc.AddColumns("model", "train accuracy", "test accuracy", "seconds");
            foreach (var row in cr.Rows) tc.AddRow(Markup.Escape(row.Model), Report.Num(row.TrainAccuracy), Report.Num(row.TestAccuracy), Report.Num(row.Seconds));
            console.Write(tc);

            report.Heading("Regression on a real data set");
            var tab = TabularRegressionExperiment.Run(seed: r.GetValue(seed));
            TabularRegressionExperiment.AddTo(report, tab);
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
            report.Setting("command", CommonOptions.CommandLine(r));
            string path = report.Save(r.GetValue(outDir)!.FullName);
            output.WriteLine($"report: {path} ({report.Files.Count(f => f.EndsWith(".png", StringComparison.Ordinal))} plots) in {clock.Elapsed.TotalSeconds:F1} s");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
