#:project ../src/Tangent/Tangent.csproj

// The NNGP and NTK of a network written as a spec, next to a classical kernel, and kernel regression
// with each of them on synthetic data (docs/LAYERS.md, docs/MATH.md §1-2).
// Run from the repository root: dotnet run examples/kernels.cs

using Tangent.Dynamics;   // Ridge
using Tangent.Kernels;    // ClassicalKernel
using Tangent.Layers;     // Architecture, NeuralKernel, KernelOutputs
using Tangent.Models;     // KernelRegression, Metrics
using Tangent.Numerics;   // Matrix, LinearAlgebra

// A smooth target of 4 features plus a little noise: 200 training and 100 test rows, fixed seed.
const int d = 4;
var rng = new Random(0);
(Matrix X, Matrix Y) Sample(int n)
{
    var x = Matrix.Build(n, d, (_, _) => rng.NextDouble() * 2 - 1);
    var y = Matrix.Build(n, 1, (i, _) => Math.Sin(2 * x[i, 0]) + x[i, 1] * x[i, 2] - 0.5 * x[i, 3] * x[i, 3] + 0.05 * Gaussian());
    return (x, y);
}
double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
var (xTrain, yTrain) = Sample(200);
var (xTest, yTest) = Sample(100);

// 1. The infinite-width kernels of an architecture given as text (it prints back in canonical form, defaults left out).
var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense(w=1)");
Console.WriteLine($"architecture: {arch}");
KernelResult train = arch.ComputeKernels(xTrain);                 // K(X, X): 200×200, NNGP and NTK
KernelResult cross = arch.ComputeKernels(xTest, xTrain);          // K(X*, X): 100×200
Console.WriteLine($"NNGP K(X, X) {train.Nngp.Shape}, NTK {train.Ntk.Shape}; cross kernels {cross.Nngp.Shape}");
Console.WriteLine($"first training pair: NNGP {train.Nngp[0, 1]:F6}, NTK {train.Ntk[0, 1]:F6}; diagonal {train.Nngp[0, 0]:F6}, {train.Ntk[0, 0]:F6}");
double symmetry = train.Ntk.MaxAbsDifference(train.Ntk.Transpose());
double[] eigenvalues = LinearAlgebra.Eigen(train.Ntk).Values;
double smallest = eigenvalues.Min(), largest = eigenvalues.Max();
Console.WriteLine($"NTK: symmetric to {symmetry:G2}, eigenvalues in [{smallest:G3}, {largest:G4}]");
if (symmetry > 1e-12 || smallest < -1e-9 * largest) throw new InvalidOperationException("The NTK should be symmetric positive semi-definite.");

// 2. A classical kernel: Gaussian, γ = 1/d.
var gaussian = ClassicalKernel.Gaussian(1.0 / d);
Matrix kGauss = gaussian.Compute(xTrain);
Console.WriteLine($"{gaussian.Describe()}: K(x0, x1) = {kGauss[0, 1]:F6}, diagonal {kGauss[0, 0]}");

// 3. Kernel ridge regression with each kernel: α = (K + λI)⁻¹Y, prediction K(X*, X)·α.
double baseline = Metrics.MeanSquaredError(Matrix.Build(yTest.Rows, 1, (_, _) => yTrain.Data.Average()), yTest);
Console.WriteLine($"test MSE of predicting the training mean: {baseline:F4}");
var models = new (string Name, IKernel Kernel)[]
{
    ("NNGP", new NeuralKernel(arch, KernelOutputs.Nngp)),
    ("NTK", new NeuralKernel(arch, KernelOutputs.Ntk)),
    ("Gaussian", gaussian),
};
var scores = new List<string>();
foreach (var (name, kernel) in models)
{
    var model = new KernelRegression(kernel) { Ridge = Ridge.Relative(1e-3) }.Fit(xTrain, yTrain);
    Matrix predicted = model.Predict(xTest);
    double mse = Metrics.MeanSquaredError(predicted, yTest);
    double r2 = Metrics.RSquared(predicted, yTest);
    Console.WriteLine($"{name,-8} λ = {model.Ridge:G3}: test MSE {mse:F4}, R² {r2:F3}");
    if (r2 < 0.9) throw new InvalidOperationException($"{name} kernel regression should explain the smooth target (R² ≥ 0.9), got R² = {r2:F3}.");
    scores.Add($"{name} {mse:F4}");
}
Console.WriteLine($"ok: NNGP, NTK and Gaussian kernel regression fit the target (test MSE {string.Join(", ", scores)} vs {baseline:F4} for the mean)");
