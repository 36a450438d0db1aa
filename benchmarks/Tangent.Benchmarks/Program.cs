using BenchmarkDotNet.Running;
using Tangent.Diagnostics;
using Tangent.Numerics;

if (args.Length > 1 && args[0] == "quick" && args[1] == "network")
{
    // quick network [steps] [provider]: NetworkBenchmarks' workload (width 4096, 1000 points, d = 10) timed once.
    int steps = args.Length > 2 ? int.Parse(args[2]) : 1000;
    if (args.Length > 3) LinearAlgebra.Use(LinearAlgebra.ParseKind(args[3]));
    var nb = new Tangent.Benchmarks.NetworkBenchmarks { Width = 4096, Points = 1000 };
    nb.Setup();
    Environment.SetEnvironmentVariable("TANGENT_NETWORK_STEPS", steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
    var sw = System.Diagnostics.Stopwatch.StartNew();
    double loss = nb.GradientDescent();
    double gd = sw.Elapsed.TotalSeconds;
    sw.Restart();
    nb.EmpiricalNtk();
    Console.WriteLine($"{LinearAlgebra.Provider.Name} width-4096 ReLU network, 1000 points: {steps} GD steps {gd:F1} s (final loss {loss:G4}); empirical NTK 1000×1000 {sw.Elapsed.TotalSeconds:F2} s");
    return;
}

if (args.Length > 1 && args[0] == "quick" && args[1] == "cntk-ratio")
{
    // quick cntk-ratio flatten|gap …: issue 16's convolutional kernels beside their peers (CntkRatio.cs).
    Environment.ExitCode = Tangent.Benchmarks.CntkRatio.Run(args[2..]);
    return;
}

if (args.Length > 2 && args[0] == "quick" && args[1] == "gemm-ratio")
{
    // quick gemm-ratio <n> [repeats]: managed and native (OpenBLAS) dgemm alternating on the same n×n matrices, GFLOP/s and the ratio.
    Tangent.Benchmarks.GemmRatio.Run(int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 5);
    return;
}

if (args.Length > 3 && args[0] == "quick" && args[1] == "gemm-shapes")
{
    // quick gemm-shapes <n> <m>: the ensemble's m×n·n×n products and its per-time half product (GemmShapes.cs).
    Tangent.Benchmarks.GemmShapes.Run(int.Parse(args[2]), int.Parse(args[3]));
    return;
}

if (args.Length > 2 && args[0] == "quick" && args[1] == "eigen-ratio")
{
    Environment.ExitCode = Tangent.Benchmarks.EigenRatio.Run(int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 2);
    return;
}

if (args.Length > 1 && args[0] == "quick" && args[1] == "network-ratio")
{
    // quick network-ratio [steps]: the network workload in Tangent and PyTorch (benchmarks/network_torch.py) in one run, and the ratio.
    Tangent.Benchmarks.NetworkRatio.Run(args[2..]);
    return;
}

if (args.Length > 1 && args[0] == "quick" && args[1] == "cluster-model")
{
    // quick cluster-model TC TW [options]: issue 13's throughput model against the number of machines (table + PNG; arithmetic only).
    Environment.ExitCode = Tangent.Benchmarks.ClusterModel.Run(args[2..]);
    return;
}

if (args.Length > 3 && args[0] == "quick" && args[1] == "nystrom")
{
    // quick nystrom <n> <m> [exact]: Falkon-style regression on n synthetic points (d = 20), m centres.
    Tangent.Benchmarks.NystromScale.Run(int.Parse(args[2]), int.Parse(args[3]), args.Length > 4 && args[4] == "exact");
    return;
}

if (args.Length > 3 && args[0] == "quick" && args[1] == "svm")
{
    // quick svm <dir> <C> [C ...]: SupportVectorClassifier.FitKernel on <dir>/K.npy and y.npy (benchmarks/svm_sklearn.py make),
    // timed per C (best of 3, the fit alone), then test accuracy on Kt.npy and agreement with <dir>/sklearn_pred_C{C}.npy,
    // and sklearn_time / tangent_time from <dir>/sklearn_C{C}.txt when svm_sklearn.py time wrote them (benchmarks/svm_vs_sklearn.sh);
    // wall-clock (the target: libsvm is one thread, the one-vs-one machines here run on every core) and process CPU time (steadier on a busy machine).
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    string dir = args[2];
    var k = Tangent.Data.Npy.ReadMatrix(Path.Combine(dir, "K.npy"));
    int[] y = [.. Tangent.Data.Npy.ReadMatrix(Path.Combine(dir, "y.npy")).Data.Select(v => (int)v)];
    var kt = Tangent.Data.Npy.ReadMatrix(Path.Combine(dir, "Kt.npy"));
    int[] yt = [.. Tangent.Data.Npy.ReadMatrix(Path.Combine(dir, "yt.npy")).Data.Select(v => (int)v)];
    int classes = y.Max() + 1;
    // Warm-up on the first 300 rows, so that the timed fits run compiled code as libsvm does.
    int[] head = [.. Enumerable.Range(0, Math.Min(300, y.Length))];
    new Tangent.Models.SupportVectorClassifier().FitKernel(k.SelectRows(head).SelectColumns(head), y[..head.Length], classes);
    foreach (string cText in args[3..])
    {
        double c = double.Parse(cText, inv);
        var svc = new Tangent.Models.SupportVectorClassifier { C = c };
        Tangent.Models.SupportVectorModel? model = null;
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            model = svc.FitKernel(k, y, classes);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            bestCpu = Math.Min(bestCpu, (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        }
        var predicted = model!.PredictFromKernel(kt);
        double accuracy = predicted.Zip(yt).Count(p => p.First == p.Second) / (double)yt.Length;
        string tag = c.ToString("G", inv);
        string line = $"tangent C={tag}: fit {best:F3} s (CPU {bestCpu:F3} s, {Environment.ProcessorCount} cores), {model.SupportIndices.Count} support vectors, {model.Iterations.Sum()} SMO steps, test accuracy {accuracy:F4}";
        var skPred = Path.Combine(dir, $"sklearn_pred_C{tag}.npy");
        var skTime = Path.Combine(dir, $"sklearn_C{tag}.txt");
        if (File.Exists(skPred))
        {
            var theirs = Tangent.Data.Npy.ReadMatrix(skPred).Data;
            line += $", same prediction as sklearn on {predicted.Where((p, i) => p == (int)theirs[i]).Count() / (double)predicted.Length:P2} of the test points";
        }
        if (File.Exists(skTime))
        {
            var sk = File.ReadAllText(skTime).Split(' ');
            double skWall = double.Parse(sk[0], inv), skCpu = double.Parse(sk[1], inv);
            line += $"; sklearn_time / tangent_time = {skWall / best:F2} (CPU time: {skCpu / bestCpu:F2})";
        }
        Console.WriteLine(line);
    }
    return;
}

if (args.Length > 1 && args[0] == "quick" && args[1] is "gaussian" or "dynamics")
{
    // quick gaussian <n> <d> [provider]: the Gaussian kernel matrix K(X, X) and, for the elementwise part,
    //   the same with the linear kernel (the GEMM alone); the difference is the fused exp pass.
    // quick dynamics <n> <m> [provider]: NTK and NNGP ensemble trajectories (20 times), mean + diagonal covariance.
    int a = int.Parse(args[2]), b = int.Parse(args[3]);
    var prov = args.Length > 4 ? LinearAlgebra.Resolve(LinearAlgebra.ParseKind(args[4])) : LinearAlgebra.Provider;
    LinearAlgebra.Use(prov is NativeProvider ? ProviderKind.Native : ProviderKind.Managed);
    if (args[1] == "gaussian")
    {
        var rng = new Random(0);
        var x = Matrix.Build(a, b, (_, _) => rng.NextDouble() * 2 - 1);
        double Best(Tangent.Kernels.ClassicalKernel k)
        {
            double best = double.MaxValue;
            for (int rep = 0; rep < 3; rep++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var m = k.Compute(x);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
                GC.KeepAlive(m);
            }
            return best;
        }
        long before = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        var first = System.Diagnostics.Stopwatch.StartNew();
        var once = Tangent.Kernels.ClassicalKernel.Gaussian(1.0 / b).Compute(x);
        double firstCall = first.Elapsed.TotalSeconds;
        long peak = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        once = null;
        GC.Collect();
        double gauss = Math.Min(firstCall, Best(Tangent.Kernels.ClassicalKernel.Gaussian(1.0 / b)));
        // The elementwise pass alone, on a precomputed Gram matrix (what numpy's exp(-γ(s_i + s_j − 2G)) does).
        var kernel = Tangent.Kernels.ClassicalKernel.Gaussian(1.0 / b);
        var gram = LinearAlgebra.Multiply(x, x, Op.None, Op.Transpose);
        var sq = Tangent.Kernels.ClassicalKernel.RowSquaredNorms(x);
        double elem = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var g = gram.Clone();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            kernel.TransformBlock(g, new Tangent.Engine.Tile(0, a, 0, a), x, x, sq, sq);
            elem = Math.Min(elem, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"{prov.Name} gaussian kernel n={a} d={b}: {gauss:F2} s, first call {firstCall:F2} s with peak working set {peak / 1e9:F2} GB (inputs and runtime before it: {before / 1e9:F2} GB; output {8.0 * a * a / 1e9:F2} GB); " +
                          $"elementwise pass alone {elem:F3} s = {(double)a * a / elem / 1e6:F0} M entries/s");
    }
    else
    {
        var w = Tangent.Benchmarks.DynamicsWorkload.Create(a, b, prov);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        w.NtkTrajectory(out _);
        double ntk = sw.Elapsed.TotalSeconds;
        sw.Restart();
        w.NngpTrajectory(out _);
        Console.WriteLine($"{prov.Name} dynamics n={a} m={b}, 20 times, mean + diagonal covariance: NTK ensemble {ntk:F1} s, NNGP ensemble {sw.Elapsed.TotalSeconds:F1} s");
    }
    return;
}

if (args.Length > 3 && args[0] == "quick" && args[1] is "dynamics-stages" or "dynamics-ratio")
{
    // quick dynamics-stages <n> <m> [provider]: where the NTK-ensemble trajectory's time goes.
    // quick dynamics-ratio <n> <m> [provider]: the same trajectory in numpy/scipy (benchmarks/ensemble_numpy.py) and in Tangent, and the ratio.
    var dynProvider = args.Length > 4 ? LinearAlgebra.Resolve(LinearAlgebra.ParseKind(args[4])) : LinearAlgebra.Provider;
    if (args[1] == "dynamics-stages") Tangent.Benchmarks.DynamicsStages.Run(int.Parse(args[2]), int.Parse(args[3]), dynProvider);
    else Tangent.Benchmarks.DynamicsRatio.Run(int.Parse(args[2]), int.Parse(args[3]), dynProvider);
    return;
}

if (args.Length > 0 && args[0] == "quick")
{
    // Quick GFLOP/s without BenchmarkDotNet: quick <op gemm|chol|syevd> <n> [blockSize] [trsmLeaf] [provider]
    string op = args[1];
    int n = int.Parse(args[2]);
    if (args.Length > 3) ManagedCholesky.BlockSize = int.Parse(args[3]);
    if (args.Length > 4) ManagedCholesky.TrsmLeaf = int.Parse(args[4]);
    var p = args.Length > 5 ? LinearAlgebra.Resolve(LinearAlgebra.ParseKind(args[5])) : ManagedProvider.Instance;
    if (op == "syevd")
    {
        var m = new Matrix(n, n, ProviderBenchmark.DiagonallyDominantSpd(n, 5));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = SymmetricEigen.Compute(m, p);
        Console.WriteLine($"{p.Name} syevd n={n}: {sw.Elapsed.TotalSeconds:F2} s (λmax {e.Values[^1]:G6})");
        return;
    }
    var proc = System.Diagnostics.Process.GetCurrentProcess();
    var cpu0 = proc.TotalProcessorTime;
    var r = op == "gemm" ? ProviderBenchmark.Gemm(p, n, 2) : ProviderBenchmark.Cholesky(p, n, 2);
    Console.WriteLine($"{r.Provider} {r.Operation} n={n} nb={ManagedCholesky.BlockSize} leaf={ManagedCholesky.TrsmLeaf}: {r.BestSeconds:F3} s, {r.Gflops:F1} GFLOP/s; CPU {(proc.TotalProcessorTime - cpu0).TotalSeconds:F2} s for 3 runs → {3 * r.Flops / 1e9 / (proc.TotalProcessorTime - cpu0).TotalSeconds:F1} GFLOP per CPU-s");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
