using System.Globalization;
using System.Text.RegularExpressions;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary>`tangent classify` (docs/USER-GUIDE.md, "Classification"): tables and images, svm/krr/gp, the report, the saved model, the refusals.</summary>
public sealed partial class ClassifyCommandTests : IDisposable
{
    /// <summary>Debian's dataset-fashion-mnist (scripts/test.sh installs it).</summary>
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tangent-classify-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string Dataset(string name)
    {
        string csv = PathOf(name + ".csv");
        if (!File.Exists(csv)) Assert.Equal(0, CliRunner.Run("dataset", name, "--out", csv).Code);
        return csv;
    }

    [GeneratedRegex(@"accuracy ([0-9.]+) %")]
    private static partial Regex AccuracyLine();

    private static double Accuracy(string output)
    {
        var m = AccuracyLine().Match(output);
        Assert.True(m.Success, output);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 100;
    }

    /// <summary>The markdown rows of a confusion matrix as report.md writes them.</summary>
    private static IEnumerable<string> ConfusionRows(ClassificationReport r) =>
        Enumerable.Range(0, r.Classes.Count).Select(i => $"| {r.Classes[i]} | {string.Join(" | ", r.ConfusionMatrix[i])} |");

    [Fact]
    public void AnSvmSelectedOnATableReportsWhatTheLibraryComputes()
    {
        string csv = Dataset("wine"), report = PathOf("report"), pred = PathOf("pred.csv");
        var (code, output, err) = CliRunner.Run("classify", "--data", csv, "--target", "label", "--standardize", "--kernel", "gaussian", "--gamma", "0.05",
            "--select", "cv:3", "--grid", "c=0.1,1,10", "--test-fraction", "0.3", "--seed", "2", "--report", report, "--out", pred);
        Assert.True(code == 0, err);

        // The same task through the library.
        var table = LabeledTable.Load(csv, new LabeledTableOptions { Target = ["label"] }).Data;
        var (train, test) = LabeledTable.Split(table, 0.3, 2, stratify: true);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.05), Model = ClassifierKind.Svm, StandardizeFeatures = true };
        var selection = ModelSelection.Select(spec, HyperGrid.Parse("c=0.1,1,10"), SelectionMethod.CrossValidation(3), train, seed: 2);
        var model = TabularModel.Fit(selection.Best, train);
        var p = model.Predict(test.X);
        var labels = model.Labels!;
        var expected = Metrics.Classification(labels.Indices(test.RawLabels!), labels.Indices(p.Labels!), labels.Classes);

        Assert.Equal(expected.Accuracy, Accuracy(output), 4);
        Assert.Contains("confusion matrix", output);
        Assert.Contains("chosen hyperparameters", output);
        Assert.Equal(["label", .. p.Labels!], File.ReadAllLines(pred));
        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        foreach (var row in ConfusionRows(expected)) Assert.Contains(row, md);
        foreach (var c in expected.PerClass)
            Assert.Contains($"| {c.Class} | {c.Precision.ToString("F4", CultureInfo.InvariantCulture)} | {c.Recall.ToString("F4", CultureInfo.InvariantCulture)} |", md);
        Assert.Contains($"| C | {selection.Best.C.ToString(CultureInfo.InvariantCulture)} |", md);
        Assert.Contains("## Timings", md);
        var csvRows = File.ReadAllLines(Path.Combine(report, "selection.csv"));
        Assert.Equal("setting,accuracy,fold1,fold2,fold3,note,chosen", csvRows[0]);
        for (int i = 0; i < selection.Rows.Count; i++)
        {
            var cells = csvRows[i + 1].Split(',');
            Assert.Equal(selection.Rows[i].Label, cells[0]);
            Assert.Equal(selection.Rows[i].Score, double.Parse(cells[1], CultureInfo.InvariantCulture));
            Assert.Equal(i == selection.BestIndex ? "1" : "0", cells[^1]);
        }
        var png = File.ReadAllBytes(Path.Combine(report, "confusion.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public void KernelRegressionWithAGivenRidgePredictsAsTheLibrary()
    {
        string csv = Dataset("iris"), pred = PathOf("krr.csv");
        var (code, output, err) = CliRunner.Run("classify", "--data", csv, "--target", "label", "--model", "krr", "--kernel", "laplace", "--gamma", "0.5",
            "--ridge", "0.01", "--ridge-relative", "--seed", "1", "--out", pred);
        Assert.True(code == 0, err);
        var table = LabeledTable.Load(csv, new LabeledTableOptions { Target = ["label"] }).Data;
        var (train, test) = LabeledTable.Split(table, DataOptionsTestFraction, 1, stratify: true);
        var model = TabularModel.Fit(new ModelSpec { Kernel = ClassicalKernel.Laplace(0.5), Ridge = Ridge.Relative(0.01) }, train);
        var p = model.Predict(test.X);
        Assert.Equal(["label", .. p.Labels!], File.ReadAllLines(pred));
        Assert.Equal(Metrics.Accuracy(p.Labels!, test.RawLabels!), Accuracy(output), 4);
        Assert.Contains("krr (kernel regression of the one-hot code)", output);
        Assert.Contains("given (no --select)", output);
    }

    private const double DataOptionsTestFraction = 0.25;

    [Fact]
    public void TheGpChoosesItsNoiseByTheEvidenceWithTheNngp()
    {
        string csv = Dataset("iris"), report = PathOf("gp");
        const string arch = "dense(w=1.41,b=0.1) relu dense(w=1.41)";
        var (code, output, err) = CliRunner.Run("classify", "--data", csv, "--target", "label", "--model", "gp", "--standardize", "--arch", arch, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("log marginal likelihood", output);
        Assert.Contains("nngp of", output);
        var table = LabeledTable.Load(csv, new LabeledTableOptions { Target = ["label"] }).Data;
        var (train, _) = LabeledTable.Split(table, DataOptionsTestFraction, 0, stratify: true);
        var spec = new ModelSpec { Architecture = Architecture.Parse(arch), Get = KernelOutputs.Nngp, StandardizeFeatures = true };
        var selection = ModelSelection.Select(spec, HyperGrid.Parse(Tangent.Cli.FitCommand.DefaultGrid), SelectionMethod.Evidence, train);
        var chosen = File.ReadAllLines(Path.Combine(report, "selection.csv")).Skip(1).Single(l => l.EndsWith(",1", StringComparison.Ordinal));
        Assert.StartsWith(selection.BestRow.Label + ",", chosen);
        Assert.Contains("gp (GP posterior mean of the one-hot code)", output);
        Assert.Contains("noise λ", File.ReadAllText(Path.Combine(report, "report.md")));
    }

    [Fact]
    public void ASavedSvmPredictsTheSameThroughTangentPredict()
    {
        var all = File.ReadAllLines(Dataset("wine"));
        string trainCsv = PathOf("wine-train.csv"), testCsv = PathOf("wine-test.csv");
        File.WriteAllLines(trainCsv, all.Where((_, i) => i == 0 || i % 4 != 0));
        File.WriteAllLines(testCsv, all.Where((_, i) => i == 0 || i % 4 == 0));
        string model = PathOf("wine.tgm"), fitOut = PathOf("fit.csv"), predOut = PathOf("pred.csv");
        var (code, output, err) = CliRunner.Run("classify", "--data", trainCsv, "--test-data", testCsv, "--target", "label", "--standardize",
            "--arch", "dense(w=1.41,b=0.1) relu dense(w=1.41)", "--get", "ntk", "--C", "10", "--class-weight", "balanced", "--save", model, "--out", fitOut);
        Assert.True(code == 0, err);
        Assert.Contains("balanced", output);
        (code, var again, err) = CliRunner.Run("predict", "--model", model, "--data", testCsv, "--out", predOut);
        Assert.True(code == 0, err);
        Assert.Contains("SVM (C = 10", again);
        Assert.Equal(File.ReadAllLines(fitOut), File.ReadAllLines(predOut));
        Assert.Equal(Accuracy(output), Accuracy(again), 4);
    }

    [SkippableFact]
    public void FashionMnistRunsThePipelineWithAConvolutionalKernel()
    {
        Skip.IfNot(Directory.Exists(FashionMnist), $"{FashionMnist} is missing (Debian: apt-get install dataset-fashion-mnist); the Fashion-MNIST run is skipped.");
        string report = PathOf("fashion");
        var (code, output, err) = CliRunner.Run("classify", "--images", "fashion-mnist:" + FashionMnist, "--classes", "0,1", "--limit", "200", "--test-limit", "100",
            "--arch", "conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)", "--get", "ntk", "--select", "cv:3", "--grid", "c=0.1,1,10", "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("200 train / 100 test images of 28x28x1", output);
        Assert.Contains("T-shirt/top", output);
        Assert.Contains("Trouser", output);
        double accuracy = Accuracy(output);
        Assert.True(accuracy >= 0.9, $"T-shirt vs trouser with 200 training images: accuracy {accuracy}");
        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("| kernel | ntk of conv(size=3,w=1.41,b=0.1) relu flatten dense |", md);
        Assert.Contains("| T-shirt/top |", md);
    }

    /// <summary>A cifar-10-batches-bin folder: five training batches and a test batch of records (1 label byte + 3072 pixel bytes,
    /// channel-major). Classes 3 (cat) and 5 (dog) are mostly red and mostly blue images with noise; other classes are grey.</summary>
    private string SyntheticCifar(int perBatch, int test)
    {
        string dir = PathOf("cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        var rng = new Random(5);
        byte[] Batch(int records)
        {
            var bytes = new byte[records * Cifar10.RecordSize];
            for (int r = 0; r < records; r++)
            {
                int label = (r % 3) switch { 0 => 3, 1 => 5, _ => 0 };
                int o = r * Cifar10.RecordSize;
                bytes[o] = (byte)label;
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < 1024; p++)
                    {
                        int bright = label == 3 && c == 0 || label == 5 && c == 2 ? 160 : label == 0 ? 90 : 40;
                        bytes[o + 1 + c * 1024 + p] = (byte)Math.Clamp(bright + rng.Next(-60, 61), 0, 255);
                    }
            }
            return bytes;
        }
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), Batch(perBatch));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Batch(test));
        return dir;
    }

    [Fact]
    public void CifarByPathKeepsTheTwoClassesAndClassifiesThem()
    {
        string dir = SyntheticCifar(perBatch: 9, test: 12);   // 15 cats and 15 dogs to train on, 4 and 4 to test
        string report = PathOf("cifar");
        var (code, output, err) = CliRunner.Run("classify", "--images", "cifar10:" + dir, "--classes", "3,5", "--normalize",
            "--arch", "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)", "--model", "krr", "--label-shift", "-0.1", "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("30 train / 8 test images of 32x32x3, 2 classes", output);
        Assert.Contains("cat", output);
        Assert.Contains("dog", output);
        Assert.Equal(1.0, Accuracy(output));
        Assert.Contains("| cat | 4 | 0 |", File.ReadAllText(Path.Combine(report, "report.md")));

        // A model of images is not saved (the .tgm file has no image shape): refused before any work.
        (code, _, err) = CliRunner.Run("classify", "--images", "cifar10:" + dir, "--classes", "3,5", "--arch", "conv relu flatten dense", "--save", PathOf("c.tgm"));
        Assert.Equal(2, code);
        Assert.Contains("a model of images is not saved yet", CliRunner.AssertErrorForm(err));
        Assert.False(File.Exists(PathOf("c.tgm")));
    }

    [Fact]
    public void GlobalAveragePoolingRunsOnSmallImages()
    {
        // 8×8 one-channel images from .npy files: vertical stripes (class 0) and horizontal stripes (class 1), with noise.
        var rng = new Random(3);
        Matrix Images(int n, out Matrix labels)
        {
            var x = new Matrix(n, 64);
            labels = new Matrix(n, 1);
            for (int i = 0; i < n; i++)
            {
                int c = i % 2;
                labels[i, 0] = c;
                for (int h = 0; h < 8; h++)
                    for (int w = 0; w < 8; w++) x[i, h * 8 + w] = ((c == 0 ? w : h) % 2 == 0 ? 1 : -1) + 0.3 * (rng.NextDouble() - 0.5);
            }
            return x;
        }
        var train = Images(16, out var trainLabels);
        var test = Images(10, out var testLabels);
        string Npy4(string name, Matrix m)
        {
            string path = PathOf(name);
            Npy.Write(path, m, shape: [m.Rows, 8, 8, 1]);
            return path;
        }
        string Npy1(string name, Matrix m)
        {
            string path = PathOf(name);
            Npy.Write(path, m);
            return path;
        }
        string spec = $"npy:{Npy4("x.npy", train)},{Npy1("y.npy", trainLabels)},{Npy4("xt.npy", test)},{Npy1("yt.npy", testLabels)}";
        var (code, output, err) = CliRunner.Run("classify", "--images", spec, "--arch", "conv(size=3,w=1.41) relu global_avg_pool dense(w=1)", "--C", "10");
        Assert.True(code == 0, err);
        Assert.Contains("16 train / 10 test images of 8x8x1", output);
        Assert.Equal(1.0, Accuracy(output));

        // A grid of architectures over images: each takes the images' shape from --arch (it used to be refused).
        (code, output, err) = CliRunner.Run("classify", "--images", spec, "--arch", "conv(size=3,w=1.41) relu global_avg_pool dense(w=1)",
            "--select", "cv:2", "--grid", "arch=conv(size=3,w=1.41) relu global_avg_pool dense(w=1) | conv(size=3,w=1.41) relu flatten dense(w=1); c=1,10");
        Assert.True(code == 0, err);
        Assert.Contains("arch=2", output);
        Assert.Equal(1.0, Accuracy(output));
    }

    [Theory]
    [InlineData("--model|nn", "--model must be svm, krr or gp")]
    [InlineData("--model|sv", "did you mean --model svm")]
    [InlineData("--model|krr|--C|10", "--C applies to --model svm")]
    [InlineData("--model|gp|--class-weight|balanced", "--class-weight applies to --model svm")]
    [InlineData("--ridge|0.1", "an SVM has no ridge")]
    [InlineData("--select|evidence", "an SVM has no marginal likelihood")]
    [InlineData("--model|gp|--select|cv:3", "--model gp chooses its noise by the evidence")]
    [InlineData("--grid|c=1,10", "--grid needs --select")]
    [InlineData("--class-weight|equal", "--class-weight must be balanced or none")]
    [InlineData("--class-weight|balanced|--select|cv:3", "the selection scores unweighted SVMs")]
    [InlineData("--select|cv:3|--grid|relridge=0.1", "every point is an SVM")]
    [InlineData("--standardize-target", "--standardize-target applies to regression targets")]
    [InlineData("--task|regression", "classify predicts classes")]
    [InlineData("--limit|10", "--limit applies only to an image data set")]
    public void MisuseIsRefusedInOneLine(string extra, string expected)
    {
        string csv = Dataset("iris");
        var (code, _, err) = CliRunner.Run(["classify", "--data", csv, "--target", "label", "--kernel", "gaussian", "--report", PathOf("r"), .. extra.Split('|')]);
        Assert.Equal(2, code);
        CliRunner.AssertErrorForm(err);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(PathOf("r")));
    }

    [Fact]
    public void OtherBadInputsAreRefusedInOneLine()
    {
        // A numeric target with many values is a regression.
        var (code, _, err) = CliRunner.Run("classify", "--data", Dataset("diabetes"), "--target", "progression", "--kernel", "linear");
        Assert.Equal(2, code);
        Assert.Contains("a regression target; classify predicts classes", CliRunner.AssertErrorForm(err));
        // No data at all.
        (code, _, err) = CliRunner.Run("classify", "--kernel", "linear");
        Assert.Equal(2, code);
        Assert.Contains("no data", CliRunner.AssertErrorForm(err));
        // gp is the NNGP of a network, not its NTK.
        (code, _, err) = CliRunner.Run("classify", "--data", Dataset("iris"), "--target", "label", "--model", "gp", "--arch", "dense relu dense", "--get", "ntk");
        Assert.Equal(2, code);
        Assert.Contains("its NNGP", CliRunner.AssertErrorForm(err));
        // --report names a file.
        File.WriteAllText(PathOf("file"), "x");
        (code, _, err) = CliRunner.Run("classify", "--data", Dataset("iris"), "--target", "label", "--kernel", "linear", "--report", PathOf("file"));
        Assert.Equal(2, code);
        Assert.Contains("is a file", CliRunner.AssertErrorForm(err));
    }
}
