using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Finite-width networks (issue 5 targets): a one-hidden-layer ReLU network of width 4096 on n = 1000
/// points in d = 10, 1000 full-batch gradient-descent steps (target: under 20 s), and its empirical NTK
/// on the 1000 points (target: under 5 s). One iteration per case:
/// <c>dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- --filter *Network*</c>.
/// TANGENT_NETWORK_STEPS overrides the step count for a quick check.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
[MemoryDiagnoser]
public class NetworkBenchmarks
{
    private Network? _net;
    private Matrix? _x, _y;

    /// <summary>Hidden width.</summary>
    [Params(4096)]
    public int Width { get; set; }

    /// <summary>Training points.</summary>
    [Params(1000)]
    public int Points { get; set; }

    /// <summary>The training inputs (after <see cref="Setup"/>).</summary>
    internal Matrix X => _x!;

    /// <summary>The training targets (after <see cref="Setup"/>).</summary>
    internal Matrix Y => _y!;

    /// <summary>The untrained network (after <see cref="Setup"/>).</summary>
    internal Network Net => _net!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = Matrix.Build(Points, 10, (_, _) => rng.NextDouble() * 2 - 1);
        _y = Matrix.Build(Points, 1, (i, _) => Math.Sin(3 * _x[i, 0]) + _x[i, 1]);
        _net = Network.Create(Architecture.Parse("dense(w=1.4142,b=0.1) relu dense(w=1.4142,b=0.1)"), 10, Width, 1, seed: 1);
    }

    [Benchmark(Description = "1-hidden-layer ReLU: full-batch GD")]
    public double GradientDescent()
    {
        int steps = int.TryParse(Environment.GetEnvironmentVariable("TANGENT_NETWORK_STEPS"), out int s) ? s : 1000;
        var net = _net!.Clone();
        return Training.Train(net, _x!, _y!, new TrainingOptions { LearningRate = 1.0, Steps = steps }).FinalLoss;
    }

    [Benchmark(Description = "1-hidden-layer ReLU: empirical NTK n×n")]
    public double EmpiricalNtk() => _net!.Ntk(_x!)[0, 0];
}
