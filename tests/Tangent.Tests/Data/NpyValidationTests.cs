using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Data;

namespace Tangent.Tests.Data;

/// <summary>Checked .npy headers, exact data lengths and finite values (docs/DATA.md, "Validation").</summary>
public sealed class NpyValidationTests
{
    /// <summary>A .npy file from a raw header dict (padded, newline-terminated) and data bytes.</summary>
    internal static byte[] Npy(string dict, byte[] data, int major = 1)
    {
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        var h = Encoding.Latin1.GetBytes(dict + "\n");
        if (major == 1) { var l = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(l, (ushort)h.Length); ms.Write(l); }
        else { var l = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(l, (uint)h.Length); ms.Write(l); }
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static string Dict(string descr, string shape, string fortran = "False") =>
        $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";

    private static byte[] F8(params double[] v)
    {
        var b = new byte[8 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]);
        return b;
    }

    private static byte[] F4(params float[] v)
    {
        var b = new byte[4 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    /// <summary>Reads the bytes as a file, the way the CLI does (exact length checks apply).</summary>
    private static NpyArray ReadFile(byte[] bytes, string name = "a.npy")
    {
        using var t = new TempDir();
        File.WriteAllBytes(t.File(name), bytes);
        return Tangent.Data.Npy.Read(t.File(name));
    }

    private static DataFormatException Refused(byte[] bytes) => Assert.Throws<DataFormatException>(() => ReadFile(bytes));

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void NonFiniteValuesAreRefusedInBothFloatTypesNamingRowAndColumn(double bad, string text)
    {
        foreach (var (descr, data) in new[] { ("<f8", F8(1, 2, 3, 4, 5, bad)), ("<f4", F4(1, 2, 3, 4, 5, (float)bad)) })
        {
            var e = Refused(Npy(Dict(descr, "(2, 3)"), data));
            Assert.Equal((2, 3), (e.Row, e.Column));
            Assert.Contains($"row 2, column 3: the value '{text}' is not finite", e.Message);
            Assert.Contains("impute or drop", e.Message);
        }
        // N-D: the NumPy index too; and a library caller may opt in.
        var nd = Npy(Dict("<f8", "(1, 2, 3)"), F8(0, 0, 0, 0, bad, 0));
        Assert.Contains("NumPy index [0, 1, 1] of the (1, 2, 3) array", Refused(nd).Message);
        using var t = new TempDir();
        File.WriteAllBytes(t.File("nd.npy"), nd);
        Assert.False(double.IsFinite(Tangent.Data.Npy.Read(t.File("nd.npy"), allowNonFinite: true).Values[0, 4]));
        Assert.Throws<DataFormatException>(() => MatrixFile.Read(t.File("nd.npy")));
        Assert.False(MatrixFile.Read(t.File("nd.npy"), new CsvReadOptions { AllowNonFinite = true }).AllFinite());
    }

    [Fact]
    public void IntegerAndHalfTypesGoThroughTheSameCheck()
    {
        var i4 = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(i4, int.MinValue);
        Assert.Equal([(double)int.MinValue, 0], ReadFile(Npy(Dict("<i4", "(2,)"), i4)).Values.Data);
        var f2 = new byte[4];
        BinaryPrimitives.WriteHalfLittleEndian(f2.AsSpan(2), Half.PositiveInfinity);
        Assert.Equal((2, 1), (Refused(Npy(Dict("<f2", "(2,)"), f2)).Row, Refused(Npy(Dict("<f2", "(2,)"), f2)).Column));
    }

    [Fact]
    public void ShapeProductOverflowingLongIsADataFormatErrorNotAnOverflowException()
    {
        string max = int.MaxValue.ToString();
        var e = Refused(Npy(Dict("<f8", $"({max}, {max}, {max})"), F8(1)));
        Assert.Contains("overflows 64-bit arithmetic", e.Message);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void ShapeThatWrapsAroundToTheStoredCountIsRefused()
    {
        // 2^62 + 1 = 242243305 · 49477 · 384773, so 2 · 30 · that wraps modulo 2^64 to exactly 60 and the
        // unchecked row length 30 · (2^62 + 1) truncates to 30: a file holding a 2×30 matrix used to be read.
        const string Shape = "(2, 30, 242243305, 49477, 384773)";
        unchecked
        {
            long count = 2L * 30 * 242243305 * 49477 * 384773, rest = 30L * 242243305 * 49477 * 384773;
            Assert.Equal((60L, 30), (count, (int)rest));
        }
        var e = Refused(Npy(Dict("<f8", Shape), F8(new double[60])));
        Assert.Contains($"the shape {Shape} of float64 values overflows 64-bit arithmetic", e.Message);
        Assert.Contains("NumPy refuses such a header too", e.Message);
        // An axis above int.MaxValue is refused as too long, also as a DataFormatException.
        Assert.Contains("axis 2 has length 2147483648", Refused(Npy(Dict("<f8", "(2, 30, 2147483648)"), F8(new double[60]))).Message);
    }

    [Theory]
    [InlineData("(2, -3)", "negative length")]
    [InlineData("(99999999999999999999999999,)", "more than this reader supports")]
    [InlineData("(3)", "is not a tuple")]
    [InlineData("[2, 3]", "'shape' is not a tuple")]
    [InlineData("(2, x)", "not a non-negative integer")]
    [InlineData("(2 3)", "not separated by ','")]
    public void BadShapesAreRefused(string shape, string expected) =>
        Assert.Contains(expected, Refused(Npy(Dict("<f8", shape), F8(new double[6]))).Message);

    [Fact]
    public void TooManyAxesAreRefused() =>
        Assert.Contains("more than 64 axes", Refused(Npy(Dict("<f8", "(" + string.Join(", ", Enumerable.Repeat("1", 65)) + ")"), F8(1))).Message);

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", "neither True nor False")]
    [InlineData("{'descr': '<f8', 'fortran_order': Falsey, 'shape': (1,), }", "neither True nor False")]
    [InlineData("{'descr': '<f8', 'shape': (1,), }", "'fortran_order' is missing")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "'extra' is not one of")]
    [InlineData("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", "appears twice")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk", "text after the closing")]
    [InlineData("{'descr': <f8, 'fortran_order': False, 'shape': (1,)}", "not a quoted dtype")]
    [InlineData("{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", "not separated by ','")]
    [InlineData("('descr', '<f8')", "not a Python dict")]
    [InlineData("", "not a Python dict")]
    public void BadHeaderFieldsAreRefused(string dict, string expected) =>
        Assert.Contains(expected, Refused(Npy(dict, F8(1))).Message);

    [Fact]
    public void FortranOrderIsCheckedAndConverted()
    {
        var a = ReadFile(Npy(Dict("<f8", "(2, 3)", "True"), F8(0, 3, 1, 4, 2, 5)));
        Assert.Equal([0.0, 1, 2, 3, 4, 5], a.Values.Data);
        Assert.Contains("neither True nor False", Refused(Npy(Dict("<f8", "(2, 3)", "'yes'"), F8(new double[6]))).Message);
        // Python-2 style long literals, as old NumPy wrote them, are still read.
        Assert.Equal([2, 3], ReadFile(Npy(Dict("<f8", "(2L, 3L)"), F8(new double[6]))).Shape);
    }

    [Fact]
    public void WrongDataLengthNamesExpectedAndActualBytes()
    {
        var shortFile = Refused(Npy(Dict("<f8", "(2, 3)"), F8(new double[5])));
        Assert.Contains("needs 48 bytes of data, but the file has 40", shortFile.Message);
        Assert.Contains("ends early", shortFile.Message);
        var longFile = Refused(Npy(Dict("<f8", "(2, 3)"), F8(new double[7])));
        Assert.Contains("needs exactly 48 bytes of data, but the file has 56", longFile.Message);
        // The same checks through gzip (not seekable: counted while reading).
        using var t = new TempDir();
        foreach (var (count, expected) in new[] { (5, "the file has 40"), (7, "the file has 56") })
        {
            string p = t.File($"g{count}.npy.gz");
            using (var f = File.Create(p))
            using (var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest))
                gz.Write(Npy(Dict("<f8", "(2, 3)"), F8(new double[count])));
            Assert.Contains(expected, Assert.Throws<DataFormatException>(() => Tangent.Data.Npy.Read(p)).Message);
        }
        // A stream may go on after the array (several arrays saved to one open file), but not stop short.
        var two = Npy(Dict("<f8", "(1,)"), F8(1)).Concat(Npy(Dict("<f8", "(1,)"), F8(2))).ToArray();
        var ms = new MemoryStream(two);
        Assert.Equal(1.0, Tangent.Data.Npy.Read(ms, "s").Values[0, 0]);
        Assert.Equal(2.0, Tangent.Data.Npy.Read(ms, "s").Values[0, 0]);
    }

    [Fact]
    public void GzippedFileClaimingMoreThanDeflateCanHoldIsRefusedBeforeAllocating()
    {
        using var t = new TempDir();
        string p = t.File("huge.npy.gz");
        using (var f = File.Create(p))
        using (var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest))
            gz.Write(Npy(Dict("<f8", "(100000, 10000)"), F8(1)));
        var e = Assert.Throws<DataFormatException>(() => Tangent.Data.Npy.Read(p));
        Assert.Contains("more than this gzipped file can hold", e.Message);
    }

    [Fact]
    public void ArrayThatDoesNotFitInMemoryIsRefusedBeforeAllocating()
    {
        var bytes = Npy(Dict("|u1", "(100, 10)"), new byte[1000]);   // 1000 bytes on disk, 8000 as doubles
        using (Tangent.Engine.MemoryGuard.OverrideAvailable(4000))
        {
            var e = Assert.Throws<InsufficientMemoryException>(() => ReadFile(bytes));
            Assert.Contains("Reading the (100, 10) uint8 array of '", e.Message);
            Assert.Contains("as doubles needs 7.81 KiB but only 3.91 KiB is available", e.Message);
            Assert.Contains("To fit: read a smaller array (split the file)", e.Message);
        }
        Assert.Equal(1000, ReadFile(bytes).Values.Data.Length);
    }

    [Fact]
    public void HeaderLongerThanTheFileIsRefused()
    {
        var b = Npy(Dict("<f8", "(1,)"), F8(1), major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 1_000_000);
        Assert.Contains("header claims 1000000 bytes", Refused(b).Message);
    }

    /// <summary>Whatever follows a valid magic string, reading ends in a value or a DataFormatException.</summary>
    [Fact]
    public void PropertyRandomBytesAfterTheMagicOnlyEverGiveDataFormatException()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            byte[] bytes;
            if (rng.Next(2) == 0)
            {
                // Raw noise after the magic and a plausible version.
                bytes = new byte[8 + rng.Next(0, 200)];
                rng.NextBytes(bytes);
                byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)rng.Next(0, 4), 0];
                magic.CopyTo(bytes, 0);
                if (bytes.Length > 9 && rng.Next(2) == 0) bytes[9] = 0;   // a header length below 256 often enough
            }
            else
            {
                // A well-formed dict with hostile values: huge, negative, zero or many axes, odd dtypes and lengths.
                string[] dims = ["0", "1", "3", "-1", "2147483647", "2147483648", "4294967296", "99999999999999999999", "x"];
                string[] descrs = ["<f8", "<f4", "|u1", ">i8", "<f2", "|b1", "<c16", "f8", "<U3", ""];
                int rank = rng.Next(0, 6);
                string shape = "(" + string.Join(", ", Enumerable.Range(0, rank).Select(_ => dims[rng.Next(dims.Length)])) + (rank == 1 ? ",)" : ")");
                string dict = Dict(descrs[rng.Next(descrs.Length)], shape, rng.Next(4) == 0 ? "True" : "False");
                var data = new byte[rng.Next(0, 64)];
                rng.NextBytes(data);
                bytes = Npy(dict, data, major: rng.Next(1, 4));
            }
            try
            {
                var a = Tangent.Data.Npy.Read(new MemoryStream(bytes), "fuzz.npy");
                return a.Values.Data.Length <= bytes.Length;   // never more values than bytes: no allocation from a claim alone
            }
            catch (DataFormatException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }
}
