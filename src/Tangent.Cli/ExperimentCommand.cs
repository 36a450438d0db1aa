using System.CommandLine;
using System.Diagnostics;
using Tangent.Experiments;

namespace Tangent.Cli;

/// <summary>`tangent experiment NAME`: the course's experiments as report folders (Markdown, PNG, CSV, settings).</summary>
internal static class ExperimentCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("experiment", "Run one of the experiments and write its report folder (README.md with PNG plots, CSV numbers, settings.txt).");
        cmd.Subcommands.Add(Make(output, "width", "Networks of growing width trained by gradient descent against the NTK prediction (inputs on the unit circle, g(s) = s + sin(10s), s = θ/π); with an --arch holding conv layers, CNNs of growing channel count against the CNTK prediction on the embedded 8×8 digits.",
            (c, seed, add) =>
            {
                var widths = new Option<string?>("--widths") { Description = "Comma-separated hidden widths (conv channels for image architectures); default 8,32,128,512,2048,8192, or 8,32,128 for image architectures." };
                var steps = CliOptions.Int("--steps", "Gradient-descent steps, 1 to 10000000.", 400, 1, 10_000_000);
                var train = CliOptions.Int("--train", "Training points on the circle (default 30) or training images (default 48), 2 to 100000.", 30, 2, 100_000);
                var arch = new Option<string?>("--arch") { Description = "The architecture (docs/LAYERS.md); default the one-hidden-layer ReLU network \"dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)\". One with image layers, e.g. \"conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)\", runs on 8×8 digits." };
                c.Options.Add(widths); c.Options.Add(steps); c.Options.Add(train); c.Options.Add(arch);
                return (r, report) =>
                {
                    var s = new WidthSettings
                    {
                        Widths = r.GetValue(widths) is { } w ? ParseInts(w, "--widths") : null,
                        Steps = r.GetValue(steps),
                        TrainPoints = r.GetResult(train) is { Implicit: false } ? r.GetValue(train) : null,
                        Seed = r.GetValue(seed) + 1,
                    };
                    if (r.GetValue(arch) is { } a) s = s with { Architecture = ArchitectureOf(a) };
                    var res = CliProgress.Run("width", p => WidthExperiment.Run(s, p, TangentCli.Cancellation));
                    WidthExperiment.AddTo(report, res, s);
                    string unit = res.Images ? "channels" : "width";
                    foreach (var row in res.Rows) output.WriteLine($"{unit} {row.Width,6}: train loss {Report.Num(row.TrainLoss)}, test MSE {Report.Num(row.TestMse)}, distance to {(res.Images ? "CNTK" : "NTK")} {Report.Num(row.DistanceToNtk)}");
                };
            }));
        cmd.Subcommands.Add(Make(output, "double-descent", "Random-features regression (last layer trained) as the width k sweeps across n, against the NNGP limit.",
            (c, seed, add) =>
            {
                var train = CliOptions.Int("--train", "Training points n, 2 to 10000 (the widths go up to 75n).", 40, 2, 10_000);
                var seeds = CliOptions.Int("--seeds", "Seeds averaged over, 1 to 1000.", 5, 1, 1000);
                c.Options.Add(train); c.Options.Add(seeds);
                return (r, report) =>
                {
                    int n = r.GetValue(train);
                    // the widest random-features matrix, (n + test points) × 75n doubles, must fit before anything runs
                    CliOptions.RequireMemory(checked(8L * (n + new DoubleDescentSettings().TestPoints) * 75 * n), $"--train {n}",
                        "give a smaller --train (the feature matrices grow as 75n²).");
                    var s = new DoubleDescentSettings
                    {
                        TrainPoints = n, Seeds = r.GetValue(seeds), Seed = r.GetValue(seed),
                        Features = new[] { 0.05, 0.125, 0.25, 0.5, 0.75, 0.875, 0.95, 1, 1.05, 1.125, 1.25, 1.5, 2, 3, 5, 10, 25, 75 }.Select(f => Math.Max(1, (int)Math.Round(f * n))).Distinct().ToArray()
                    };
                    var res = DoubleDescentExperiment.Run(s, TangentCli.Cancellation);
                    DoubleDescentExperiment.AddTo(report, res, s);
                    foreach (var p in res.Points) output.WriteLine($"k = {p.Features,5}: test MSE {Report.Num(p.TestMse)}");
                    output.WriteLine($"NNGP limit: test MSE {Report.Num(res.NngpTestMse)}; peak at k = {DoubleDescentExperiment.PeakFeatures(res)} (n = {n})");
                };
            }));
        cmd.Subcommands.Add(Make(output, "kernels", "Lecture 3's figures: 1-D Gaussian and Laplace kernel regression over bandwidths, interpolation against ridge.",
            (c, seed, add) => (r, report) =>
            {
                var s = new KernelsSettings { Seed = r.GetValue(seed) + 1 };
                var res = KernelsExperiment.Run(s);
                KernelsExperiment.AddTo(report, res, s);
                foreach (var f in res.Fits) output.WriteLine($"{f.Kernel} γ = {Report.Num(f.Gamma)} λ = {Report.Num(f.Ridge)}: test MSE {Report.Num(f.TestMse)}");
            }));
        cmd.Subcommands.Add(Make(output, "polation", "Roberts & Yaida §10.3.2: mean ± std of trained infinite ensembles along the line through two training points (linear, ReLU, erf).",
            (c, seed, add) => (r, report) =>
            {
                var s = new PolationSettings();
                var res = PolationExperiment.Run(s);
                PolationExperiment.AddTo(report, res, s);
                int last = res.Alpha.Length - 1;
                foreach (var cv in res.Curves) output.WriteLine($"{cv.Name}: f(α = {Report.Num(res.Alpha[last])}) = {Report.Num(cv.Mean[last])} ± {Report.Num(cv.Std[last])}");
            }));
        cmd.Subcommands.Add(Make(output, "depth", "Criticality: bias and variance of the generalization error of infinite ensembles against depth, critical and off-critical, ReLU and erf.",
            (c, seed, add) => (r, report) =>
            {
                var s = new DepthSettings { Seed = r.GetValue(seed) + 2 };
                var res = DepthExperiment.Run(s, TangentCli.Cancellation);
                DepthExperiment.AddTo(report, res, s);
                foreach (var l in res.Lines)
                    output.WriteLine($"{l.Label}: total error per entry by depth {string.Join(", ", res.Depths.Select((d, i) => $"L={d}: {Report.Num(l.Bias[i] + l.Variance[i])}"))}");
            }));
        cmd.Subcommands.Add(Make(output, "linear", "Lecture 2: minimum-norm linear regression and gradient descent across under-, sufficiently and over-parameterized regimes (test error against d/n).",
            (c, seed, add) => (r, report) =>
            {
                var s = new LinearSettings { Seed = r.GetValue(seed) };
                var res = LinearExperiment.Run(s);
                LinearExperiment.AddTo(report, res, s);
                foreach (var p in res) output.WriteLine($"d/n = {Report.Num((double)p.Features / s.TrainPoints),5}: test MSE {Report.Num(p.TestMse)}");
            }));
        cmd.Subcommands.Add(Make(output, "statistics", "The statistical foundations against Monte Carlo: the covariance of least squares, ridge shrinkage and bias-variance with λ by leave-one-out, MAP = ridge / lasso, the lasso path, and maximum likelihood against the Cramér-Rao bound.",
            (c, seed, add) =>
            {
                var draws = CliOptions.Int("--draws", "Monte Carlo draws behind each variance and risk, 10 to 1000000.", 2000, 10, 1_000_000);
                c.Options.Add(draws);
                return (r, report) =>
                {
                    var s = new StatisticsSettings { Draws = r.GetValue(draws), Seed = r.GetValue(seed) };
                    var res = StatisticsExperiment.Run(s, TangentCli.Cancellation);
                    StatisticsExperiment.AddTo(report, res, s);
                    output.WriteLine($"least squares: ‖Σ_MC − σ²(XᵀX)⁻¹‖_F/‖σ²(XᵀX)⁻¹‖_F = {Report.Num(res.Ols.RelativeError)}");
                    output.WriteLine($"ridge: best λ {Report.Num(res.Ridge.BestLambda)}, leave-one-out median λ {Report.Num(res.Ridge.MedianChosen)}, risk {Report.Num(res.Ridge.RiskAtChosen)} (least squares {Report.Num(res.Ridge.OlsRisk)})");
                    output.WriteLine($"MAP: Gaussian vs ridge {Report.Num(res.Gaussian.Max(m => m.MaxDifference))}, Laplace vs lasso {Report.Num(res.Laplace.Max(m => m.MaxDifference))}");
                    output.WriteLine($"lasso path: non-zeros {string.Join(" ", res.Lasso.NonZero)}");
                    foreach (var m in res.Mle)
                        output.WriteLine($"n = {m.N,5}: Var/CR mean {Report.Num(m.MeanRatio)}, s² {Report.Num(m.UnbiasedVarianceRatio)}, logistic w {Report.Num(m.SlopeRatio)}; MSE/CR of σ² estimators 1/(n−1) {Report.Num(m.MseUnbiased)}, 1/n {Report.Num(m.MseMle)}, 1/(n+1) {Report.Num(m.MseShrunk)}");
                };
            }));
        cmd.Subcommands.Add(Make(output, "lazy", "Lazy training: the relative change of the weights and of the empirical NTK after gradient descent against width, dense and conv, in the 'ntk' parameterization (falls like 1/√width) and with the mean-field readout (does not).",
            (c, seed, add) =>
            {
                var dense = new Option<string?>("--widths") { Description = "Comma-separated dense hidden widths; default 32,128,512,2048." };
                var conv = new Option<string?>("--channels") { Description = "Comma-separated conv channel counts; default 16,32,64,128,256." };
                var steps = CliOptions.Int("--steps", "Gradient-descent steps, 1 to 1000000.", 300, 1, 1_000_000);
                c.Options.Add(dense); c.Options.Add(conv); c.Options.Add(steps);
                return (r, report) =>
                {
                    var s = new LazySettings { Steps = r.GetValue(steps), Seed = r.GetValue(seed) + 1 };
                    if (r.GetValue(dense) is { } d) s = s with { DenseWidths = ParseInts(d, "--widths") };
                    if (r.GetValue(conv) is { } ch) s = s with { ConvWidths = ParseInts(ch, "--channels") };
                    var res = CliProgress.Run("lazy", p => LazyExperiment.Run(s, p, TangentCli.Cancellation));
                    LazyExperiment.AddTo(report, res, s);
                    foreach (var row in res.Rows)
                        output.WriteLine($"{row.Task} {row.Parameterization,-10} width {row.Width,5}: ‖Δθ‖/‖θ₀‖ {Report.Num(row.WeightChange)}, ‖ΔΘ‖/‖Θ₀‖ {Report.Num(row.KernelChange)}, loss {Report.Num(row.InitialLoss)} → {Report.Num(row.FinalLoss)}");
                    foreach (var sl in res.Slopes)
                        output.WriteLine($"{sl.Task} {sl.Parameterization}: slopes against width: weights {sl.WeightSlope:0.00}, kernel {sl.KernelSlope:0.00}");
                };
            }));
        cmd.Subcommands.Add(Make(output, "bayes", "Bayesian inference equals last-layer training: ensembles whose readout alone is trained (from its prior draw) against the NNGP posterior, and ensembles trained in every layer against the NTK ensemble, over the ensemble size and the width.",
            (c, seed, add) =>
            {
                var widths = new Option<string?>("--widths") { Description = "Comma-separated hidden widths; default 64,256,1024." };
                var networks = new Option<string?>("--networks") { Description = "Comma-separated ensemble sizes M (each ≥ 2); default 32,128,512." };
                var steps = CliOptions.Int("--steps", "Gradient-descent steps of the networks trained in every layer, 1 to 1000000.", 1000, 1, 1_000_000);
                var train = CliOptions.Int("--train", "Training angles on the unit circle, 2 to 1000.", 6, 2, 1000);
                var noise = CliOptions.Number("--noise", "Observation-noise variance σ² > 0 of the GP posterior (and the readout's ridge); default 0.05.", 0.05, NumberRange.Positive);
                c.Options.Add(widths); c.Options.Add(networks); c.Options.Add(steps); c.Options.Add(train); c.Options.Add(noise);
                return (r, report) =>
                {
                    var s = new BayesSettings { Steps = r.GetValue(steps), TrainPoints = r.GetValue(train), Noise = r.GetValue(noise), Seed = r.GetValue(seed) + 1 };
                    if (r.GetValue(widths) is { } w) s = s with { Widths = ParseInts(w, "--widths") };
                    if (r.GetValue(networks) is { } m)
                    {
                        var sizes = ParseInts(m, "--networks");
                        if (sizes.Any(k => k < 2)) throw new CliError("--networks: an ensemble needs at least 2 networks for a covariance.", "give sizes ≥ 2, e.g. 32,128,512.");
                        s = s with { Networks = sizes };
                    }
                    var res = CliProgress.Run("bayes", p => BayesExperiment.Run(s, p, TangentCli.Cancellation));
                    BayesExperiment.AddTo(report, res, s);
                    foreach (var row in res.Rows)
                        output.WriteLine($"width {row.Width,5}, M {row.Networks,5}: covariance error (a) last layer vs NNGP posterior {Report.Num(row.ReadoutCovariance)}, (b) all layers vs NTK ensemble {Report.Num(row.AllCovarianceVsNtk)}, (b) vs NNGP posterior {Report.Num(row.AllCovarianceVsNngp)}");
                };
            }));
        cmd.Subcommands.Add(Make(output, "completion", "Matrix completion and image inpainting with neural kernels (Radhakrishnan et al. 2022) against soft-impute: RMSE on low-rank matrices and PSNR on images against the observed fraction.", CompleteCommand.Experiment(output)));
        cmd.Subcommands.Add(Make(output, "algorithms", "Roberts & Yaida §10.2.2: gradient descent, one Newton step, SGD with a decaying learning rate and momentum reach the same kernel-regression prediction at infinite width; for finite networks their spread shrinks with width.",
            (c, seed, add) =>
            {
                var widths = new Option<string?>("--widths") { Description = "Comma-separated hidden widths of the finite networks (at least 32: narrower kernels move too far for the learning rates); default 32,128,512,2048,8192." };
                var steps = CliOptions.Int("--steps", "Epochs of gradient descent, SGD and momentum for the finite networks, 1 to 10000000.", 3000, 1, 10_000_000);
                var repeats = CliOptions.Int("--repeats", "Networks per width, 1 to 1000.", 4, 1, 1000);
                c.Options.Add(widths); c.Options.Add(steps); c.Options.Add(repeats);
                return (r, report) =>
                {
                    var s = new AlgorithmsSettings { NetworkSteps = r.GetValue(steps), Repeats = r.GetValue(repeats), Seed = r.GetValue(seed) + 1 };
                    if (r.GetValue(widths) is { } w) s = s with { Widths = ParseInts(w, "--widths") };
                    var res = CliProgress.Run("algorithms", p => AlgorithmsExperiment.Run(s, p, TangentCli.Cancellation));
                    AlgorithmsExperiment.AddTo(report, res, s);
                    foreach (var run in res.Infinite) output.WriteLine($"infinite width, {run.Name}: max |f* − Θ*Θ⁻¹y| {Report.Num(run.Distance[^1])} after {run.Steps[^1]} steps");
                    foreach (var row in res.Rows) output.WriteLine($"width {row.Width,6}: spread between algorithms {Report.Num(row.Spread)} (× √width: {Report.Num(row.Spread * Math.Sqrt(row.Width))})");
                };
            }));
        cmd.Subcommands.Add(All(cmd, output));   // runs every other subcommand of cmd, whenever it was added
        return cmd;
    }

    /// <summary>
    /// `tangent experiment all`: every experiment registered on <paramref name="experiments"/> (each subcommand
    /// but this one, so one added later is picked up without editing here) with its default settings, each
    /// into DIR/NAME, then a summary of the times. A failing experiment does not stop the others; the run
    /// then ends with one error line naming the failures.
    /// </summary>
    internal static Command All(Command experiments, TextWriter output)
    {
        var c = new Command("all", "Run every experiment with its default settings, each into its own report folder OUT/NAME, and print a summary of the times.");
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder that receives one report folder per experiment (OUT/width, OUT/linear, …); each of those is new, empty, or a report Tangent wrote before.", DefaultValueFactory = _ => new DirectoryInfo("tangent-experiments") };
        var seed = CliOptions.Seed();
        var only = new Option<string?>("--only") { Description = "Comma-separated experiment names to run instead of all of them, e.g. kernels,linear." };
        c.Options.Add(outDir); c.Options.Add(seed); c.Options.Add(only);
        c.SetAction(r =>
        {
            var names = experiments.Subcommands.Where(s => s != c).Select(s => s.Name).ToList();
            if (r.GetValue(only) is { } list)
            {
                var chosen = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
                if (chosen.Count == 0) throw new CliError("--only is empty.", $"give comma-separated names from: {string.Join(", ", names)}.");
                foreach (string n in chosen)
                    if (!names.Contains(n, StringComparer.Ordinal))
                        throw new CliError($"--only: '{n}' is not an experiment; give comma-separated names from: {string.Join(", ", names)}.");
                names = names.Where(chosen.Contains).ToList();
            }
            string root = r.GetValue(outDir)!.FullName;
            foreach (string n in names) Report.EnsureWritable(Path.Combine(root, n));   // refuse a user's folder before any work
            var config = new InvocationConfiguration { Output = output, Error = TextWriter.Null, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            var times = new List<(string Name, double Seconds, string? Error)>();
            var total = Stopwatch.StartNew();
            for (int i = 0; i < names.Count; i++)
            {
                output.WriteLine($"[{i + 1}/{names.Count}] experiment {names[i]}");
                var clock = Stopwatch.StartNew();
                string? error = null;
                try
                {
                    var parse = r.RootCommandResult.Command.Parse(["experiment", names[i], "--out", Path.Combine(root, names[i]), "--seed", r.GetValue(seed).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    if (parse.Errors.Count > 0) throw ParseErrors.Describe(parse);
                    parse.Invoke(config);
                }
                catch (Exception e) when (e is not OperationCanceledException && !TangentCli.Cancellation.IsCancellationRequested)
                {
                    error = TangentCli.Message(e);
                    output.WriteLine($"experiment {names[i]} failed: {error}");
                }
                times.Add((names[i], clock.Elapsed.TotalSeconds, error));
            }
            output.WriteLine();
            output.WriteLine("experiment        seconds  result");
            foreach (var (name, seconds, error) in times)
                output.WriteLine($"{name,-16} {seconds,8:F1}  {(error is null ? Path.Combine(root, name, "README.md") : "failed: " + error)}");
            output.WriteLine($"{"total",-16} {total.Elapsed.TotalSeconds,8:F1}");
            var failed = times.Where(t => t.Error is not null).ToList();
            if (failed.Count > 0)
                throw new CliError($"{failed.Count} of {times.Count} experiments failed: {string.Join("; ", failed.Select(f => $"{f.Name} ({f.Error})"))}; the other reports are in {root}.");
            return TangentCli.Ok;
        });
        return c;
    }

    private static Command Make(TextWriter output, string name, string description,
        Func<Command, Option<int>, object?, Action<ParseResult, Report>> build)
    {
        var c = new Command(name, description);
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Report folder: new, empty, or one that Tangent wrote before (then replaced whole); any other folder is refused.", DefaultValueFactory = _ => new DirectoryInfo("tangent-" + name) };
        var seed = CliOptions.Seed();
        var provider = CommonOptions.Provider();
        c.Options.Add(outDir); c.Options.Add(seed); c.Options.Add(provider);
        var work = build(c, seed, null);
        c.SetAction(r =>
        {
            Report.EnsureWritable(r.GetValue(outDir)!.FullName);   // refuse a user's folder before any work
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var clock = Stopwatch.StartNew();
            var report = new Report($"Tangent experiment: {name}");
            work(r, report);
            report.Setting("seed", r.GetValue(seed));
            report.Setting("provider", Tangent.Numerics.LinearAlgebra.Provider.Name);
            report.Setting("command", CommonOptions.CommandLine(r));
            string path = report.Save(r.GetValue(outDir)!.FullName);
            output.WriteLine($"report: {path} in {clock.Elapsed.TotalSeconds:F1} s");
            return TangentCli.Ok;
        });
        return c;
    }

    /// <summary>The --arch text, parsed once here so that a typo fails before any work (as in `tangent predict`).</summary>
    private static string ArchitectureOf(string text)
    {
        Tangent.Layers.Architecture.Parse(text);
        return text;
    }

    private static int[] ParseInts(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
                throw new CliError($"{option}: '{parts[i]}' is not a positive integer; give whole numbers from 1 to 2147483647, comma-separated, e.g. 8,32,128.");
        if (values.Length == 0) throw new CliError($"{option} is empty.", "give a comma-separated list such as 8,32,128.");
        return values;
    }
}
