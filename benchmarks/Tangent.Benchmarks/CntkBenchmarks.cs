using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Convolutional NTK + NNGP, K(X, X) on random images: the depth-3 flatten CNTK on 28×28×1 (MNIST
/// size, diagonal layout) and the depth-2 global-average-pooling CNTK on 8×8×3 (full layout). Report
/// time per kernel entry per core (entries = n(n+1)/2 for the symmetric case). Compare with
/// benchmarks/cntk_numpy.py on the same machine.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class CntkBenchmarks
{
    private Matrix _x = null!;
    private Architecture _arch = null!;

    /// <summary>Which architecture: "flatten28" or "gap8".</summary>
    [Params("flatten28", "gap8")]
    public string Case { get; set; } = "flatten28";

    /// <summary>Number of images.</summary>
    [Params(400)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var shape = Case == "flatten28" ? new ImageShape(28, 28, 1) : new ImageShape(8, 8, 3);
        string spec = Case == "flatten28"
            ? "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)"
            : "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu global_avg_pool dense(w=1)";
        var rng = new Random(0);
        _x = new Matrix(N, shape.Features);
        for (int k = 0; k < _x.Data.Length; k++)
            _x.Data[k] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        _arch = Architecture.Parse(spec).WithInputShape(shape);
    }

    [Benchmark]
    public KernelResult Cntk() => _arch.ComputeKernels(_x, null, KernelOutputs.Both);
}
