using FsCheck;
using FsCheck.Fluent;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class RoundTripPropertyTests
{
    /// <summary>Random bit patterns: every finite double is possible (subnormals, ±0, huge, tiny).</summary>
    private static double[] RandomBits(int seed, int count)
    {
        var rng = new Random(seed);
        var v = new double[count];
        for (int i = 0; i < count; i++)
        {
            double d;
            do d = BitConverter.Int64BitsToDouble(rng.NextInt64(long.MinValue, long.MaxValue));
            while (!double.IsFinite(d));
            v[i] = d;
        }
        return v;
    }

    [Fact]
    public void CsvAndNpyRoundTripAnyFiniteDoubleBitExact()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var values = RandomBits(seed, 12);
            var m = new Matrix(3, 4, values);
            var sw = new StringWriter();
            CsvFile.Write(sw, m);
            var fromCsv = CsvFile.Parse(new StringReader(sw.ToString()), "p").Values;
            var ms = new MemoryStream();
            Npy.Write(ms, m);
            ms.Position = 0;
            var fromNpy = Npy.Read(ms, "p").Values;
            for (int i = 0; i < values.Length; i++)
            {
                long b = BitConverter.DoubleToInt64Bits(values[i]);
                if (BitConverter.DoubleToInt64Bits(fromCsv.Data[i]) != b || BitConverter.DoubleToInt64Bits(fromNpy.Data[i]) != b) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
