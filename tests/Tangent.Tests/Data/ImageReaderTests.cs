using System.Buffers.Binary;
using System.IO.Compression;
using Tangent.Data;

namespace Tangent.Tests.Data;

public sealed class ImageReaderTests
{
    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        var b = new byte[4];
        foreach (int d in dims) { BinaryPrimitives.WriteInt32BigEndian(b, d); ms.Write(b); }
        ms.Write(data);
        return ms.ToArray();
    }

    private static void WriteFile(string path, byte[] bytes)
    {
        if (!path.EndsWith(".gz")) { File.WriteAllBytes(path, bytes); return; }
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    private static byte Pixel(int n, int h, int w) => (byte)((n * 37 + h * 5 + w * 3) % 256);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MnistSyntheticIdxReadsBack(bool gz)
    {
        using var t = new TempDir();
        const int n = 5, H = 4, W = 3;
        var px = new byte[n * H * W];
        for (int i = 0; i < n; i++) for (int h = 0; h < H; h++) for (int w = 0; w < W; w++) px[(i * H + h) * W + w] = Pixel(i, h, w);
        string ip = t.File(gz ? "img-idx3-ubyte.gz" : "img-idx3-ubyte"), lp = t.File(gz ? "lab-idx1-ubyte.gz" : "lab-idx1-ubyte");
        WriteFile(ip, Idx(0x08, [n, H, W], px));
        WriteFile(lp, Idx(0x08, [n], [3, 1, 4, 1, 5]));
        var set = Mnist.Read(ip, lp);
        Assert.Equal((5, 4, 3, 1), (set.Count, set.Height, set.Width, set.Channels));
        Assert.Equal([3, 1, 4, 1, 5], set.Labels);
        for (int i = 0; i < n; i++) for (int h = 0; h < H; h++) for (int w = 0; w < W; w++)
            Assert.Equal(Pixel(i, h, w) / 255.0, set.Pixels[i, h * W + w]);
        var first = Mnist.Read(ip, lp, limit: 2);
        Assert.Equal(2, first.Count);
        Assert.Equal([3, 1], first.Labels);
        Assert.Equal(set.Pixels.SliceRows(0, 2).Data, first.Pixels.Data);
        Assert.Equal([5, 4, 3, 1], set.Shape);
        Assert.Equal([1, 4], set.Subset([1, 2]).Labels);
        var two = set.WhereClass(1, 5);
        Assert.Equal([0, 0, 1], two.Labels);
        Assert.Equal(["1", "5"], two.ClassNames);
    }

    [Fact]
    public void MnistBadFilesGiveClearErrors()
    {
        using var t = new TempDir();
        string ip = t.File("i"), lp = t.File("l");
        WriteFile(ip, Idx(0x08, [2, 2, 2], new byte[8]));
        WriteFile(lp, Idx(0x08, [3], [0, 1, 2]));
        Assert.Contains("3 labels for 2 images", Assert.Throws<DataFormatException>(() => Mnist.Read(ip, lp)).Message);
        Assert.Contains("swap", Assert.Throws<DataFormatException>(() => Mnist.Read(lp, ip)).Message);
        WriteFile(t.File("trunc"), Idx(0x08, [2, 2, 2], new byte[5]));
        Assert.Contains("should have 24 bytes (16 of header, 8 of data), but it has 21. The file is truncated", Assert.Throws<DataFormatException>(() => IdxFile.Read(t.File("trunc"))).Message);
        WriteFile(t.File("text"), "P5 text"u8.ToArray());
        Assert.Contains("not an IDX file", Assert.Throws<DataFormatException>(() => IdxFile.Read(t.File("text"))).Message);
        WriteFile(t.File("type"), Idx(0x07, [1], [0]));
        Assert.Contains("0x07 is unknown", Assert.Throws<DataFormatException>(() => IdxFile.Read(t.File("type"))).Message);
        var fl = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(fl, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(fl.AsSpan(4), -2f);
        WriteFile(t.File("float"), Idx(0x0D, [2], fl));
        Assert.Equal([1.5, -2], IdxFile.Read(t.File("float")).Values.Data);
    }

    private static byte Cifar(int n, int c, int h, int w) => (byte)((n * 11 + c * 7 + h * 3 + w) % 256);

    private static byte[] CifarRecords(int start, int count)
    {
        var b = new byte[count * Cifar10.RecordSize];
        for (int r = 0; r < count; r++)
        {
            int n = start + r;
            b[r * Cifar10.RecordSize] = (byte)(n % 10);
            for (int c = 0; c < 3; c++) for (int h = 0; h < 32; h++) for (int w = 0; w < 32; w++)
                b[r * Cifar10.RecordSize + 1 + c * 1024 + h * 32 + w] = Cifar(n, c, h, w);
        }
        return b;
    }

    [Fact]
    public void Cifar10ChannelMajorBecomesHWC()
    {
        using var t = new TempDir();
        WriteFile(t.File("a.bin"), CifarRecords(0, 3));
        WriteFile(t.File("b.bin.gz"), CifarRecords(3, 2));
        var set = Cifar10.Read([t.File("a.bin"), t.File("b.bin.gz")]);
        Assert.Equal((5, 32, 32, 3), (set.Count, set.Height, set.Width, set.Channels));
        Assert.Equal([0, 1, 2, 3, 4], set.Labels);
        Assert.Equal("airplane", set.ClassNames[0]);
        for (int n = 0; n < 5; n++) for (int h = 0; h < 32; h += 5) for (int w = 0; w < 32; w += 3) for (int c = 0; c < 3; c++)
            Assert.Equal(Cifar(n, c, h, w) / 255.0, set.Pixels[n, (h * 32 + w) * 3 + c]);
        var four = Cifar10.Read([t.File("a.bin"), t.File("b.bin.gz")], limit: 4);
        Assert.Equal(set.Pixels.SliceRows(0, 4).Data, four.Pixels.Data);
        Assert.Equal(2, Cifar10.Read(t.File("a.bin"), 2).Count);
    }

    [Fact]
    public void Cifar10BadFilesGiveClearErrors()
    {
        using var t = new TempDir();
        var rec = CifarRecords(0, 2);
        WriteFile(t.File("trunc.bin.gz"), rec[..(Cifar10.RecordSize + 100)]);
        var e = Assert.Throws<DataFormatException>(() => Cifar10.Read(t.File("trunc.bin.gz")));
        Assert.Contains("row 2", e.Message);
        Assert.Contains("100 of 3073 bytes", e.Message);
        rec[Cifar10.RecordSize] = 42;
        WriteFile(t.File("label.bin"), rec);
        Assert.Contains("label byte 42", Assert.Throws<DataFormatException>(() => Cifar10.Read(t.File("label.bin"))).Message);
        Assert.Contains("cifar-10-batches-bin", Assert.Throws<DirectoryNotFoundException>(() => Cifar10.ReadDirectory(t.File("nope"))).Message);
        Directory.CreateDirectory(t.File("dir"));
        for (int i = 1; i <= 5; i++) WriteFile(Path.Combine(t.File("dir"), $"data_batch_{i}.bin"), CifarRecords(i, 1));
        WriteFile(Path.Combine(t.File("dir"), "test_batch.bin"), CifarRecords(9, 2));
        var (train, test) = Cifar10.ReadDirectory(t.File("dir"));
        Assert.Equal([1, 2, 3, 4, 5], train.Labels);
        Assert.Equal([9, 0], test.Labels);
    }

    [Fact]
    public void ChannelNormalizerFitsOnTrainPerChannel()
    {
        using var t = new TempDir();
        WriteFile(t.File("a.bin"), CifarRecords(0, 6));
        var set = Cifar10.Read(t.File("a.bin"));
        var (train, test) = (set.Take(4), set.Subset([4, 5]));
        var f = ChannelNormalizer.Fit(train);
        var z = f.Transform(train);
        for (int c = 0; c < 3; c++)
        {
            var vals = Enumerable.Range(0, z.Pixels.Data.Length / 3).Select(i => z.Pixels.Data[i * 3 + c]).ToArray();
            double m = vals.Average();
            double v = vals.Select(x => (x - m) * (x - m)).Average();
            Assert.InRange(m, -1e-12, 1e-12);
            Assert.InRange(v, 1 - 1e-9, 1 + 1e-9);
            var raw = Enumerable.Range(0, train.Pixels.Data.Length / 3).Select(i => train.Pixels.Data[i * 3 + c]).ToArray();
            Assert.Equal(raw.Average(), f.Means[c], 12);
        }
        var zt = f.Transform(test);
        Assert.Equal((test.Pixels[0, 5] - f.Means[2]) / f.StandardDeviations[2], zt.Pixels[0, 5], 12);
        Assert.Equal(test.Labels, zt.Labels);
    }
}

public sealed class ImageSetFromNpyTests
{
    [Fact]
    public void FromNpyReadsChannelsLastImagesAndLabels()
    {
        using var t = new TempDir();
        var px = Tangent.Numerics.Matrix.Build(3, 2 * 2 * 3, (i, j) => i * 12 + j);
        Npy.Write(t.File("x.npy"), px, NpyElementType.Float32, [3, 2, 2, 3]);
        Npy.Write(t.File("y.npy"), Tangent.Numerics.Matrix.Column(2, 0, 1), shape: [3]);
        var set = ImageSet.FromNpy(t.File("x.npy"), t.File("y.npy"), scale: 0.5);
        Assert.Equal((3, 2, 2, 3), (set.Count, set.Height, set.Width, set.Channels));
        Assert.Equal([2, 0, 1], set.Labels);
        Assert.Equal(px.Data.Select(v => v * 0.5), set.Pixels.Data);
        Npy.Write(t.File("g.npy"), px, shape: [3, 3, 4]);
        Assert.Equal(1, ImageSet.FromNpy(t.File("g.npy"), t.File("y.npy")).Channels);
        Npy.Write(t.File("flat.npy"), px);
        Assert.Contains("(n, H, W, C)", Assert.Throws<DataFormatException>(() => ImageSet.FromNpy(t.File("flat.npy"), t.File("y.npy"))).Message);
        Npy.Write(t.File("y2.npy"), Tangent.Numerics.Matrix.Column(2, 0), shape: [2]);
        Assert.Contains("2 labels for 3 images", Assert.Throws<DataFormatException>(() => ImageSet.FromNpy(t.File("x.npy"), t.File("y2.npy"))).Message);
        Npy.Write(t.File("oh.npy"), new Tangent.Numerics.Matrix(3, 2));
        Assert.Contains("one-hot", Assert.Throws<DataFormatException>(() => ImageSet.FromNpy(t.File("x.npy"), t.File("oh.npy"))).Message);
    }
}
