using BenchmarkDotNet.Running;
using Tangent.Diagnostics;
using Tangent.Numerics;

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
