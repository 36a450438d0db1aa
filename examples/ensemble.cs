#:project ../src/Tangent/Tangent.csproj

// The infinite ensemble of networks trained by gradient descent: the mean and variance of its outputs
// at several training times, from initialisation (t = 0) to convergence (t = ∞) (docs/DYNAMICS.md,
// docs/MATH.md §4). Run from the repository root: dotnet run examples/ensemble.cs

using System.Globalization;
using Tangent.Dynamics;   // InfiniteEnsemble, DynamicsOptions, TestKernels, GeneralizationError
using Tangent.Layers;     // Architecture, KernelResult, NeuralKernel
using Tangent.Models;     // KernelRegression
using Tangent.Numerics;   // Matrix

// Inputs on the unit circle, x = (cos s, sin s); target y = sin(3s). 16 training angles, 64 test angles.
static Matrix Circle(double[] s) => Matrix.Build(s.Length, 2, (i, j) => j == 0 ? Math.Cos(s[i]) : Math.Sin(s[i]));
static Matrix Target(double[] s) => Matrix.Build(s.Length, 1, (i, _) => Math.Sin(3 * s[i]));
double[] sTrain = Enumerable.Range(0, 16).Select(i => 2 * Math.PI * (i + 0.5) / 16).ToArray();
double[] sTest = Enumerable.Range(0, 64).Select(i => 2 * Math.PI * i / 64).ToArray();
Matrix xTrain = Circle(sTrain), yTrain = Target(sTrain), xTest = Circle(sTest), yTest = Target(sTest);

var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)");
KernelResult train = arch.ComputeKernels(xTrain);            // Θ and K on the training inputs
KernelResult cross = arch.ComputeKernels(xTest, xTrain);     // Θ*ₓ and K*ₓ
var test = new TestKernels { NtkTestTrain = cross.Ntk, NngpTestTrain = cross.Nngp, NngpTestTestDiagonal = arch.NngpDiagonal(xTest) };

// Gradient descent at half the largest stable learning rate 2N/λmax(Θ); the time t counts steps.
double eta = 0.5 * LearningRateBound.Maximum(train.Ntk, yTrain.Rows * yTrain.Cols);
var ensemble = InfiniteEnsemble.Ntk(train.Ntk, train.Nngp, yTrain, new DynamicsOptions { LearningRate = eta });
double[] times = [0, 1, 3, 10, 30, 100, 1000, double.PositiveInfinity];
var trajectory = ensemble.PredictTrajectory(times, test, CovarianceMode.Diagonal);
Console.WriteLine($"{arch}: {xTrain.Rows} training points, learning rate η = {eta:G4} (half the stable bound)");
// The test loss is the expected ½(f − y)² per test point of a network drawn from the ensemble: the mean's error plus the spread.
Console.WriteLine("      time   test loss = bias + variance   mean |μ|   mean variance");
var errors = new List<GeneralizationError>();
foreach (var p in trajectory)
{
    var e = GeneralizationError.Evaluate(p, yTest);
    errors.Add(e);
    Console.WriteLine($"{(double.IsPositiveInfinity(p.Time) ? "∞" : p.Time.ToString(CultureInfo.InvariantCulture)),10} {e.TotalPerEntry,11:F5} = {e.BiasPerEntry:F5} + {e.VariancePerEntry:F5}   {p.Mean.Data.Average(Math.Abs),8:F4}   {p.Variance!.Average(),12:F5}");
}

// What the trajectory shows, checked:
// at t = 0 the ensemble is the prior: mean 0, variance the NNGP's K(x*, x*);
double priorGap = trajectory[0].Variance!.Zip(test.NngpTestTestDiagonal!, (a, b) => Math.Abs(a - b)).Max();
if (trajectory[0].Mean.Data.Any(m => m != 0) || priorGap > 1e-12) throw new InvalidOperationException("At t = 0 the ensemble should be the NNGP prior.");
// training lowers the expected test loss, from the prior's to the converged ensemble's;
if (!(errors[^1].TotalPerEntry < 0.2 * errors[0].TotalPerEntry)) throw new InvalidOperationException("Training should lower the expected test loss five-fold.");
// at t = ∞ the mean is kernel regression with the NTK, Θ*ₓΘ⁻¹Y (docs/MATH.md §4);
Matrix ntkRegression = new KernelRegression(new NeuralKernel(arch, KernelOutputs.Ntk)).Fit(xTrain, yTrain).Predict(xTest);
double gap = trajectory[^1].Mean.MaxAbsDifference(ntkRegression);
Console.WriteLine($"t = ∞: the ensemble mean equals NTK kernel regression to {gap:G2}");
if (gap > 1e-8) throw new InvalidOperationException($"At t = ∞ the ensemble mean should be NTK kernel regression; they differ by {gap}.");
// and at the training inputs every network fits its target: the variance there vanishes.
var atTrain = ensemble.Predict(double.PositiveInfinity, new TestKernels { NtkTestTrain = train.Ntk, NngpTestTrain = train.Nngp, NngpTestTestDiagonal = train.Nngp.Diagonal() });
double trainVariance = atTrain.Variance!.Max(Math.Abs), trainMiss = atTrain.Mean.MaxAbsDifference(yTrain);
Console.WriteLine($"t = ∞ at the training inputs: largest |variance| {trainVariance:G2}, largest |μ − y| {trainMiss:G2}");
if (trainVariance > 1e-8 || trainMiss > 1e-8) throw new InvalidOperationException("At t = ∞ the ensemble should fit every training target with zero variance.");
Console.WriteLine($"ok: the ensemble goes from the NNGP prior (test loss {errors[0].TotalPerEntry:F4}) to NTK regression (test loss {errors[^1].TotalPerEntry:F4}), with zero variance at the training points");
