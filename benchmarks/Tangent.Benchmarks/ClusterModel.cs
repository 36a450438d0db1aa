using System.Globalization;
using ScottPlot;
using Tangent.Cluster;

namespace Tangent.Benchmarks;

/// <summary>
/// Issue 13's scaling model (docs/CLUSTER.md, "The scaling model"): from the per-chunk costs measured on one machine, the throughput of
/// a kernel store on a cluster against the number of machines (<see cref="ClusterScalingModel"/>), one curve per assumed network
/// speed, the limiting stage marked, as a PNG and a table. It is arithmetic only; nothing is run on a cluster.
/// Run: <c>dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- quick cluster-model TC TW [options]</c>, TC the core-seconds
/// of one chunk, TW the coordinator's seconds per chunk (receive, checksum, atomic write of chunk and mirror).
/// </summary>
internal static class ClusterModel
{
    private const string Usage =
        "quick cluster-model TC TW [--edge C=1024] [--features D=784] [--cores N=32] [--latency S=0.001] [--network GBITS,…=1,10,100] " +
        "[--disk MBPS=2000] [--n N=100000] [--n2 N2 (a rectangular store)] [--machines M=64] [--plot rate|wall] [--out cluster-model.png]";

    /// <summary>Parses the arguments after <c>quick cluster-model</c>, prints the table and writes the PNG; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        try
        {
            Write(Parse(args));
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")} Usage: {Usage}");
            return 2;
        }
    }

    private sealed record Settings(double Tc, double Tw, int Edge, int Features, int Cores, double Latency, double[] NetworkGbits,
        double DiskMBps, long N, long? N2, int Machines, bool PlotWall, string Out);

    private static Settings Parse(IReadOnlyList<string> args)
    {
        if (args.Count < 2 || args[0].StartsWith("--", StringComparison.Ordinal) || args[1].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException("Give TC (core-seconds per chunk) and TW (coordinator seconds per chunk) first.");
        var s = new Settings(Number(args[0], "TC"), Number(args[1], "TW"), 1024, 784, 32, 0.001, [1, 10, 100], 2000, 100_000, null, 64, false, "cluster-model.png");
        for (int i = 2; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count) throw new ArgumentException($"The option {name} has no value.");
            string v = args[++i];
            s = name switch
            {
                "--edge" => s with { Edge = (int)Whole(v, name, int.MaxValue) },
                "--features" => s with { Features = (int)Whole(v, name, int.MaxValue) },
                "--cores" => s with { Cores = (int)Whole(v, name, int.MaxValue) },
                "--latency" => s with { Latency = Number(v, name) },
                "--network" => s with { NetworkGbits = v.Split(',').Select(g => Number(g, name)).ToArray() },
                "--disk" => s with { DiskMBps = Number(v, name) },
                "--n" => s with { N = Whole(v, name, long.MaxValue) },
                "--n2" => s with { N2 = Whole(v, name, long.MaxValue) },
                "--machines" => s with { Machines = (int)Whole(v, name, int.MaxValue) },
                "--plot" => s with { PlotWall = v switch { "wall" => true, "rate" => false, _ => throw new ArgumentException($"--plot {v}: give rate (chunks/s) or wall (wall time for --n).") } },
                "--out" => s with { Out = v },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        if (s.Machines < 1) throw new ArgumentException($"--machines {s.Machines}: give 1 or more.");
        return s;
    }

    private static long Whole(string text, string what, long max) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= 1 && v <= max ? v
            : throw new FormatException($"{what} '{text}' is not a whole number from 1 to {max}.");

    private static double Number(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new FormatException($"{what} '{text}' is not a number (invariant culture, e.g. 12.5 or 1e-3).");

    private static void Write(Settings s)
    {
        long chunks = ClusterScalingModel.ChunkCount(s.N, s.N2, s.Edge);
        var models = s.NetworkGbits.Select(g => new ClusterScalingModel(s.Tc, s.Tw, s.Edge, s.Features, s.Cores,
            ClusterScalingModel.GigabitsPerSecond(g), s.DiskMBps * 1e6, s.Latency, symmetric: s.N2 is null)).ToArray();
        var ic = CultureInfo.InvariantCulture;
        var m0 = models[0];
        Console.WriteLine(string.Create(ic, $"cluster model: t_c {s.Tc:G4} core-s/chunk, t_w {s.Tw:G4} s/chunk, latency {s.Latency:G3} s, c = {s.Edge}, d = {s.Features}, {s.Cores} cores/machine, disk {s.DiskMBps:G4} MB/s"));
        Console.WriteLine(string.Create(ic, $"  per chunk: {m0.WireBytesPerChunk / 1e6:F2} MB on the wire, {m0.DiskBytesPerChunk / 1e6:F2} MB written{(s.N2 is null ? " (chunk + mirror)" : "")}"));
        Console.WriteLine(string.Create(ic, $"  chunks/s = min(M·{s.Cores}/(t_c + L), 1/t_w, network/wire bytes, disk/written bytes); store {s.N}×{s.N2 ?? s.N}: T = {chunks} chunks"));
        var rows = Rows(s.Machines);
        foreach (var (g, m) in s.NetworkGbits.Zip(models))
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(ic, $"network {g:G4} Gbit/s: stops scaling at M = {m.SaturationMachines()} (steady state), M = {m.SaturationMachines(chunks)} for T = {chunks}"));
            Console.WriteLine("      M   chunks/s    limit         speed-up   wall time (T)   wall limit");
            foreach (int machines in rows.Append(Math.Min(s.Machines, m.SaturationMachines())).Distinct().Order())
            {
                var t = m.Throughput(machines);
                var w = m.WallTime(machines, chunks);
                Console.WriteLine(string.Create(ic, $"  {machines,5}   {t.ChunksPerSecond,8:G4}    {t.Limit,-12}  {m.SpeedUp(machines),8:F2}   {Duration(w.Seconds),13}   {w.Limit}"));
            }
        }
        File.WriteAllBytes(s.Out, Plot(s, models, chunks));
        Console.WriteLine();
        Console.WriteLine($"plot: {Path.GetFullPath(s.Out)}");
    }

    /// <summary>1, 2, 4, … up to <paramref name="max"/>, and <paramref name="max"/>.</summary>
    private static List<int> Rows(int max)
    {
        var rows = new List<int>();
        for (long m = 1; m < max; m *= 2) rows.Add((int)m);
        rows.Add(max);
        return rows;
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:F1} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min"),
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:F1} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400:F1} d"),
    };

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    private static readonly (ClusterBottleneck Limit, MarkerShape Shape)[] Shapes =
    [
        (ClusterBottleneck.Compute, MarkerShape.FilledCircle),
        (ClusterBottleneck.Coordinator, MarkerShape.FilledSquare),
        (ClusterBottleneck.Network, MarkerShape.FilledTriangleUp),
        (ClusterBottleneck.Disk, MarkerShape.FilledDiamond),
    ];

    /// <summary>Log–log: machines (log2) against chunks/s or the wall time (log10), a line per network speed, markers by limiting stage.</summary>
    private static byte[] Plot(Settings s, ClusterScalingModel[] models, long chunks)
    {
        var plt = new Plot();
        var all = Enumerable.Range(1, s.Machines).ToArray();
        var marked = Rows(s.Machines);
        double Value(ClusterScalingModel m, int machines) => s.PlotWall ? m.WallSeconds(machines, chunks) : m.Throughput(machines).ChunksPerSecond;
        ClusterBottleneck Limit(ClusterScalingModel m, int machines) => s.PlotWall ? m.WallTime(machines, chunks).Limit : m.Throughput(machines).Limit;
        var points = Shapes.ToDictionary(p => p.Limit, _ => (X: new List<double>(), Y: new List<double>()));
        var saturation = (X: new List<double>(), Y: new List<double>());
        double lo = double.MaxValue, hi = double.MinValue;
        int curve = 0;
        foreach (var (g, m) in s.NetworkGbits.Zip(models))
        {
            var ys = all.Select(machines => Math.Log10(Value(m, machines))).ToArray();
            lo = Math.Min(lo, ys.Min());
            hi = Math.Max(hi, ys.Max());
            var line = plt.Add.ScatterLine(all.Select(machines => Math.Log2(machines)).ToArray(), ys);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{g:G4} Gbit/s");
            line.LineWidth = 3 - Math.Min(2, curve) * 0.75f;   // later curves thinner and dashed, so curves that coincide both show
            line.LinePattern = Patterns[curve % Patterns.Length];
            curve++;
            foreach (int machines in marked)
            {
                points[Limit(m, machines)].X.Add(Math.Log2(machines));
                points[Limit(m, machines)].Y.Add(Math.Log10(Value(m, machines)));
            }
            int stop = s.PlotWall ? m.SaturationMachines(chunks) : m.SaturationMachines();
            if (stop <= s.Machines)
            {
                saturation.X.Add(Math.Log2(stop));
                saturation.Y.Add(Math.Log10(Value(m, stop)));
            }
        }
        foreach (var (limit, shape) in Shapes)
        {
            if (points[limit].X.Count == 0) continue;
            var sc = plt.Add.ScatterPoints(points[limit].X.ToArray(), points[limit].Y.ToArray());
            sc.MarkerShape = shape;
            sc.MarkerSize = 9;
            sc.Color = Colors.Black;
            sc.LegendText = $"limited by {limit.ToString().ToLowerInvariant()}";
        }
        if (saturation.X.Count > 0)
        {
            var sc = plt.Add.ScatterPoints(saturation.X.ToArray(), saturation.Y.ToArray());
            sc.MarkerShape = MarkerShape.OpenCircle;
            sc.MarkerSize = 18;
            sc.Color = Colors.Red;
            sc.LegendText = "stops scaling";
        }
        var xTicks = marked.Select(machines => new Tick(Math.Log2(machines), machines.ToString(CultureInfo.InvariantCulture))).ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xTicks);
        var yTicks = new List<Tick>();
        for (int k = (int)Math.Floor(lo) - 1; k <= (int)Math.Ceiling(hi) + 1; k++)
        {
            foreach (int mantissa in new[] { 1, 2, 5 })
            {
                double v = mantissa * Math.Pow(10, k);
                yTicks.Add(new Tick(Math.Log10(v), v.ToString("0.######", CultureInfo.InvariantCulture)));
            }
        }
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(yTicks.ToArray());
        plt.Axes.SetLimitsY(lo - 0.15, hi + 0.15);
        string store = string.Create(CultureInfo.InvariantCulture, $"n = {s.N}{(s.N2 is { } n2 ? $"×{n2}" : "")}, T = {chunks} chunks");
        plt.Title(string.Create(CultureInfo.InvariantCulture,
            $"Cluster model: t_c {s.Tc:G3} core-s, t_w {s.Tw:G3} s, c = {s.Edge}, {s.Cores} cores/machine, disk {s.DiskMBps:G4} MB/s{(s.PlotWall ? $"\n{store}" : "")}"));
        plt.XLabel("machines (one silo each)");
        plt.YLabel(s.PlotWall ? "wall time (s)" : "chunks per second");
        plt.ShowLegend(s.PlotWall ? Alignment.LowerLeft : Alignment.UpperLeft);   // the corner the curves leave free
        return plt.GetImageBytes(Tangent.Experiments.Charts.Width, Tangent.Experiments.Charts.Height, ImageFormat.Png);
    }
}
