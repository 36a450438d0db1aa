using System.Diagnostics;
using System.Globalization;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Issue 16's convolutional-kernel figures in one run, Tangent beside its peer:
/// <list type="bullet">
/// <item><c>quick cntk-ratio flatten [n] [numpyN] [float32]</c>: the depth-3 flatten CNTK on n random 28×28×1 images
/// (MNIST size, diagonal layout), NNGP + NTK of K(X, X), CPU time per computed entry (the upper triangle,
/// n(n+1)/2 entries) per core; then <c>benchmarks/cntk_numpy.py</c> on numpyN images (one thread) and the ratio.</item>
/// <item><c>quick cntk-ratio gap [images] [float32]</c>: the 21-layer global-average-pooling CNTK on random 32×32×3 images
/// (full layout), after a warm-up on 2 images that compiles the paths, core-seconds per entry and how many cores were
/// busy (CPU time / wall time); the peer is
/// Neural Tangents' published CPU time (6.3 core-s per entry in float32, 14.5 in float64, issue 16).</item>
/// <item><c>quick cntk-ratio gap-pair [float32]</c>: one pair of that network, warm, on one thread and with its rows shared by two
/// (wall and CPU seconds per pair; the parallel efficiency of a row-shared pair).</item>
/// </list>
/// </summary>
public static class CntkRatio
{
    private const string ConvRelu = "conv(size=3,w=1.41,b=0.1) relu ";

    /// <summary>Runs the case named by <paramref name="args"/>[0]; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        string kind = args.Length > 0 ? args[0] : "flatten";
        bool single = args.Contains("float32");
        var numbers = args.Skip(1).Where(a => a is not ("float32" or "tile")).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        int? tile = int.TryParse(Environment.GetEnvironmentVariable("TANGENT_CNTK_TILE"), out int edge) ? edge : null;   // segment length override, for tuning
        var options = new ComputeOptions { Precision = single ? Precision.Float32 : Precision.Float64, TileSize = tile };
        Console.WriteLine($"{Environment.ProcessorCount} cores, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, " +
                          $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, {(single ? "float32" : "float64")}");
        if (kind == "flatten")
        {
            int n = numbers.Length > 0 ? numbers[0] : 400, nNumpy = numbers.Length > 1 ? numbers[1] : 100;
            var arch = Architecture.Parse(string.Concat(Enumerable.Repeat(ConvRelu, 3)) + "flatten dense(w=1)").WithInputShape(new ImageShape(28, 28, 1));
            var x = Images(n, 28 * 28, 0);
            arch.ComputeKernels(Images(8, 28 * 28, 1), null, KernelOutputs.Both, options);   // compile the paths first
            if (Environment.GetEnvironmentVariable("TANGENT_CNTK_WARM") is { } warm)
                for (int r = 0; r < int.Parse(warm, CultureInfo.InvariantCulture); r++) { arch.ComputeKernels(Images(40, 28 * 28, 1), null, KernelOutputs.Both, options); Thread.Sleep(200); }
            var (wall, cpu, result) = Time(() => arch.ComputeKernels(x, null, KernelOutputs.Both, options));
            double entries = n * (n + 1) / 2.0, perEntry = cpu / entries * 1e6;
            Console.WriteLine($"tangent flatten CNTK depth 3, {n} images 28×28×1: wall {wall:F2} s, CPU {cpu:F2} s, {perEntry:F2} µs per entry per core " +
                              $"({cpu / wall:F2} cores busy); NTK[0,1] = {result.Ntk![0, 1]:G10}");
            double? numpy = RunNumpy(nNumpy);
            if (numpy is double np)
                Console.WriteLine($"numpy (benchmarks/cntk_numpy.py, one thread, {nNumpy} images): {np:F1} µs per entry per core; numpy / tangent = {np / perEntry:F1}×");
            return 0;
        }
        if (kind == "gap")
        {
            int images = numbers.Length > 0 ? numbers[0] : 2;
            var arch = Architecture.Parse(string.Concat(Enumerable.Repeat(ConvRelu, 21)) + "global_avg_pool dense(w=1)").WithInputShape(new ImageShape(32, 32, 3));
            var x = Images(images, 32 * 32 * 3, 0);
            arch.ComputeKernels(Images(2, 32 * 32 * 3, 1), null, KernelOutputs.Both, options);   // compile the paths first (as flatten does)
            var (wall, cpu, result) = Time(() => arch.ComputeKernels(x, null, KernelOutputs.Both, options));
            double entries = images * (images + 1) / 2.0;
            Console.WriteLine($"tangent GAP CNTK 21 layers, {images} images 32×32×3 ({entries} entries): wall {wall:F2} s, CPU {cpu:F2} s, " +
                              $"{cpu / entries:F3} core-s per entry ({cpu / wall:F2} cores busy); NTK[0,1] = {(images > 1 ? result.Ntk![0, 1] : result.Ntk![0, 0]):G10}; " +
                              $"Neural Tangents CPU (issue 16): 6.3 core-s float32, 14.5 core-s float64 per entry → {6.3 / (cpu / entries):F0}× / {14.5 / (cpu / entries):F0}×");
            return 0;
        }
        if (kind == "pair")
        {
            // Development aid: one image pair through the pair engine, 2000 times on this thread; the fastest 200 in a row.
            var arch = Architecture.Parse(string.Concat(Enumerable.Repeat(ConvRelu, 3)) + "flatten dense(w=1)").WithInputShape(new ImageShape(28, 28, 1));
            var kernel = new ConvolutionalKernel(arch, new ImageShape(28, 28, 1));
            var x = Images(2, 28 * 28, 0);
            Console.WriteLine(single ? PairTime(kernel.CreatePairEngine<float>()!, kernel, x) : PairTime(kernel.CreatePairEngine<double>()!, kernel, x));
            return 0;
        }
        if (kind == "gap-pair")
        {
            // Development aid: one 32×32×3 pair of the 21-layer GAP network, warm, on one thread and with its rows shared.
            var arch = Architecture.Parse(string.Concat(Enumerable.Repeat(ConvRelu, 21)) + "global_avg_pool dense(w=1)").WithInputShape(new ImageShape(32, 32, 3));
            var kernel = new ConvolutionalKernel(arch, new ImageShape(32, 32, 3));
            Console.WriteLine(single ? GapPairTime(kernel.CreatePairEngine<float>()!, kernel) : GapPairTime(kernel.CreatePairEngine<double>()!, kernel));
            return 0;
        }
        if (kind == "min")
        {
            ConvolutionalKernel.UsePairEngine = !args.Contains("tile");
            // Development aid under load: K(X, X) of 16 images on one thread, 40 times; the fastest run per entry.
            var arch = Architecture.Parse(string.Concat(Enumerable.Repeat(ConvRelu, 3)) + "flatten dense(w=1)").WithInputShape(new ImageShape(28, 28, 1));
            var x = Images(16, 28 * 28, 0);
            var one = options with { MaxThreads = 1 };
            double best = double.MaxValue;
            for (int r = 0; r < 40; r++)
            {
                var sw = Stopwatch.StartNew();
                arch.ComputeKernels(x, null, KernelOutputs.Both, one);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"flatten depth 3, 16 images, one thread, fastest of 40: {best / (16 * 17 / 2) * 1e6:F2} µs per entry");
            return 0;
        }
        if (kind == "parts")
        {
            // The ReLU rule alone on segments of 64 pairs, in ns per pair (a development aid for the fused step).
            var relu = ABRelu.Relu();
            int len = 64, reps = 200_000;
            var rng = new Random(3);
            double[] k = new double[len], t = new double[len], c2 = new double[len], s2 = new double[len];
            double[] k0 = new double[len], ones = new double[len];
            for (int j = 0; j < len; j++) { c2[j] = 1 + rng.NextDouble(); s2[j] = Math.Sqrt(c2[j]); k0[j] = (2 * rng.NextDouble() - 1) * s2[j] * Math.Sqrt(1.3); ones[j] = 1; }
            double best = double.MaxValue;
            for (int round = 0; round < 5; round++)
            {
                var sw = Stopwatch.StartNew();
                for (int r = 0; r < reps; r++)
                {
                    k0.CopyTo(k, 0);
                    ones.CopyTo(t, 0);
                    relu.RowKernel(k, t, 1.3, Math.Sqrt(1.3), c2, s2);
                }
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"relu RowKernel: {best / reps / len * 1e9:F2} ns per pair (with the refill loop)");
            return 0;
        }
        Console.Error.WriteLine("usage: quick cntk-ratio flatten [n] [numpyN] [float32] | gap [images] [float32]");
        return 2;
    }

    private static string PairTime<T>(PairEngine<T> engine, ConvolutionalKernel kernel, Matrix x) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var e64 = kernel.CreatePairEngine<double>()!;
        var w64 = new PairEngine<double>.Work(e64.MaxPairs, x.Cols);
        var record = Enumerable.Range(0, 3).Select(_ => new double[28 * 28 * 2]).ToArray();
        for (int img = 0; img < 2; img++) e64.Self(w64, x.Row(img), record, img, 2, false, null);
        var images = engine.Convert(record, 2);
        var w = new PairEngine<T>.Work(engine.MaxPairs, x.Cols);
        double best = double.MaxValue, sink = 0;
        var warm = Stopwatch.StartNew();   // tiered compilation: let the methods without AggressiveOptimization reach tier 1
        while (warm.Elapsed.TotalSeconds < 2) sink += engine.Pair(w, x.Row(0), x.Row(1), images, 0, images, 1, true, null).Ntk;
        for (int round = 0; round < 10; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < 200; r++) sink += engine.Pair(w, x.Row(0), x.Row(1), images, 0, images, 1, true, null).Ntk;
            best = Math.Min(best, sw.Elapsed.TotalSeconds / 200);
        }
        var relu = ABRelu.Relu();
        var k = new T[784]; var t = new T[784]; var c = new T[784]; var s = new T[784]; var inv = new T[784];
        for (int p = 0; p < 784; p++) { c[p] = T.CreateTruncating(1.0 + p % 5); s[p] = T.CreateTruncating(Math.Sqrt(1.0 + p % 5)); inv[p] = T.One / s[p]; }
        double bestRelu = double.MaxValue;
        for (int round = 0; round < 10; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < 1000; r++)
            {
                for (int p = 0; p < 784; p++) { k[p] = T.CreateTruncating(0.3 * (p % 7)); t[p] = T.One; }
                relu.PairKernel<T>(k, t, c, s, inv, c, s, inv);
            }
            bestRelu = Math.Min(bestRelu, sw.Elapsed.TotalSeconds / 1000);
        }
        return $"one pair ({typeof(T).Name}, {(engine.Framed ? "framed" : "runs")}): {best * 1e6:F2} µs; relu on 784 pixels (with a refill loop): {bestRelu * 1e9 / 784:F2} ns per pixel ({sink:G3})";
    }

    private static string GapPairTime<T>(PairEngine<T> engine, ConvolutionalKernel kernel) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = Images(2, 32 * 32 * 3, 0);
        var e64 = kernel.CreatePairEngine<double>()!;
        var w64 = new PairEngine<double>.Work(e64.MaxPairs, x.Cols);
        var record = Enumerable.Range(0, 21).Select(_ => new double[1024 * 2]).ToArray();
        for (int img = 0; img < 2; img++) e64.Self(w64, x.Row(img), record, img, 2, false, null);
        var images = engine.Convert(record, 2);
        var w = new PairEngine<T>.Work(engine.MaxPairs, x.Cols);
        var lines = new List<string>();
        foreach (var threads in new[] { 1, 2, 1, 2 })
        {
            var po = threads == 1 ? null : new ParallelOptions { MaxDegreeOfParallelism = threads };
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < 3; r++) engine.Pair(w, x.Row(0), x.Row(1), images, 0, images, 1, true, po);
            process.Refresh();
            lines.Add($"{typeof(T).Name}, {threads} thread(s): {sw.Elapsed.TotalSeconds / 3:F3} s per pair, CPU {(process.TotalProcessorTime - cpu0).TotalSeconds / 3:F3} s");
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static Matrix Images(int n, int features, int seed)
    {
        var rng = new Random(seed);
        var x = new Matrix(n, features);
        for (int k = 0; k < x.Data.Length; k++)
            x.Data[k] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return x;
    }

    private static (double Wall, double Cpu, T Result) Time<T>(Func<T> work)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = work();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds, result);
    }

    /// <summary>benchmarks/cntk_numpy.py on one thread; its time per entry in µs, or null (said why) when it cannot run.</summary>
    private static double? RunNumpy(int n)
    {
        string? script = FindScript("cntk_numpy.py");
        if (script is null) { Console.WriteLine("numpy peer: benchmarks/cntk_numpy.py not found (run from the repository)"); return null; }
        var start = new ProcessStartInfo("/usr/bin/python3", [script, n.ToString(CultureInfo.InvariantCulture), "28", "3"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[v] = "1";
        try
        {
            using var p = Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var line = output.Split('\n').FirstOrDefault(l => l.Contains("ms per entry", StringComparison.Ordinal));
            if (p.ExitCode != 0 || line is null) { Console.WriteLine($"numpy peer failed: {p.StandardError.ReadToEnd().Trim()}"); return null; }
            var words = line.Split(' ');
            int at = Array.IndexOf(words, "ms");
            return double.Parse(words[at - 1], CultureInfo.InvariantCulture) * 1000;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"numpy peer: /usr/bin/python3 did not start ({e.Message})");
            return null;
        }
    }

    private static string? FindScript(string name)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "benchmarks", name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
