#:project ../src/Tangent/Tangent.csproj

// Finite networks against their infinite-width limit (docs/NETWORKS.md, docs/MATH.md §3-4):
// 1. the empirical NTK J·Jᵀ of a randomly initialised network approaches the analytic NTK as the width grows;
// 2. a wide network trained by gradient descent predicts what the infinite-width dynamics predict for a
//    network that starts from the same outputs. Run from the repository root: dotnet run examples/finite-network.cs

using Tangent.Dynamics;   // GradientDescentMse, InfiniteEnsemble, LearningRateBound, DynamicsOptions
using Tangent.Layers;     // Architecture, KernelResult
using Tangent.Networks;   // Network, Training
using Tangent.Numerics;   // Matrix

// Inputs on the unit circle, x = (cos s, sin s); target y = sin(2s). 8 training angles, 32 test angles.
static Matrix Circle(double[] s) => Matrix.Build(s.Length, 2, (i, j) => j == 0 ? Math.Cos(s[i]) : Math.Sin(s[i]));
static double Relative(Matrix a, Matrix b) => Subtract(a, b).FrobeniusNorm() / b.FrobeniusNorm();
static Matrix Subtract(Matrix a, Matrix b) => Matrix.Build(a.Rows, a.Cols, (i, j) => a[i, j] - b[i, j]);
double[] sTrain = Enumerable.Range(0, 8).Select(i => 2 * Math.PI * (i + 0.5) / 8).ToArray();
double[] sTest = Enumerable.Range(0, 32).Select(i => 2 * Math.PI * i / 32).ToArray();
Matrix xTrain = Circle(sTrain), xTest = Circle(sTest);
Matrix yTrain = Matrix.Build(sTrain.Length, 1, (i, _) => Math.Sin(2 * sTrain[i]));

var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5)");
KernelResult train = arch.ComputeKernels(xTrain);          // the analytic (infinite-width) Θ and K
KernelResult cross = arch.ComputeKernels(xTest, xTrain);
Console.WriteLine($"{arch}: analytic NTK Θ(x0, x1) = {train.Ntk[0, 1]:F5}, Θ(x0, x0) = {train.Ntk[0, 0]:F5}");

// 1. The empirical NTK at initialisation, mean relative distance over 4 seeds per width.
Console.WriteLine("   width   ‖Θ̂ − Θ‖/‖Θ‖ (mean of 4 networks)");
int[] widths = [16, 64, 256, 1024, 4096, 16384];
var distances = new double[widths.Length];
for (int w = 0; w < widths.Length; w++)
{
    distances[w] = Enumerable.Range(0, 4).Average(seed => Relative(Network.Create(arch, inputs: 2, widths[w], outputs: 1, seed).Ntk(xTrain), train.Ntk));
    Console.WriteLine($"{widths[w],8}   {distances[w]:F4}");
}
// The fluctuations shrink like 1/√width: 1024× the width, about 32× closer.
if (!(distances[^1] < distances[0] / 8)) throw new InvalidOperationException($"The empirical NTK should approach the analytic one as the width grows: {distances[0]:F4} at width {widths[0]}, {distances[^1]:F4} at width {widths[^1]}.");

// 2. Gradient descent on the MSE loss 1/(2N)·Σ(f − y)², 300 full-batch steps at 0.3× the stable rate 2N/λmax(Θ).
double eta = 0.3 * LearningRateBound.Maximum(train.Ntk, yTrain.Rows);
const int steps = 300;
var mean = InfiniteEnsemble.Ntk(train.Ntk, train.Nngp, yTrain, new DynamicsOptions { LearningRate = eta })
    .Predict(steps, new TestKernels { NtkTestTrain = cross.Ntk }, CovarianceMode.None).Mean;
Console.WriteLine($"gradient descent: {steps} steps at η = {eta:G4}");
Console.WriteLine("   width   training loss   ‖f − f_lin‖/‖f_lin‖ on the test inputs   ‖f − μ‖/‖μ‖ (the ensemble mean)");
int[] trainedWidths = [64, 1024, 16384];
var gaps = new double[trainedWidths.Length];
for (int w = 0; w < trainedWidths.Length; w++)
{
    var net = Network.Create(arch, inputs: 2, trainedWidths[w], outputs: 1, seed: 7);
    Matrix f0Train = net.Predict(xTrain), f0Test = net.Predict(xTest);
    var trace = Training.Train(net, xTrain, yTrain, new TrainingOptions { LearningRate = eta, Steps = steps });
    Matrix trained = net.Predict(xTest);
    // The infinite-width prediction for a network whose outputs at initialisation are f0:
    // f_t(X*) = f0(X*) + Θ*ₓΘ⁻¹(I − e^{−Θτ})(Y − f0(X)), τ = ηt/N (docs/DYNAMICS.md).
    Matrix linear = new GradientDescentMse(train.Ntk, yTrain, new DynamicsOptions { LearningRate = eta })
        .Predict(steps, f0Train, cross.Ntk, f0Test).TestOutputs!;
    gaps[w] = Relative(trained, linear);
    Console.WriteLine($"{trainedWidths[w],8}   {trace.FinalLoss,13:G3}   {gaps[w],38:F4}   {Relative(trained, mean),32:F4}");
}
if (!(gaps[^1] < 0.05 && gaps[^1] < gaps[0] / 4))
    throw new InvalidOperationException($"The widest trained network should follow the infinite-width prediction: relative gap {gaps[^1]:F4} at width {trainedWidths[^1]}, {gaps[0]:F4} at width {trainedWidths[0]}.");
Console.WriteLine($"ok: the empirical NTK approaches the analytic one ({distances[0]:F3} at width {widths[0]} → {distances[^1]:F3} at {widths[^1]}) and a trained width-{trainedWidths[^1]} network follows the infinite-width prediction within {100 * gaps[^1]:F1} %");
