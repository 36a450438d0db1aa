using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Completion;

public sealed class IncompleteMatrixTests
{
    [Fact]
    public void NaNEntriesAreTheMissingOnes()
    {
        var m = IncompleteMatrix.FromNaN(Matrix.FromRows([1, double.NaN], [double.NaN, 4]));
        Assert.Equal(2, m.ObservedCount);
        Assert.True(m.IsObserved(0, 0));
        Assert.False(m.IsObserved(0, 1));
        Assert.Equal(0.5, m.ObservedFraction);
        Assert.Equal([1, 0, 0, 4], m.ZeroFilled().Data);
        Assert.Equal([1, 0, 0, 1], m.Mask().Data);
        Assert.True(double.IsNaN(m.WithNaN()[1, 0]));
    }

    [Fact]
    public void MaskOfAnotherShapeIsRefusedWithBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new IncompleteMatrix(new Matrix(3, 5), new Matrix(3, 4)));
        Assert.Contains("3×4", e.Message);
        Assert.Contains("3×5", e.Message);
    }

    [Fact]
    public void MaskValueOtherThanZeroOrOneIsNamedByRowAndColumn()
    {
        var mask = Matrix.FromRows([1, 1], [1, 0.5]);
        var e = Assert.Throws<ArgumentException>(() => new IncompleteMatrix(new Matrix(2, 2), mask));
        Assert.Contains("0.5 at row 2, column 2", e.Message);
    }

    [Fact]
    public void ObservedValueThatIsNotFiniteIsRefusedButAMaskedOneIsIgnored()
    {
        var values = Matrix.FromRows([1, double.NaN], [double.PositiveInfinity, 2]);
        var e = Assert.Throws<ArgumentException>(() => new IncompleteMatrix(values, Matrix.FromRows([1, 0], [1, 1])));
        Assert.Contains("+∞ at row 2, column 1", e.Message);
        var ok = new IncompleteMatrix(values, Matrix.FromRows([1, 0], [0, 1]));
        Assert.Equal(2, ok.ObservedCount);
        var inf = Assert.Throws<ArgumentException>(() => IncompleteMatrix.FromNaN(values));
        Assert.Contains("row 2, column 1", inf.Message);
    }

    [Fact]
    public void NothingObservedIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => IncompleteMatrix.FromNaN(Matrix.Build(2, 2, (_, _) => double.NaN)));
        Assert.Contains("No entry", e.Message);
    }

    [Fact]
    public void TransposeMovesEntriesWithTheirMask()
    {
        var m = IncompleteMatrix.FromNaN(Matrix.FromRows([1, double.NaN, 3], [4, 5, double.NaN]));
        var t = m.Transpose();
        Assert.Equal("3×2", t.Shape);
        Assert.False(t.IsObserved(1, 0));
        Assert.False(t.IsObserved(2, 1));
        Assert.Equal(3, t[2, 0]);
    }

    [Fact]
    public void MissingRmseCountsOnlyMissingEntries()
    {
        var m = IncompleteMatrix.FromNaN(Matrix.FromRows([1, double.NaN], [double.NaN, 4]));
        var truth = Matrix.FromRows([1, 2], [3, 4]);
        var guess = Matrix.FromRows([100, 2], [6, -100]);   // observed entries wrong on purpose: not counted
        Assert.Equal(Math.Sqrt(9.0 / 2), m.MissingRmse(guess, truth), 12);
    }
}
