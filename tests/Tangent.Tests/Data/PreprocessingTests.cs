using FsCheck;
using FsCheck.Fluent;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class PreprocessingTests
{
    [Fact]
    public void StandardizerGivesZeroMeanUnitVarianceOnTrain()
    {
        var x = DataTestHelpers.Random(50, 6, 11);
        var (f, z) = new Standardizer().FitTransform(x);
        for (int j = 0; j < z.Cols; j++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < z.Rows; i++) m += z[i, j];
            m /= z.Rows;
            for (int i = 0; i < z.Rows; i++) v += (z[i, j] - m) * (z[i, j] - m);
            Assert.InRange(m, -1e-12, 1e-12);
            Assert.InRange(v / z.Rows, 1 - 1e-12, 1 + 1e-12);
        }
        Assert.True(f.InverseTransform(z).MaxAbsDifference(x) <= 1e-9 * x.Data.Max(Math.Abs));
    }

    [Fact]
    public void StandardizerMatchesMathNetAndAppliesTrainStatisticsToTest()
    {
        var train = Matrix.FromRows([1, 10], [2, 20], [3, 60]);
        var f = new Standardizer().Fit(train);
        Assert.Equal(2.0, f.Means[0], 14);
        Assert.Equal(MathNet.Numerics.Statistics.Statistics.PopulationStandardDeviation([1.0, 2, 3]), f.Scales[0], 14);
        Assert.Equal(MathNet.Numerics.Statistics.Statistics.PopulationStandardDeviation([10.0, 20, 60]), f.Scales[1], 12);
        var test = f.Transform(Matrix.FromRows([2, 30]));
        Assert.Equal(0.0, test[0, 0], 14);
        Assert.Equal(0.0, test[0, 1], 12);
        var e = Assert.Throws<ArgumentException>(() => f.Transform(Matrix.FromRows([1, 2, 3])));
        Assert.Contains("fitted on 2 columns but the data is 1×3", e.Message);
    }

    [Fact]
    public void StandardizerConstantColumnBecomesZerosNotNaN()
    {
        var x = Matrix.FromRows([5, 1], [5, 2], [5, 3]);
        var f = new Standardizer().Fit(x);
        Assert.Equal([true, false], f.ConstantColumns);
        Assert.Equal(1.0, f.Scales[0]);
        var z = f.Transform(x);
        Assert.True(z.AllFinite());
        Assert.Equal([0.0, 0, 0], new[] { z[0, 0], z[1, 0], z[2, 0] });
        Assert.Equal(2.0, f.Transform(Matrix.FromRows([7, 2]))[0, 0]);
        Assert.Throws<ArgumentException>(() => new Standardizer().Fit(new Matrix(0, 2)));
        Assert.Throws<ArgumentException>(() => new Standardizer().Fit(Matrix.FromRows([double.NaN])));
        var noScale = new Standardizer { Scale = false }.Fit(x);
        Assert.Equal([1.0, 1.0], noScale.Scales);
    }

    [Fact]
    public void StandardizerIsAffineInvariantProperty()
    {
        // Standardising a·x + b (a > 0) gives the same result as standardising x.
        Prop.ForAll(Gen.Choose(2, 20).ToArbitrary(), Gen.Choose(1, 1000).ToArbitrary(), (n, seed) =>
        {
            var x = DataTestHelpers.Random(n, 3, seed);
            var rng = new Random(seed);
            double a = 0.1 + rng.NextDouble() * 10, b = rng.NextDouble() * 100 - 50;
            var y = Matrix.Build(n, 3, (i, j) => a * x[i, j] + b);
            var zx = new Standardizer().FitTransform(x).Transformed;
            var zy = new Standardizer().FitTransform(y).Transformed;
            return zx.MaxAbsDifference(zy) < 1e-6;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ProjectToSphereNormalisesRowsAndHandlesZeroRows()
    {
        var x = Matrix.FromRows([3, 4], [0, 0], [-1, 0]);
        var e = Assert.Throws<ArgumentException>(() => Preprocessing.ProjectToSphere(x));
        Assert.Contains("Row 2 is all zeros", e.Message);
        Assert.Contains("LeaveZero", e.Message);
        var y = Preprocessing.ProjectToSphere(x, zeroRows: ZeroRowPolicy.LeaveZero);
        double[] expected = [0.6, 0.8, 0, 0, -1, 0];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], y.Data[i], 15);
        var r = Preprocessing.ProjectToSphere(DataTestHelpers.Random(10, 5, 3), radius: Math.Sqrt(5));
        for (int i = 0; i < 10; i++)
        {
            double s = 0;
            foreach (double v in r.Row(i)) s += v * v;
            Assert.Equal(5.0, s, 12);
        }
        Assert.Equal(3.0, x[0, 0]); // input untouched
    }

    [Fact]
    public void OneHotWithShiftAndArgMaxInverts()
    {
        int[] labels = [2, 0, 1, 2];
        var y = Preprocessing.OneHot(labels, shift: -0.1);
        Assert.Equal((4, 3), (y.Rows, y.Cols));
        Assert.Equal([-0.1, -0.1, 0.9], y.Row(0).ToArray());
        Assert.Equal([0.9, -0.1, -0.1], y.Row(1).ToArray());
        Assert.Equal(labels, Preprocessing.ArgMax(y));
        Assert.Equal(5, Preprocessing.OneHot(labels, classCount: 5).Cols);
        Assert.Contains("does not fit 2 classes", Assert.Throws<ArgumentException>(() => Preprocessing.OneHot(labels, 2)).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => Preprocessing.OneHot([0, -1])).Message);
    }

    [Fact]
    public void SplitIsSeededDisjointAndComplete()
    {
        var (tr, te) = Preprocessing.SplitIndices(100, 0.25, seed: 42);
        Assert.Equal(25, te.Length);
        Assert.Equal(75, tr.Length);
        Assert.Empty(tr.Intersect(te));
        Assert.Equal(Enumerable.Range(0, 100), tr.Concat(te).Order());
        var (tr2, te2) = Preprocessing.SplitIndices(100, 25, seed: 42);
        Assert.Equal(te, te2);
        Assert.Equal(tr, tr2);
        var (_, te3) = Preprocessing.SplitIndices(100, 25, seed: 43);
        Assert.NotEqual(te, te3);
        var x = Matrix.Build(10, 2, (i, j) => i * 10 + j);
        var y = Matrix.Build(10, 1, (i, _) => i);
        var (xtr, ytr, xte, yte) = Preprocessing.TrainTestSplit(x, y, 0.3, 1);
        Assert.Equal((7, 3), (xtr.Rows, xte.Rows));
        for (int i = 0; i < 7; i++) Assert.Equal(ytr[i, 0] * 10, xtr[i, 0]);
        for (int i = 0; i < 3; i++) Assert.Equal(yte[i, 0] * 10, xte[i, 0]);
        Assert.Contains("Shape mismatch", Assert.Throws<ArgumentException>(() => Preprocessing.TrainTestSplit(x, new Matrix(9, 1), 0.3, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessing.SplitIndices(10, 11, 0));
    }
}
