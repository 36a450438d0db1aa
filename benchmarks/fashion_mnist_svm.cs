#:project ../src/Tangent/Tangent.csproj
// Fashion-MNIST 10,000 / 10,000: the SVM on a stored depth-3 CNTK (docs/CLASSIFY.md, "Fashion-MNIST 10,000 / 10,000").
// Usage: dotnet run benchmarks/fashion_mnist_svm.cs -c Release -- FASHION_DIR K_TRAIN.zarr K_TRAIN_TEST.zarr
// where the two stores come from `tangent kernel --images fashion-mnist:FASHION_DIR --limit 10000 --test-limit 10000
// --split train|train-test …` (the commands are in the doc).
using System.Diagnostics;
using Tangent.Data;
using Tangent.Models;
string D = args[0].TrimEnd('/') + "/";
var train = Mnist.Read(D + "train-images-idx3-ubyte.gz", D + "train-labels-idx1-ubyte.gz", 10000);
var test = Mnist.Read(D + "t10k-images-idx3-ubyte.gz", D + "t10k-labels-idx1-ubyte.gz", 10000);
var sw = Stopwatch.StartNew();
var k = KernelStore.Open(args[1]).ReadAll();
var kt = KernelStore.Open(args[2]).ReadAll().Transpose();   // stored K(train, test); the SVM takes K(test, train)
Console.WriteLine($"read {k.Shape} and {kt.Shape} in {sw.Elapsed.TotalSeconds:F1} s");
// Selection of C on a split of the training set (the last 2000 training images validate), then the fit on all 10,000.
int[] fitRows = [.. Enumerable.Range(0, 8000)], valRows = [.. Enumerable.Range(8000, 2000)];
double[] cs = [0.1, 1, 10, 100, 1000];
var yFit = fitRows.Select(i => train.Labels[i]).ToArray();
sw.Restart();
var path = new SupportVectorClassifier().FitKernelPath(k.Select(fitRows, fitRows), yFit, 10, cs);
var kval = k.Select(valRows, fitRows);
double best = -1, bestC = 0;
foreach (var (m, c) in path.Zip(cs))
{
    var p = m.PredictFromKernel(kval);
    double acc = valRows.Select((r, i) => p[i] == train.Labels[r] ? 1.0 : 0).Average();
    Console.WriteLine($"C = {c}: validation accuracy {acc:P2}");
    if (acc > best) (best, bestC) = (acc, c);
}
Console.WriteLine($"selection {sw.Elapsed.TotalSeconds:F1} s; chosen C = {bestC}");
sw.Restart();
var model = new SupportVectorClassifier { C = bestC }.FitKernel(k, train.Labels, 10);
double fitSeconds = sw.Elapsed.TotalSeconds;
var pred = model.PredictFromKernel(kt);
double accuracy = pred.Select((p, i) => p == test.Labels[i] ? 1.0 : 0).Average();
Console.WriteLine($"SVM C = {bestC}: test accuracy {accuracy:P2} ({model.SupportIndices.Count} support vectors, fit {fitSeconds:F1} s)");
