using Tangent.Cli;
using Tangent.Data;
using Tangent.Layers;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers.Images;

/// <summary>Runs alone: --memory-budget sets the process-wide default budget of the convolutional engine.</summary>
[CollectionDefinition(nameof(MemoryBudgetCollection), DisableParallelization = true)]
public sealed class MemoryBudgetCollection;

/// <summary>tangent kernel with a budget too small: exit code 2 and a one-line error that says how much is needed and how to fit.</summary>
[Collection(nameof(MemoryBudgetCollection))]
public sealed class CntkMemoryBudgetCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cntk-mem-").FullName;

    public void Dispose()
    {
        ConvolutionalKernel.DefaultMemoryBudget = null;
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TooSmallBudgetExplainsAndAFittingOneGivesTheSameKernel()
    {
        string x = Path.Combine(_dir, "x.npy");
        var images = RandomInputs(10, 16 * 16, 3);
        Npy.Write(x, images, shape: [10, 16, 16, 1]);
        const string Arch = "conv(size=3,w=1.41) relu global_avg_pool dense";
        var o = new StringWriter(); var e = new StringWriter();
        int code = TangentCli.Run(["kernel", "--arch", Arch, "--x1", x, "--memory-budget", "2MB", "--out", Path.Combine(_dir, "k.npy")], o, e);
        Assert.Equal(2, code);
        Assert.Contains("MiB", e.ToString());
        Assert.Contains("--memory-budget", e.ToString());
        // 65,536 pixel pairs per image pair: 2 MiB per thread and segment column; 40 MB fits a few columns.
        code = TangentCli.Run(["kernel", "--arch", Arch, "--get", "nngp", "--x1", x, "--memory-budget", "40MB", "--out", Path.Combine(_dir, "k.npy")], o, e);
        Assert.True(code == 0, e.ToString());
        ConvolutionalKernel.DefaultMemoryBudget = null;
        var expected = Tangent.Layers.Architecture.Parse(Arch).WithInputShape(new ImageShape(16, 16, 1)).ComputeKernels(images, null, Tangent.Layers.KernelOutputs.Nngp).Nngp;
        Assert.True(MatrixFile.Read(Path.Combine(_dir, "k.npy")).MaxAbsDifference(expected) < 1e-12);
        code = TangentCli.Run(["kernel", "--arch", Arch, "--x1", x, "--memory-budget", "x", "--out", Path.Combine(_dir, "k.npy")], o, e);
        Assert.Equal(2, code);
        Assert.Contains("4GB", e.ToString());
    }
}
