#:project ../src/Tangent/Tangent.csproj
// Completes a 60×60 matrix of rank 3 with 40 % of its entries observed, by the NTK of a one-hidden-layer ReLU network
// (Radhakrishnan et al. 2022, docs/COMPLETION.md) and by soft-impute, and prints the RMSE on the missing entries.
// Run from the repository root: dotnet run examples/complete.cs
using System.Diagnostics;
using Tangent.Models;
using Tangent.Numerics;

var rng = new Random(7);
double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
int m = 60, n = 60, rank = 3;
var u = Matrix.Build(m, rank, (_, _) => Gauss());
var v = Matrix.Build(rank, n, (_, _) => Gauss() / Math.Sqrt(rank));
var truth = LinearAlgebra.Multiply(u, v);
var mask = Matrix.Build(m, n, (_, _) => rng.NextDouble() < 0.4 ? 1 : 0);
var data = new IncompleteMatrix(truth, mask);
Console.WriteLine($"{data.Shape} matrix of rank {rank}, {data.ObservedFraction:P0} observed");

var clock = Stopwatch.StartNew();
var ntk = NeuralMatrixCompletion.Default.Complete(data);
Console.WriteLine($"NTK (one pass):      RMSE {ntk.MissingRmse(truth):F4}  ({clock.ElapsedMilliseconds} ms)  {ntk.Method}");
clock.Restart();
var iterated = (NeuralMatrixCompletion.Default with { Iterations = 10 }).Complete(data);
Console.WriteLine($"NTK (10 passes):     RMSE {iterated.MissingRmse(truth):F4}  ({clock.ElapsedMilliseconds} ms)");
clock.Restart();
var soft = new SoftImpute { Seed = 1 }.Complete(data);
Console.WriteLine($"soft-impute:         RMSE {soft.MissingRmse(truth):F4}  ({clock.ElapsedMilliseconds} ms)  λ = {soft.Lambda:G3}, rank {soft.Rank}");

// The claims this example checks: iterating the NTK completion improves it, and both methods beat filling the
// missing entries with zeros (the matrix's mean is about 0), whose RMSE is the RMS of the missing entries.
double zeroFill = 0;
int missing = 0;
for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
        if (mask[i, j] == 0) { zeroFill += truth[i, j] * truth[i, j]; missing++; }
zeroFill = Math.Sqrt(zeroFill / missing);
Console.WriteLine($"zero fill:           RMSE {zeroFill:F4}");
if (!(iterated.MissingRmse(truth) < ntk.MissingRmse(truth) && ntk.MissingRmse(truth) < zeroFill && soft.MissingRmse(truth) < zeroFill))
{
    Console.Error.WriteLine("error: the completions did not improve on zero fill, or iterating did not help.");
    return 1;
}
Console.WriteLine("ok: NTK completion and soft-impute both recover the missing entries better than zero fill; iterating the NTK helps");
return 0;
