using System.Buffers.Binary;
using System.IO.Compression;
using Tangent.Cli;
using Tangent.Data;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers.Images;

/// <summary>tangent kernel / regress / predict on image data: 4-D .npy inputs, --images npy:… and mnist:DIR (synthetic IDX files).</summary>
public sealed class CntkCliTests : IDisposable
{
    private const string Arch = "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)";
    private static readonly ImageShape Shape = new(5, 5, 2);
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cntk-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = TangentCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private (Matrix X, int[] Labels) WriteImages(string stem, int n, int seed)
    {
        var x = RandomInputs(n, Shape.Features, seed);
        var labels = Enumerable.Range(0, n).Select(i => (i * 7 + seed) % 3).ToArray();
        // Make the classes learnable: class c brightens channel 0 of row c.
        for (int i = 0; i < n; i++) for (int w = 0; w < Shape.Width; w++) x[i, (labels[i] * Shape.Width + w) * Shape.Channels] += 3;
        Npy.Write(P(stem + "_x.npy"), x, shape: [n, Shape.Height, Shape.Width, Shape.Channels]);
        Npy.Write(P(stem + "_y.npy"), new Matrix(n, 1, labels.Select(l => (double)l).ToArray()));
        return (x, labels);
    }

    [Fact]
    public void KernelOfFourDimensionalNpyEqualsTheLibrary()
    {
        var (x, _) = WriteImages("a", 6, 1);
        var (code, output, err) = Run("kernel", "--arch", Arch, "--get", "ntk", "--x1", P("a_x.npy"), "--out", P("k.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("wrote", output);
        var expected = Architecture.Parse(Arch).WithInputShape(Shape).ComputeKernels(x, null, KernelOutputs.Ntk).Ntk;
        Assert.True(MatrixFile.Read(P("k.npy")).MaxAbsDifference(expected) < 1e-12);

        // The same rows as CSV need --image-shape; without it the error says so.
        MatrixFile.Write(P("a_x.csv"), x);
        (code, _, err) = Run("kernel", "--arch", Arch, "--x1", P("a_x.csv"), "--out", P("k2.npy"));
        Assert.Equal(2, code);
        Assert.Contains("image shape", err);
        (code, _, err) = Run("kernel", "--arch", Arch, "--get", "ntk", "--x1", P("a_x.csv"), "--image-shape", "5x5x2", "--out", P("k2.npy"));
        Assert.True(code == 0, err);
        Assert.True(MatrixFile.Read(P("k2.npy")).MaxAbsDifference(expected) < 1e-12);
    }

    [Fact]
    public void ImagesOptionGivesTrainTestKernelsAndPredictions()
    {
        var (x, _) = WriteImages("tr", 24, 2);
        var (xt, _) = WriteImages("te", 9, 3);
        string images = $"npy:{P("tr_x.npy")},{P("tr_y.npy")},{P("te_x.npy")},{P("te_y.npy")}";
        var (code, _, err) = Run("kernel", "--arch", Arch, "--get", "nngp", "--images", images, "--split", "train-test", "--limit", "10", "--out", P("k.npy"));
        Assert.True(code == 0, err);
        var expected = Architecture.Parse(Arch).WithInputShape(Shape).ComputeKernels(x.SliceRows(0, 10), xt, KernelOutputs.Nngp).Nngp;
        Assert.True(MatrixFile.Read(P("k.npy")).MaxAbsDifference(expected) < 1e-12);

        (code, var output, err) = Run("regress", "--arch", Arch, "--images", images, "--normalize", "--ridge", "1e-6", "--ridge-relative", "--out", P("pred.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("test accuracy", output);
        Assert.Equal((9, 3), (MatrixFile.Read(P("pred.npy")).Rows, MatrixFile.Read(P("pred.npy")).Cols));

        (code, output, err) = Run("predict", "--arch", Arch, "--images", images, "--label-shift", "-0.1", "--ridge", "1e-6", "--ridge-relative", "--out-mean", P("mean.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("accuracy", output);
    }

    [Theory]
    [InlineData("regress", "--out")]
    [InlineData("predict", "--out-mean")]
    public void ImageClassTargetsRefuseTargetStandardization(string command, string outOption)
    {
        WriteImages("tr", 12, 2);
        WriteImages("te", 4, 3);
        string images = $"npy:{P("tr_x.npy")},{P("tr_y.npy")},{P("te_x.npy")},{P("te_y.npy")}";
        var (code, _, err) = Run(command, "--arch", Arch, "--images", images, "--standardize-target", outOption, P("never.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--standardize-target applies to regression targets", err);
        Assert.False(File.Exists(P("never.npy")));
    }

    private static byte[] Idx(int[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, 0x08, (byte)dims.Length]);
        var b = new byte[4];
        foreach (int d in dims) { BinaryPrimitives.WriteInt32BigEndian(b, d); ms.Write(b); }
        ms.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void MnistFolderWorksGzippedAndSaysWhatIsMissing()
    {
        var rng = new Random(5);
        void Write(string name, byte[] bytes)
        {
            using var f = File.Create(P(name + ".gz"));
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        foreach (var (split, n) in new[] { ("train", 12), ("t10k", 5) })
        {
            var px = new byte[n * 6 * 6]; rng.NextBytes(px);
            Write($"{split}-images-idx3-ubyte", Idx([n, 6, 6], px));
            Write($"{split}-labels-idx1-ubyte", Idx([n], Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray()));
        }
        var (code, output, err) = Run("regress", "--arch", "conv(size=3,w=1.41) relu global_avg_pool dense", "--images", $"mnist:{_dir}", "--limit", "8", "--out", P("p.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("8 train / 5 test", output);
        var (code2, _, err2) = Run("kernel", "--arch", Arch, "--images", $"mnist:{P("missing")}", "--out", P("k.npy"));
        Assert.Equal(2, code2);
        Assert.Contains("does not exist", err2);
    }
}
