#:project ../src/Tangent/Tangent.csproj

// A support-vector classifier on the NTK of an infinitely wide ReLU network, next to one on a Gaussian kernel and to
// NTK kernel regression of the one-hot labels, on the embedded 8×8 digits (docs/SVM.md, docs/MATH.md §1-2).
// Run from the repository root: dotnet run examples/svm.cs

using Tangent.Data;       // EmbeddedData
using Tangent.Dynamics;   // Ridge
using Tangent.Kernels;    // ClassicalKernel
using Tangent.Layers;     // Architecture, NeuralKernel, KernelOutputs
using Tangent.Models;     // SupportVectorClassifier, KernelRegression
using Tangent.Numerics;   // Matrix

// 1000 training and 797 test images drawn at random (seed 0) from the 1797 digits; pixels 0..16 scaled to 0..1.
var digits = EmbeddedData.Digits();
var order = Enumerable.Range(0, digits.Count).ToArray();
new Random(0).Shuffle(order);
var trainSet = digits.Subset(order[..1000]);
var testSet = digits.Subset(order[1000..]);
Matrix xTrain = Scale(trainSet.X), xTest = Scale(testSet.X);
static Matrix Scale(Matrix pixels) => Matrix.Build(pixels.Rows, pixels.Cols, (i, j) => pixels[i, j] / 16);
int k = digits.ClassCount;
Console.WriteLine($"digits: {xTrain.Rows} training and {xTest.Rows} test images, {xTrain.Cols} pixels, {k} classes");
double Accuracy(int[] predicted) => predicted.Zip(testSet.Labels).Count(p => p.First == p.Second) / (double)predicted.Length;

// 1. The NTK-SVM: kernel rows computed on demand into the solver's cache; 45 one-vs-one machines in parallel.
var ntk = new NeuralKernel(Architecture.Parse("dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1) relu dense(w=1.41)"), KernelOutputs.Ntk);
var clock = System.Diagnostics.Stopwatch.StartNew();
var svm = new SupportVectorClassifier { C = 10 }.Fit(ntk, xTrain, trainSet.Labels, k);
double ntkSvm = Accuracy(svm.Predict(xTest));   // K(x, support vectors) only
Console.WriteLine($"NTK-SVM (C = 10):      test accuracy {ntkSvm:P1}, {svm.SupportIndices.Count} support vectors, "
    + $"{svm.Iterations.Sum()} SMO steps in {svm.Iterations.Count} machines, {clock.Elapsed.TotalSeconds:F1} s");

// 2. The same on a precomputed kernel: K(X, X) and K(X*, X) once, then any C without recomputing them.
var kTrain = ntk.Compute(xTrain);
var kTest = ntk.Compute(xTest, xTrain);
foreach (double c in new[] { 0.1, 1, 100 })
{
    var m = new SupportVectorClassifier { C = c }.FitKernel(kTrain, trainSet.Labels, k);
    Console.WriteLine($"{$"NTK-SVM (C = {c}):",-23}test accuracy {Accuracy(m.PredictFromKernel(kTest)):P1}, {m.SupportIndices.Count} support vectors");
}
var precomputed = new SupportVectorClassifier { C = 10 }.FitKernel(kTrain, trainSet.Labels, k);
double gap = precomputed.DecisionValuesFromKernel(kTest).MaxAbsDifference(svm.DecisionValues(xTest));

// 3. A Gaussian-kernel SVM (sklearn's SVC(gamma='scale') bandwidth: 1/(d·var x)) and NTK kernel regression of the one-hot labels.
double mean = xTrain.Data.Average(), variance = xTrain.Data.Average(v => (v - mean) * (v - mean));
var gaussian = ClassicalKernel.Gaussian(1 / (xTrain.Cols * variance));
double rbfSvm = Accuracy(new SupportVectorClassifier { C = 10 }.Fit(gaussian, xTrain, trainSet.Labels, k).Predict(xTest));
var regression = new KernelRegression(ntk) { Ridge = Ridge.Relative(1e-3) }.Fit(xTrain, trainSet.OneHot()).Predict(xTest);
double ntkRegression = Accuracy([.. Enumerable.Range(0, regression.Rows).Select(i => Enumerable.Range(0, k).MaxBy(j => regression[i, j]))]);
Console.WriteLine($"Gaussian SVM (C = 10): test accuracy {rbfSvm:P1}");
Console.WriteLine($"NTK kernel regression: test accuracy {ntkRegression:P1} (one-hot targets, relative ridge 1e-3)");

// The claims: the NTK-SVM learns the digits, and the on-demand and precomputed paths give the same machine.
if (ntkSvm < 0.95) throw new InvalidOperationException($"NTK-SVM test accuracy {ntkSvm:P1} is below 95 %");
if (gap > 1e-6) throw new InvalidOperationException($"the on-demand and precomputed fits differ by {gap:G3} in decision value");
Console.WriteLine($"ok: NTK-SVM {ntkSvm:P1} on the digits (Gaussian SVM {rbfSvm:P1}, NTK regression {ntkRegression:P1}); on-demand and precomputed kernels agree to {gap:G2}");
