using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class KrylovFunctionTests
{
    private static readonly KrylovSettings Tight = new() { Tolerance = 1e-13, MaxDimension = 400 };

    private static Matrix RandomSpd(int n, int seed) => TestData.RandomSpd(n, seed, 0.1);

    /// <summary>G·Gᵀ/r with G n×r: positive semidefinite of rank r.</summary>
    private static Matrix RandomPsd(int n, int rank, int seed)
    {
        var g = TestData.Random(n, rank, seed);
        var a = LinearAlgebra.Multiply(g, g, transB: Op.Transpose);
        for (int i = 0; i < a.Data.Length; i++) a.Data[i] /= rank;
        return a;
    }

    private static void AssertRelative(Matrix expected, Matrix actual, double tol, string what)
    {
        double scale = expected.FrobeniusNorm();
        var diff = expected.Clone();
        for (int i = 0; i < diff.Data.Length; i++) diff.Data[i] -= actual.Data[i];
        double rel = scale == 0 ? diff.FrobeniusNorm() : diff.FrobeniusNorm() / scale;
        Assert.True(rel <= tol, $"{what}: relative error {rel:G3} > {tol:G3}");
    }

    [Theory]
    [InlineData(60, 0, 1)]
    [InlineData(80, 0, 2)]
    [InlineData(50, 15, 3)]
    [InlineData(70, 40, 4)]
    public void PhiForSeveralTausMatchesTheEigendecomposition(int n, int rank, int seed)
    {
        var a = rank == 0 ? RandomSpd(n, seed) : RandomPsd(n, rank, seed);
        var b = TestData.Random(n, 3, seed + 100);
        double[] taus = rank == 0 ? [0, 1e-3, 0.5, 10, 1e8] : [0, 1e-3, 0.5, 10, 1e4];
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, taus.Select(KrylovFunction.Phi).ToList(), Tight);
        var eigen = SymmetricEigen.Compute(a);
        for (int q = 0; q < taus.Length; q++)
        {
            var expected = eigen.Apply(KrylovFunction.Phi(taus[q]), b);
            if (taus[q] == 0) Assert.Equal(0, result.Values[q].FrobeniusNorm());
            else AssertRelative(expected, result.Values[q], 1e-10, $"φ at τ = {taus[q]}");
        }
        Assert.True(result.Converged, result.Summary);
    }

    [Fact]
    public void PhiAtAVeryLargeTauIsTheInverse()
    {
        var a = RandomSpd(60, 5);
        var b = TestData.Random(60, 2, 6);
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, [KrylovFunction.Phi(1e12)], Tight);
        AssertRelative(Cholesky.Compute(a).Solve(b), result.Values[0], 1e-10, "φ at τ = 1e12 against A⁻¹b");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    public void ExponentialMatchesTheEigendecomposition(int rank)
    {
        var a = rank == 0 ? RandomSpd(60, 7) : RandomPsd(60, rank, 7);
        var b = TestData.Random(60, 2, 8);
        double[] taus = [0, 0.1, 2, 20];
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, taus.Select(KrylovFunction.Exp).ToList(), Tight);
        var eigen = SymmetricEigen.Compute(a);
        for (int q = 0; q < taus.Length; q++)
            AssertRelative(eigen.Apply(KrylovFunction.Exp(taus[q]), b), result.Values[q], 1e-10, $"e^(−τA) at τ = {taus[q]}");
        AssertRelative(b, result.Values[0], 1e-14, "τ = 0 is the identity");
    }

    [Fact]
    public void SmallTimesNeedFewerKrylovDimensionsThanLargeOnes()
    {
        var a = RandomSpd(300, 9);
        var b = TestData.Random(300, 1, 10);
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, [KrylovFunction.Phi(0), KrylovFunction.Phi(0.05), KrylovFunction.Phi(1e6)],
            new KrylovSettings { Tolerance = 1e-10 });
        Assert.True(result.Converged, result.Summary);
        Assert.Equal(1, result.Dimensions[0]);
        Assert.True(result.Dimensions[1] < result.Dimensions[2], $"dimensions {string.Join(", ", result.Dimensions)}");
        Assert.True(result.Dimension < 300, $"the Krylov space should not need all of n: {result.Summary}");
        Assert.True(result.Estimates.Max() <= 1e-10, result.Summary);
    }

    [Fact]
    public void ADimensionLimitThatIsTooSmallReportsNotConverged()
    {
        var a = RandomSpd(200, 11);
        var b = TestData.Random(200, 2, 12);
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, [KrylovFunction.Phi(1e6)], new KrylovSettings { MaxDimension = 3 });
        Assert.False(result.Converged);
        Assert.Equal(3, result.Dimension);
        Assert.Contains("NOT converged", result.Summary);
        Assert.True(result.Estimates[0] > 1e-10);
    }

    [Fact]
    public void AZeroColumnGivesZeroAndTheOthersAreUnaffected()
    {
        var a = RandomSpd(40, 13);
        var b = TestData.Random(40, 3, 14);
        for (int i = 0; i < 40; i++) b[i, 1] = 0;
        var result = KrylovFunction.Apply(ConjugateGradient.FromMatrix(a), b, [KrylovFunction.Phi(3)], Tight);
        var expected = SymmetricEigen.Compute(a).Apply(KrylovFunction.Phi(3), b);
        AssertRelative(expected, result.Values[0], 1e-10, "φ with a zero column");
        for (int i = 0; i < 40; i++) Assert.Equal(0, result.Values[0][i, 1]);
    }

    [Fact]
    public void ANonFiniteRightHandSideIsRefusedWithItsPosition()
    {
        var b = new Matrix(4, 2);
        b[2, 1] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => KrylovFunction.Apply(ConjugateGradient.FromMatrix(RandomSpd(4, 1)), b, [KrylovFunction.Phi(1)]));
        Assert.Contains("row 3, column 2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => KrylovFunction.Phi(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KrylovFunction.Exp(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => KrylovFunction.Apply(ConjugateGradient.FromMatrix(RandomSpd(4, 1)), new Matrix(4, 1), [KrylovFunction.Phi(1)], new KrylovSettings { MaxDimension = 0 }));
    }

    [Theory]
    [InlineData(30, 0)]
    [InlineData(500, 0)]
    [InlineData(120, 20)]
    public void TheLargestEigenvalueEstimateIsAccurateAndNotBelowTheTruth(int n, int rank)
    {
        var a = rank == 0 ? RandomSpd(n, 15) : RandomPsd(n, rank, 15);
        double exact = SymmetricEigen.Compute(a).Values[^1];
        double estimate = KrylovFunction.EstimateLargestEigenvalue(ConjugateGradient.FromMatrix(a), n);
        Assert.True(Math.Abs(estimate - exact) <= 1e-7 * exact, $"estimate {estimate:R} vs λ_max {exact:R}");
        Assert.True(estimate >= exact * (1 - 1e-12), $"estimate {estimate:R} below λ_max {exact:R}");
    }
}
