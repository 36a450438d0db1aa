using System.IO.Compression;
using System.Text.Json.Nodes;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>
/// <see cref="TabularModel"/> with an SVM spec (<see cref="ClassifierKind.Svm"/>): the same classifier as <see cref="SupportVectorClassifier"/>
/// on the training kernel, predicting from the support vectors only, and its <c>.tgm</c> file (format version 2).
/// </summary>
public sealed class TabularModelSvmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-tgm-svm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static readonly ModelSpec Wine = new() { Kernel = ClassicalKernel.Gaussian(0.05), Model = ClassifierKind.Svm, C = 3, StandardizeFeatures = true };

    private static (LabeledData Train, LabeledData Test) WineSplit() => TabularModelTests.Split(TabularModelTests.Classification(EmbeddedData.Wine()));

    [Fact]
    public void AnSvmSpecFitsTheSupportVectorClassifierOnTheTrainingKernel()
    {
        var (train, test) = WineSplit();
        var model = TabularModel.Fit(Wine, train);
        Assert.NotNull(model.Svm);
        Assert.False(model.HasPredictiveVariance);
        Assert.Equal(train.Count, model.TrainCount);
        // The reference: the classifier on the full kernels of the standardized inputs.
        var (scaler, x) = new Standardizer().FitTransform(train.X);
        var xs = scaler.Transform(test.X);
        var kernel = ClassicalKernel.Gaussian(0.05);
        var labels = train.Labels!.Indices(train.RawLabels!);
        var reference = new SupportVectorClassifier { C = 3 }.FitKernel(kernel.Compute(x), labels, train.Labels.Count);
        Assert.Equal(reference.SupportIndices, model.Svm!.SupportIndices);
        Assert.Equal(model.Svm.SupportIndices.Count, model.TrainingInputs.Rows);
        var expected = reference.DecisionValuesFromKernel(kernel.Compute(xs, x));
        var p = model.Predict(test.X, test.FeatureNames);
        Assert.Equal(expected.Rows, p.Mean.Rows);
        for (int i = 0; i < expected.Data.Length; i++) Assert.Equal(expected.Data[i], p.Mean.Data[i], 10);
        Assert.Equal(reference.PredictFromKernel(kernel.Compute(xs, x)).Select(c => train.Labels.Classes[c]), p.Labels!);
        var e = model.Evaluate(test);
        Assert.Equal(Metrics.Accuracy(p.Labels!, test.RawLabels!), e.Classification!.Accuracy);
        Assert.True(e.Classification.Accuracy > 0.9, $"wine test accuracy {e.Classification.Accuracy}");
    }

    [Fact]
    public void BalancedClassWeightsAreUsedAndKept()
    {
        var (train, test) = WineSplit();
        var model = TabularModel.Fit(Wine, train, null, new SupportVectorClassifier { C = 1000, BalancedClassWeights = true });
        Assert.Equal(3, model.SvmSettings!.C);   // the spec's C wins
        Assert.True(model.SvmSettings.BalancedClassWeights);
        var (_, x) = new Standardizer().FitTransform(train.X);
        var reference = new SupportVectorClassifier { C = 3, BalancedClassWeights = true }
            .FitKernel(ClassicalKernel.Gaussian(0.05).Compute(x), train.Labels!.Indices(train.RawLabels!), 3);
        Assert.Equal(reference.DualCoefficients.Data, model.Svm!.DualCoefficients.Data);
        model.Save(PathOf("b.tgm"));
        var loaded = TabularModel.Load(PathOf("b.tgm"));
        Assert.True(loaded.SvmSettings!.BalancedClassWeights);
        Assert.Equal(model.Predict(test.X).Labels, loaded.Predict(test.X).Labels);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk)]
    [InlineData(KernelOutputs.Nngp)]
    public void ASavedSvmPredictsBitIdenticallyAndIsFormatVersionTwo(KernelOutputs get)
    {
        var (train, test) = TabularModelTests.Split(TabularModelTests.Classification(EmbeddedData.Iris()));
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.41,b=0.1) relu dense(w=1.41)"), Get = get, Model = ClassifierKind.Svm, C = 10, StandardizeFeatures = true };
        var model = TabularModel.Fit(spec, train);
        model.Save(PathOf("s.tgm"));
        var loaded = TabularModel.Load(PathOf("s.tgm"));
        var a = model.Predict(test.X);
        var b = loaded.Predict(test.X);
        Assert.Equal(a.Mean.Data, b.Mean.Data);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(model.Spec with { Architecture = null }, loaded.Spec with { Architecture = null });   // an Architecture compares by reference
        Assert.Equal(model.Spec.DescribeKernel(), loaded.Spec.DescribeKernel());
        Assert.Equal(model.TrainCount, loaded.TrainCount);
        Assert.Equal(model.Svm!.SupportIndices, loaded.Svm!.SupportIndices);
        Assert.Equal(model.Svm.Intercepts, loaded.Svm.Intercepts);
        Assert.Equal(model.Svm.Pairs, loaded.Svm.Pairs);
        Assert.Equal(model.Svm.DualCoefficients.Data, loaded.Svm.DualCoefficients.Data);
        using var zip = ZipFile.OpenRead(PathOf("s.tgm"));
        Assert.Equal(["alpha.npy", "dual_coef.npy", "model.json", "support.npy", "train_x.npy"], zip.Entries.Select(e => e.FullName).Order());
        var m = Manifest(zip);
        Assert.Equal(2, m["formatVersion"]!.GetValue<int>());
        Assert.Equal("svm", m["spec"]!["model"]!.GetValue<string>());
        Assert.Equal("ovo", m["svm"]!["strategy"]!.GetValue<string>());
    }

    [Fact]
    public void AKernelRegressionModelIsStillWrittenAsVersionOne()
    {
        var (train, _) = WineSplit();
        TabularModel.Fit(Wine with { Model = ClassifierKind.KernelRegression, Ridge = Ridge.Relative(1e-2) }, train).Save(PathOf("k.tgm"));
        using var zip = ZipFile.OpenRead(PathOf("k.tgm"));
        Assert.Equal(["alpha.npy", "model.json", "train_x.npy"], zip.Entries.Select(e => e.FullName).Order());
        var m = Manifest(zip);
        Assert.Equal(1, m["formatVersion"]!.GetValue<int>());
        Assert.Null(m["svm"]);
        Assert.Null(m["spec"]!["model"]);
        Assert.Equal(ClassifierKind.KernelRegression, TabularModel.Load(PathOf("k.tgm")).Spec.Model);
    }

    [Fact]
    public void AnEditedSvmManifestIsRefusedNamingTheFile()
    {
        var (train, _) = WineSplit();
        TabularModel.Fit(Wine, train).Save(PathOf("e.tgm"));
        using (var zip = ZipFile.Open(PathOf("e.tgm"), ZipArchiveMode.Update))
        {
            var m = Manifest(zip);
            m["svm"]!["intercepts"]!.AsArray().RemoveAt(0);
            zip.GetEntry("model.json")!.Delete();
            using var s = zip.CreateEntry("model.json").Open();
            s.Write(System.Text.Encoding.UTF8.GetBytes(m.ToJsonString()));
        }
        var e = Assert.Throws<InvalidDataException>(() => TabularModel.Load(PathOf("e.tgm")));
        Assert.Contains("e.tgm", e.Message, StringComparison.Ordinal);
        Assert.Contains("intercepts", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AnSvmOfNumericTargetsAndSvmSettingsForKernelRegressionAreRefused()
    {
        var x = TestData.Random(20, 2, 1);
        var regression = TabularModelTests.Regression(x, Matrix.Build(20, 1, (i, _) => x[i, 0]));
        var e = Assert.Throws<ArgumentException>(() => TabularModel.Fit(Wine with { StandardizeFeatures = false }, regression));
        Assert.Contains("numeric", e.Message, StringComparison.Ordinal);
        var (train, _) = WineSplit();
        var s = Assert.Throws<ArgumentException>(() => TabularModel.Fit(Wine with { Model = ClassifierKind.KernelRegression }, train, null, new SupportVectorClassifier()));
        Assert.Contains("Model = Svm", s.Message, StringComparison.Ordinal);
    }

    private static JsonObject Manifest(ZipArchive zip)
    {
        using var s = zip.GetEntry("model.json")!.Open();
        return JsonNode.Parse(s)!.AsObject();
    }
}
