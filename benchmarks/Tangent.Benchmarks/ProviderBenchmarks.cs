using BenchmarkDotNet.Attributes;
using Tangent.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>GEMM and Cholesky for each provider over a few sizes (BenchmarkDotNet [Params] over size and provider).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ProviderBenchmarks
{
    private double[] _a = [], _b = [], _c = [], _spd = [], _work = [];
    private ILinearAlgebraProvider _provider = ManagedProvider.Instance;

    [Params(512, 1024, 2048)]
    public int N { get; set; }

    [Params(ProviderKind.Managed, ProviderKind.Native)]
    public ProviderKind Provider { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _provider = Provider == ProviderKind.Native && NativeProvider.Instance is null
            ? throw new InvalidOperationException(NativeProvider.UnavailableReason)
            : LinearAlgebra.Resolve(Provider);
        _a = ProviderBenchmark.RandomMatrix(N, N, 1);
        _b = ProviderBenchmark.RandomMatrix(N, N, 2);
        _c = new double[N * N];
        _spd = ProviderBenchmark.DiagonallyDominantSpd(N, 3);
        _work = new double[N * N];
    }

    [Benchmark]
    public void Gemm() => _provider.Gemm(Op.None, Op.None, N, N, N, 1.0, _a, N, _b, N, 0.0, _c, N);

    [Benchmark]
    public int Cholesky()
    {
        _spd.AsSpan().CopyTo(_work);
        return _provider.Potrf(N, _work, N);
    }
}
