using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>The fitted model with its preprocessing: agreement with the existing regressors, classification, the GP variance.</summary>
public sealed class TabularModelTests
{
    private const string Arch = "dense(w=1.5,b=0.1) relu dense(w=1.5)";

    internal static LabeledData Regression(Matrix x, Matrix y) =>
        new(x, y, Enumerable.Range(1, x.Cols).Select(j => $"x{j}").ToArray(), Enumerable.Range(1, y.Cols).Select(j => $"y{j}").ToArray(), TaskKind.Regression);

    internal static LabeledData Classification(ClassificationData data)
    {
        var raw = data.Labels.Select(l => data.ClassNames[l]).ToArray();
        var code = LabelEncoder.Fit(raw);
        return new LabeledData(data.X, code.OneHot(raw), Enumerable.Range(1, data.X.Cols).Select(j => $"f{j}").ToArray(), ["class"],
            TaskKind.Classification, code, raw);
    }

    internal static (LabeledData Train, LabeledData Test) Split(LabeledData d, double fraction = 0.3, int seed = 0)
    {
        var (train, test) = Preprocessing.SplitIndices(d.Count, fraction, seed);
        return (d.Subset(train), d.Subset(test));
    }

    [Fact]
    public void ClassicalKernelModelEqualsKernelRegressionOnStandardizedData()
    {
        var x = TestData.Random(40, 3, 1, scale: 5);
        var y = Matrix.Build(40, 2, (i, j) => 10 + 3 * Math.Sin(x[i, 0]) + j * x[i, 1]);
        var xs = TestData.Random(7, 3, 2, scale: 5);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.2), Ridge = Ridge.Absolute(0.1), StandardizeFeatures = true, StandardizeTarget = true };
        var model = TabularModel.Fit(spec, Regression(x, y));

        var (fx, xz) = new Standardizer().FitTransform(x);
        var (fy, yz) = new Standardizer().FitTransform(y);
        var reference = new KernelRegression(ClassicalKernel.Gaussian(0.2)) { Ridge = Ridge.Absolute(0.1) }.Fit(xz, yz);
        var expected = fy.InverseTransform(reference.Predict(fx.Transform(xs)));
        var p = model.Predict(xs);
        Assert.True(p.Mean.MaxAbsDifference(expected) < 1e-12, $"difference {p.Mean.MaxAbsDifference(expected)}");
        Assert.Null(p.Labels);
        Assert.Equal(0.1, model.RidgeValue);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk, double.PositiveInfinity)]
    [InlineData(KernelOutputs.Ntk, 20.0)]
    [InlineData(KernelOutputs.Nngp, double.PositiveInfinity)]
    [InlineData(KernelOutputs.Nngp, 20.0)]
    public void ArchitectureModelEqualsNeuralKernelRegressor(KernelOutputs get, double time)
    {
        var x = TestData.Random(30, 4, 3);
        var y = TestData.Random(30, 1, 4);
        var xs = TestData.Random(6, 4, 5);
        var spec = new ModelSpec { Architecture = Architecture.Parse(Arch), Get = get, Time = time, Ridge = Ridge.Relative(1e-3), StandardizeFeatures = true };
        var p = TabularModel.Fit(spec, Regression(x, y)).Predict(xs).Mean;

        var (fx, xz) = new Standardizer().FitTransform(x);
        var expected = new NeuralKernelRegressor(Architecture.Parse(Arch)) { Kernel = get, Time = time, Ridge = Ridge.Relative(1e-3) }.Fit(xz, y).Predict(fx.Transform(xs));
        Assert.True(TestData.RelativeError(p, expected) < 1e-10, $"relative error {TestData.RelativeError(p, expected)}");
    }

    [Theory]
    [InlineData("iris", 0.9)]
    [InlineData("wine", 0.93)]
    [InlineData("breast_cancer", 0.93)]
    [InlineData("digits", 0.95)]
    public void ClassificationOnEmbeddedSetsIsAccurate(string name, double minimum)
    {
        var data = name switch
        {
            "iris" => EmbeddedData.Iris(),
            "wine" => EmbeddedData.Wine(),
            "breast_cancer" => EmbeddedData.BreastCancer(),
            _ => EmbeddedData.Digits(),
        };
        var (train, test) = Split(Classification(data));
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1.0 / data.X.Cols), Ridge = Ridge.Relative(1e-3), StandardizeFeatures = true };
        var model = TabularModel.Fit(spec, train);
        var p = model.Predict(test.X, test.FeatureNames);
        double accuracy = Metrics.Accuracy(p.Labels!, test.RawLabels!);
        Assert.True(accuracy >= minimum, $"{name}: test accuracy {accuracy}");
        Assert.Equal(model.Labels!.Count, p.Scores!.Cols);
        Assert.All(p.Labels!, l => Assert.Contains(l, data.ClassNames));
        var evaluation = model.Evaluate(test);
        Assert.Equal(accuracy, evaluation.Classification!.Accuracy);
        Assert.Null(evaluation.Classification.LogLoss);      // regression scores are not probabilities
        Assert.Equal(test.Count, evaluation.Classification.ConfusionMatrix.Sum(r => r.Sum()));
    }

    [Fact]
    public void NtkClassificationOfWineIsAccurate()
    {
        var (train, test) = Split(Classification(EmbeddedData.Wine()));
        var spec = new ModelSpec { Architecture = Architecture.Parse(Arch), Ridge = Ridge.Relative(1e-3), StandardizeFeatures = true };
        var model = TabularModel.Fit(spec, train);
        var e = model.Evaluate(test);
        Assert.True(e.Classification!.Accuracy >= 0.93, $"accuracy {e.Classification.Accuracy}");
        Assert.Null(e.Calibration);   // the NTK has no predictive variance
    }

    [Fact]
    public void GpVarianceEqualsTheClosedFormWithTheObservationNoise()
    {
        var x = Matrix.FromRows([0.0], [1.0], [2.5]);
        var y = Matrix.FromRows([1.0], [3.0], [2.0]);
        var xs = Matrix.FromRows([0.5], [10.0]);
        const double gamma = 0.5, lambda = 0.1;
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(gamma), Ridge = Ridge.Absolute(lambda) };
        var p = TabularModel.Fit(spec, Regression(x, y)).PredictWithUncertainty(xs);

        double K(double a, double b) => Math.Exp(-gamma * (a - b) * (a - b));
        var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3, (i, j) => K(x[i, 0], x[j, 0]) + (i == j ? lambda : 0));
        var inv = a.Inverse();
        for (int t = 0; t < 2; t++)
        {
            var ks = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(3, i => K(xs[t, 0], x[i, 0]));
            double variance = 1 - ks * (inv * ks) + lambda;
            double mean = ks * (inv * MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(3, i => y[i, 0]));
            Assert.Equal(variance, p.Variance![t, 0], 12);
            Assert.Equal(mean, p.Mean[t, 0], 12);
        }
        // Far from the data the variance is the prior plus the noise, 1 + λ.
        Assert.Equal(1 + lambda, p.Variance![1, 0], 12);
    }

    [Fact]
    public void GpVarianceIsMappedBackThroughTheTargetScale()
    {
        var x = TestData.Random(20, 2, 6);
        var y = Matrix.Build(20, 1, (i, _) => 100 + 50 * x[i, 0]);
        var xs = TestData.Random(5, 2, 7);
        var baseSpec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5), Ridge = Ridge.Absolute(0.05) };
        var scaled = TabularModel.Fit(baseSpec with { StandardizeTarget = true }, Regression(x, y));
        var (_, yz) = new Standardizer().FitTransform(y);
        var plain = TabularModel.Fit(baseSpec, Regression(x, yz)).PredictWithUncertainty(xs);
        double s = scaled.TargetScaler!.Scales[0];
        var v = scaled.PredictWithUncertainty(xs).Variance!;
        for (int i = 0; i < xs.Rows; i++) Assert.Equal(plain.Variance![i, 0] * s * s, v[i, 0], 9);
    }

    [Fact]
    public void NngpVarianceIsTheEnsembleVariancePlusTheNoise()
    {
        var x = TestData.Random(25, 3, 8);
        var y = TestData.Random(25, 1, 9);
        var xs = TestData.Random(4, 3, 10);
        var spec = new ModelSpec { Architecture = Architecture.Parse(Arch), Get = KernelOutputs.Nngp, Ridge = Ridge.Absolute(0.05) };
        var model = TabularModel.Fit(spec, Regression(x, y));
        Assert.True(model.HasPredictiveVariance);
        var ours = model.PredictWithUncertainty(xs).Variance!;
        var ensemble = new NeuralKernelRegressor(Architecture.Parse(Arch)) { Kernel = KernelOutputs.Nngp, Ridge = Ridge.Absolute(0.05) }
            .Fit(x, y).PredictWithCovariance(xs, CovarianceMode.Diagonal).Variance!;
        for (int i = 0; i < xs.Rows; i++) Assert.Equal(ensemble[i] + 0.05, ours[i, 0], 10);
    }

    [Fact]
    public void GpIntervalsCoverAboutNinetyFivePercentOfNoisyTargets()
    {
        const double noise = 0.3;
        var rng = new Random(11);
        Matrix Inputs(int n) => Matrix.Build(n, 1, (_, _) => -3 + 6 * rng.NextDouble());
        Matrix Targets(Matrix x) => Matrix.Build(x.Rows, 1, (i, _) => Math.Sin(2 * x[i, 0]) + noise * TestData.Gaussian(rng));
        var x = Inputs(300);
        var y = Targets(x);
        var xs = Inputs(2000);
        var ys = Targets(xs);
        // The ridge is the observation-noise variance in the units of the standardized target.
        double sd = new Standardizer().Fit(y).Scales[0];
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1.0), Ridge = Ridge.Absolute(noise * noise / (sd * sd)), StandardizeTarget = true };
        var model = TabularModel.Fit(spec, Regression(x, y));
        var p = model.PredictWithUncertainty(xs);
        var c = Metrics.Calibration(p.Mean, p.Variance!, ys);
        Assert.InRange(c.Within196Sigma, 0.93, 0.97);
        Assert.InRange(c.WithinOneSigma, 0.64, 0.73);
        var e = model.Evaluate(Regression(xs, ys));
        Assert.Equal(c, e.Calibration);
        Assert.True(e.Regression!.RSquared > 0.8, $"R² {e.Regression.RSquared}");
    }

    [Fact]
    public void NtkAndFiniteTimeModelsRefuseAPredictiveVariance()
    {
        var x = TestData.Random(10, 2, 12);
        var y = TestData.Random(10, 1, 13);
        var ntk = TabularModel.Fit(new ModelSpec { Architecture = Architecture.Parse(Arch), Ridge = Ridge.Absolute(0.01) }, Regression(x, y));
        Assert.False(ntk.HasPredictiveVariance);
        var e = Assert.Throws<InvalidOperationException>(() => ntk.PredictWithUncertainty(x));
        Assert.Contains("not an error bar", e.Message);
        var finite = TabularModel.Fit(new ModelSpec { Architecture = Architecture.Parse(Arch), Get = KernelOutputs.Nngp, Time = 5, Ridge = Ridge.Absolute(0.01) }, Regression(x, y));
        Assert.False(finite.HasPredictiveVariance);
        Assert.Throws<InvalidOperationException>(() => finite.PredictWithUncertainty(x));
    }

    [Fact]
    public void ASingularKernelWithoutRidgeHasNoVarianceAndSaysToAddARidge()
    {
        var x = Matrix.FromRows([1.0, 0.0], [1.0, 0.0], [0.0, 1.0]);   // a repeated row: K is singular
        var y = Matrix.FromRows([1.0], [1.0], [2.0]);
        var model = TabularModel.Fit(new ModelSpec { Kernel = ClassicalKernel.Linear() }, Regression(x, y));
        var e = Assert.Throws<InvalidOperationException>(() => model.PredictWithUncertainty(x));
        Assert.Contains("ridge", e.Message);
    }

    [Fact]
    public void OtherFeatureNamesOrCountsAreRefusedNamingTheDifference()
    {
        var x = TestData.Random(10, 3, 14);
        var y = TestData.Random(10, 1, 15);
        var model = TabularModel.Fit(new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.3), Ridge = Ridge.Absolute(0.1) }, Regression(x, y));
        var count = Assert.Throws<ArgumentException>(() => model.Predict(TestData.Random(2, 4, 16)));
        Assert.Contains("4 feature columns", count.Message);
        Assert.Contains("3", count.Message);
        var missing = Assert.Throws<ArgumentException>(() => model.Predict(TestData.Random(2, 3, 16), ["x1", "x2", "z"]));
        Assert.Contains("missing 'x3'", missing.Message);
        Assert.Contains("'z'", missing.Message);
        var order = Assert.Throws<ArgumentException>(() => model.Predict(TestData.Random(2, 3, 16), ["x1", "x3", "x2"]));
        Assert.Contains("column 2 is 'x3'", order.Message);
        Assert.Equal(model.Predict(x).Mean.Data, model.Predict(x, ["x1", "x2", "x3"]).Mean.Data);
    }

    [Fact]
    public void ClassificationNeedsItsClassCode()
    {
        var d = Classification(EmbeddedData.Iris()) with { Labels = null };
        var e = Assert.Throws<ArgumentException>(() => TabularModel.Fit(new ModelSpec { Kernel = ClassicalKernel.Linear() }, d));
        Assert.Contains("class code", e.Message);
    }
}
