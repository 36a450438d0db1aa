using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Svm;

/// <summary>Each check of the support-vector classifier's inputs and settings, with its one-line message.</summary>
public sealed class SupportVectorValidationTests
{
    private static readonly Matrix Kernel = SvmTestData.Gaussian(TestData.Random(6, 2, 1), null);
    private static readonly int[] Labels = [0, 1, 2, 0, 1, 2];

    private static string Message(Action fit)
    {
        var e = Assert.ThrowsAny<ArgumentException>(fit);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void KernelShapeAndLabelCountAreChecked()
    {
        var svc = new SupportVectorClassifier();
        Assert.Contains("is 6×5; it must be square", Message(() => svc.FitKernel(new Matrix(6, 5), Labels, 3)));
        Assert.Contains("is 6×6 but there are 5 labels; give one label per training row", Message(() => svc.FitKernel(Kernel, [0, 1, 2, 0, 1], 3)));
        Assert.Contains("have 6 rows but there are 5 labels", Message(() => svc.Fit(ClassicalKernel.Linear(), TestData.Random(6, 2, 1), [0, 1, 2, 0, 1], 3)));
    }

    [Fact]
    public void NonFiniteKernelEntryIsNamedOneBased()
    {
        var k = Kernel.Clone();
        k[1, 4] = double.NaN;
        Assert.Contains("Entry (2, 5) of the training kernel matrix is NaN", Message(() => new SupportVectorClassifier().FitKernel(k, Labels, 3)));
        k[1, 4] = k[4, 1];
        k[5, 0] = double.PositiveInfinity;
        Assert.Contains("Entry (6, 1) of the training kernel matrix is infinite", Message(() => new SupportVectorClassifier().FitKernel(k, Labels, 3)));
        var x = TestData.Random(6, 2, 1);
        x[3, 1] = double.NaN;
        Assert.Contains("row 4, column 2", Message(() => new SupportVectorClassifier().Fit(ClassicalKernel.Linear(), x, Labels, 3)));
    }

    [Fact]
    public void LabelsOutOfRangeAndSingleClassAreRefused()
    {
        var svc = new SupportVectorClassifier();
        Assert.Contains("Label 3 at row 4 is outside 0..2", Message(() => svc.FitKernel(Kernel, [0, 1, 2, 3, 1, 2], 3)));
        Assert.Contains("Label -1 at row 1", Message(() => svc.FitKernel(Kernel, [-1, 1, 2, 0, 1, 2], 3)));
        Assert.Contains("Every training row is of class 1; a classifier needs rows of at least two classes", Message(() => svc.FitKernel(Kernel, [1, 1, 1, 1, 1, 1], 3)));
        Assert.Contains("class count of at least 2", Message(() => svc.FitKernel(Kernel, [0, 0, 0, 0, 0, 0], 1)));
    }

    [Fact]
    public void SettingsOutOfRangeAreRefused()
    {
        Assert.Contains("C must be a finite number > 0", Message(() => new SupportVectorClassifier { C = 0 }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("C must be a finite number > 0", Message(() => new SupportVectorClassifier { C = double.NaN }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("tolerance must be a finite number > 0", Message(() => new SupportVectorClassifier { Tolerance = -1 }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("MaxIterations must be ≥ 0", Message(() => new SupportVectorClassifier { MaxIterations = -1 }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("cache size must be a finite number of megabytes > 0", Message(() => new SupportVectorClassifier { CacheMegabytes = 0 }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("3 class weights for 4 classes", Message(() => new SupportVectorClassifier { ClassWeights = [1, 1, 1] }.FitKernel(Kernel, Labels, 4)));
        Assert.Contains("weight of class 1 is 0", Message(() => new SupportVectorClassifier { ClassWeights = [1, 0, 1] }.FitKernel(Kernel, Labels, 3)));
        Assert.Contains("either ClassWeights or BalancedClassWeights", Message(() => new SupportVectorClassifier { ClassWeights = [1, 1, 1], BalancedClassWeights = true }.FitKernel(Kernel, Labels, 3)));
    }

    [Fact]
    public void PredictionInputsAreChecked()
    {
        var model = new SupportVectorClassifier().FitKernel(Kernel, Labels, 3);
        Assert.Contains("is 2×5; it needs 6 columns, one per training row", Message(() => model.PredictFromKernel(new Matrix(2, 5))));
        var kt = new Matrix(2, 6);
        kt[1, 2] = double.NaN;
        Assert.Contains("Entry (2, 3) of the test-train kernel matrix is NaN", Message(() => model.DecisionValuesFromKernel(kt)));
        var e = Assert.Throws<InvalidOperationException>(() => model.Predict(new Matrix(2, 2)));
        Assert.Contains("use DecisionValuesFromKernel", e.Message);
        var fitted = new SupportVectorClassifier().Fit(ClassicalKernel.Linear(), TestData.Random(6, 2, 1), Labels, 3);
        Assert.Contains("have 3 features but the model was fitted on 2", Message(() => fitted.Predict(new Matrix(2, 3))));
    }

    [Fact]
    public void CancelledFitStops()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new SupportVectorClassifier().FitKernel(Kernel, Labels, 3, cts.Token));
    }
}
