using Tangent.Numerics;

namespace Tangent.Tests.Layers;

internal static class LayerTestUtil
{
    public static Matrix RandomInputs(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, d, (_, _) => Tangent.Layers.Dense.Gaussian(rng));
    }

    public static double RelativeFrobenius(Matrix actual, Matrix expected)
    {
        double num = 0, den = 0;
        for (int k = 0; k < expected.Data.Length; k++)
        {
            double e = actual.Data[k] - expected.Data[k];
            num += e * e;
            den += expected.Data[k] * expected.Data[k];
        }
        return Math.Sqrt(num / den);
    }
}
