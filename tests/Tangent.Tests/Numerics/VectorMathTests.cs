using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class VectorMathTests
{
    /// <summary>Distance in units in the last place between two finite doubles of the same sign.</summary>
    private static long Ulps(double a, double b) => Math.Abs(BitConverter.DoubleToInt64Bits(a) - BitConverter.DoubleToInt64Bits(b));

    [Fact]
    public void ExpIsWithinOneUlpOfTheLibraryExpOverTheWholeRange()
    {
        var rng = new Random(3);
        var x = new double[200_003];
        for (int i = 0; i < x.Length; i++)
            x[i] = i % 3 == 0 ? -746 + 1457 * rng.NextDouble() : 2 * (rng.NextDouble() - 0.5) * Math.Pow(10, -12 + 14 * rng.NextDouble());
        var y = new double[x.Length];
        VectorMath.Exp(x, y);
        long worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            if (e == 0 || double.IsInfinity(e)) Assert.Equal(e, y[i]);
            else worst = Math.Max(worst, Ulps(e, y[i]));
        }
        Assert.True(worst <= 1, $"worst distance {worst} ulp");
    }

    [Fact]
    public void ExpKeepsSpecialValuesAndTheEdgesOfTheVectorRange()
    {
        double[] x = [0, -0.0, 1, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -708, 709, -708.0000001, 709.0000001, -745.2, 709.8, 710, -1e-300, 1e-300, Math.Log(2), -Math.Log(2) / 2];
        var y = new double[x.Length];
        VectorMath.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            if (double.IsNaN(e)) Assert.True(double.IsNaN(y[i]));
            else if (e == 0 || double.IsInfinity(e) || !double.IsNormal(e)) Assert.Equal(e, y[i]);
            else Assert.True(Ulps(e, y[i]) <= 1, $"exp({x[i]:R}) = {y[i]:R}, library {e:R}");
        }
        Assert.Equal(1.0, y[0]);
        Assert.Equal(1.0, y[1]);
    }

    [Fact]
    public void ExpWorksInPlace()
    {
        var x = Enumerable.Range(0, 37).Select(i => -3.0 + 0.17 * i).ToArray();
        var expected = x.Select(Math.Exp).ToArray();
        VectorMath.Exp(x, x);
        for (int i = 0; i < x.Length; i++) Assert.True(Ulps(expected[i], x[i]) <= 1);
    }
    [Fact]
    public void ExpOfAnElementDoesNotDependOnItsPositionOrNeighbours()
    {
        // A kernel entry must have the same bits whichever block computed it: the tail and vectors with an out-of-range
        // element take the same path as the rest.
        var rng = new Random(5);
        var x = Enumerable.Range(0, 103).Select(i => i % 17 == 0 ? -800.0 : i % 29 == 0 ? double.NaN : -20 * rng.NextDouble()).ToArray();
        var whole = new double[x.Length];
        VectorMath.Exp(x, whole);
        for (int offset = 1; offset < 7; offset++)
            for (int length = 1; length <= x.Length - offset; length += 5)
            {
                var part = new double[length];
                VectorMath.Exp(x.AsSpan(offset, length), part);
                for (int q = 0; q < length; q++)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(whole[offset + q]), BitConverter.DoubleToInt64Bits(part[q]));
            }
    }
}
