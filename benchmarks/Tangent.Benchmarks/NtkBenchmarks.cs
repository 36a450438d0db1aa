using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// NTK (and NNGP) of a depth-5 ReLU network, repeat(5){dense(w=1.4,b=0.1) relu} dense(w=1.4,b=0.1),
/// K(X, X) for X n×100 float64: the fused tiled recursion. Compare with benchmarks/ntk_numpy.py
/// (same recursion on full n×n numpy arrays), run on the same machine.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class NtkBenchmarks
{
    private Matrix _x = null!;
    private Architecture _arch = null!;

    /// <summary>Number of inputs.</summary>
    [Params(2000, 10000)]
    public int N { get; set; }

    /// <summary>Which matrices.</summary>
    [Params(KernelOutputs.Ntk, KernelOutputs.Both)]
    public KernelOutputs Get { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _x = new Matrix(N, 100);
        for (int k = 0; k < _x.Data.Length; k++)
            _x.Data[k] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        _arch = Architecture.Parse("repeat(5){dense(w=1.4,b=0.1) relu} dense(w=1.4,b=0.1)");
    }

    [Benchmark]
    public KernelResult DepthFiveRelu() => _arch.ComputeKernels(_x, null, Get);
}
