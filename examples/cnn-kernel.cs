#:project ../src/Tangent/Tangent.csproj

// The convolutional NTK and NNGP (CNTK, Arora et al. 2019) of small convolutional networks on the embedded
// 8×8 digit images, against a fully connected network on the same pixels (docs/CONVOLUTION.md,
// docs/MATH.md §2). Run from the repository root: dotnet run examples/cnn-kernel.cs

using Tangent.Data;       // EmbeddedData
using Tangent.Dynamics;   // Ridge
using Tangent.Kernels;    // ClassicalKernel
using Tangent.Layers;     // Architecture, ImageShape, KernelResult
using Tangent.Models;     // KernelRegression, Metrics
using Tangent.Numerics;   // Matrix

// 200 training and 200 test images drawn at random (seed 0) from the 1797 digits; pixels 0..16 scaled to 0..1.
var digits = EmbeddedData.Digits();
var order = Enumerable.Range(0, digits.Count).ToArray();
new Random(0).Shuffle(order);
var trainSet = digits.Subset(order[..200]);
var testSet = digits.Subset(order[200..400]);
Matrix xTrain = Scale(trainSet.X), xTest = Scale(testSet.X);
Matrix yTrain = trainSet.OneHot();                 // regress the one-hot code, predict the largest score
static Matrix Scale(Matrix pixels) => Matrix.Build(pixels.Rows, pixels.Cols, (i, j) => pixels[i, j] / 16);
Console.WriteLine($"digits: {xTrain.Rows} training and {xTest.Rows} test images of 8×8×1, {digits.ClassCount} classes");

var shape = new ImageShape(8, 8, 1);
var networks = new (string Name, Architecture Arch)[]
{
    ("CNN, flatten", Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1.41)").WithInputShape(shape)),
    ("CNN, global avg pool", Architecture.Parse("conv(size=3,stride=2,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu global_avg_pool dense(w=1.41)").WithInputShape(shape)),
    ("fully connected", Architecture.Parse("dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1) relu dense(w=1.41)")),
};
var accuracy = new Dictionary<string, double>();
Console.WriteLine("network                  layout     kernel   test accuracy");
foreach (var (name, arch) in networks)
{
    // The layout is chosen from the architecture: the pixel diagonal of the covariance (flatten, no pooling), or every pixel pair.
    string layout = arch.HasImageLayers ? new ConvolutionalKernel(arch, shape).Layout.ToString() : "-";
    KernelResult train = arch.ComputeKernels(xTrain);           // 200×200 NNGP and NTK
    KernelResult cross = arch.ComputeKernels(xTest, xTrain);    // 200×200 test-train
    foreach (var (get, k, kx) in new[] { ("NNGP", train.Nngp, cross.Nngp), ("NTK", train.Ntk, cross.Ntk) })
    {
        // Kernel ridge regression from the precomputed matrices, λ = 10⁻³ of the mean diagonal.
        var model = new KernelRegression(ClassicalKernel.Linear()) { Ridge = Ridge.Relative(1e-3) }.FitKernel(xTrain, k, yTrain);
        double acc = Metrics.Accuracy(model.PredictFromKernel(kx), testSet.Labels);
        accuracy[$"{name} {get}"] = acc;
        Console.WriteLine($"{name,-24} {layout,-10} {get,-6}   {acc,13:P1}");
    }
}
Console.WriteLine("Diagonal: P numbers per image pair, O(P·filter) per convolution; Full (pooling): P² numbers, O(P²·filter) (docs/CONVOLUTION.md)");
double best = accuracy.Where(a => a.Key.StartsWith("CNN", StringComparison.Ordinal)).Max(a => a.Value);
if (best < 0.9) throw new InvalidOperationException($"A convolutional kernel should classify at least 90 % of the test digits, got {best:P1}.");
Console.WriteLine($"ok: CNTK kernel regression classifies {best:P1} of 200 test digits from 200 training images (fully connected NTK: {accuracy["fully connected NTK"]:P1})");
