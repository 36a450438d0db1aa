using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Data;

namespace Tangent.Tests.Data;

/// <summary>Checked IDX headers (dimension counts, sizes against the file's length) and CIFAR record counts.</summary>
public sealed class ImageReaderValidationTests
{
    private static byte[] Idx(byte type, uint[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        var b = new byte[4];
        foreach (uint d in dims) { BinaryPrimitives.WriteUInt32BigEndian(b, d); ms.Write(b); }
        ms.Write(data);
        return ms.ToArray();
    }

    private static string Write(TempDir t, string name, byte[] bytes)
    {
        string p = t.File(name);
        if (!name.EndsWith(".gz", StringComparison.Ordinal)) File.WriteAllBytes(p, bytes);
        else
        {
            using var f = File.Create(p);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        return p;
    }

    private static DataFormatException Refused(byte[] bytes, string name = "x-idx3-ubyte")
    {
        using var t = new TempDir();
        string p = Write(t, name, bytes);
        return Assert.Throws<DataFormatException>(() => IdxFile.Read(p));
    }

    [Fact]
    public void DimensionsWhoseProductOverflowsAreRefused()
    {
        // 2^62 + 1 = 242243305 · 49477 · 384773: with 4 more the 64-bit product wraps to 4, the bytes stored.
        var wrap = Refused(Idx(0x08, [4, 242243305, 49477, 384773], new byte[4]));
        Assert.Contains("overflows 64-bit arithmetic", wrap.Message);
        Assert.Contains("(4, 242243305, 49477, 384773)", wrap.Message);
        var big = Refused(Idx(0x08, [uint.MaxValue, 2], new byte[8]));
        Assert.Contains($"axis 0 has length {uint.MaxValue}, more than this reader supports", big.Message);
        var many = Refused(Idx(0x0E, Enumerable.Repeat(int.MaxValue / 2 + 0u, 8).ToArray(), new byte[8]));
        Assert.Contains("overflows", many.Message);
    }

    [Fact]
    public void HeaderAndFileLengthMustAgreeExactly()
    {
        var shortFile = Refused(Idx(0x08, [2, 3, 3], new byte[17]));
        Assert.Contains("the file should have 34 bytes (16 of header, 18 of data), but it has 33", shortFile.Message);
        Assert.Contains("truncated", shortFile.Message);
        var longFile = Refused(Idx(0x08, [2, 3, 3], new byte[19]));
        Assert.Contains("appended", longFile.Message);
        // Gzipped: too short ends early, too long is caught after the data.
        Assert.Contains("ends early", Refused(Idx(0x08, [2, 3, 3], new byte[17]), "x.gz").Message);
        Assert.Contains("1 more bytes after it", Refused(Idx(0x08, [2, 3, 3], new byte[19]), "x.gz").Message);
        // A gzipped header claiming far more than deflate can expand to is refused before allocating.
        Assert.Contains("more than this gzipped file can hold", Refused(Idx(0x0E, [100000, 100000], new byte[8]), "x.gz").Message);
        // An exact file reads, also with a limit (the whole file is still checked).
        using var t = new TempDir();
        string ok = Write(t, "ok", Idx(0x08, [2, 3, 3], new byte[18]));
        Assert.Equal((2, 9), (IdxFile.Read(ok).Values.Rows, IdxFile.Read(ok).Values.Cols));
        Assert.Equal(1, IdxFile.Read(ok, limit: 1).Values.Rows);
        string zeros = Write(t, "zero", Idx(0x08, [0, 28, 28], []));
        Assert.Equal(0, IdxFile.Read(zeros).Values.Rows);
    }

    [Fact]
    public void FloatIdxWithNaNIsRefusedNamingRowAndColumn()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(12), float.NaN);
        var e = Refused(Idx(0x0D, [2, 2], data));
        Assert.Equal((2, 2), (e.Row, e.Column));
        Assert.Contains("'NaN' is not finite", e.Message);
    }

    [Fact]
    public void MnistLabelsThatAreNotClassIndicesAreRefused()
    {
        using var t = new TempDir();
        string images = Write(t, "i", Idx(0x08, [2, 2, 2], new byte[8]));
        var labels = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(labels.AsSpan(4), 1.5f);
        string lp = Write(t, "l", Idx(0x0D, [2], labels));
        var e = Assert.Throws<DataFormatException>(() => Mnist.Read(images, lp));
        Assert.Equal(2, e.Row);
        Assert.Contains("the label 1.5 is not a class index", e.Message);
    }

    [Fact]
    public void CifarFileThatIsNotAWholeNumberOfRecordsIsRefusedUpFront()
    {
        using var t = new TempDir();
        string p = Write(t, "b.bin", new byte[Cifar10.RecordSize * 2 + 100]);
        var e = Assert.Throws<DataFormatException>(() => Cifar10.Read(p, limit: 1));
        Assert.Contains($"{Cifar10.RecordSize * 2 + 100} bytes, which is not a whole number of {Cifar10.RecordSize}-byte records (2 records and 100 bytes over)", e.Message);
        // Gzipped (length unknown up front): the record that ends early is named.
        string gz = Write(t, "b.bin.gz", new byte[Cifar10.RecordSize + 100]);
        var g = Assert.Throws<DataFormatException>(() => Cifar10.Read(gz));
        Assert.Equal(2, g.Row);
        Assert.Contains("100 of 3073 bytes", g.Message);
    }

    /// <summary>Whatever header an IDX file has, reading ends in a value or a DataFormatException.</summary>
    [Fact]
    public void PropertyRandomIdxHeadersOnlyEverGiveDataFormatException()
    {
        using var t = new TempDir();
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            uint[] choices = [0, 1, 2, 3, 28, 60000, int.MaxValue, 1u << 31, uint.MaxValue];
            int rank = rng.Next(0, 5);
            var dims = Enumerable.Range(0, rank).Select(_ => choices[rng.Next(choices.Length)]).ToArray();
            byte[] types = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07];
            var data = new byte[rng.Next(0, 40)];
            rng.NextBytes(data);
            string p = Write(t, $"f{seed}" + (rng.Next(2) == 0 ? ".gz" : ""), Idx(types[rng.Next(types.Length)], dims, data));
            try
            {
                IdxFile.Read(p, rng.Next(3) == 0 ? rng.Next(0, 3) : null);
                return true;
            }
            catch (DataFormatException)
            {
                return true;
            }
            finally
            {
                File.Delete(p);
            }
        }).QuickCheckThrowOnFailure();
    }
}
