using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public class MatrixSelectTests
{
    [Fact]
    public void SelectCopiesTheBlockInTheGivenOrders()
    {
        var k = Matrix.Build(4, 5, (i, j) => 10 * i + j);
        var b = k.Select([3, 0, 3], [4, 1]);
        Assert.Equal(3, b.Rows);
        Assert.Equal(2, b.Cols);
        Assert.Equal(new double[] { 34, 31, 4, 1, 34, 31 }, b.Data);
        Assert.Equal(k.SelectRows([3, 0, 3]).SelectColumns([4, 1]).Data, b.Data);
    }

    [Fact]
    public void SelectRefusesAnIndexOutsideTheMatrix()
    {
        var k = new Matrix(2, 3);
        Assert.Contains("Row index 2", Assert.Throws<ArgumentOutOfRangeException>(() => k.Select([2], [0])).Message);
        Assert.Contains("Column index -1", Assert.Throws<ArgumentOutOfRangeException>(() => k.Select([0], [-1])).Message);
    }
}
