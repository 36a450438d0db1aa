using Tangent.Cli;
using Tangent.Data;
using Tangent.Numerics;
using Tangent.Tests.Data;
using static Tangent.Tests.Cli.CliRunner;

namespace Tangent.Tests.Cli;

public sealed class StoreCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public StoreCommandTests()
    {
        var rng = new Random(5);
        MatrixFile.Write(P("x.csv"), Matrix.Build(23, 3, (_, _) => rng.NextDouble() * 2 - 1));
        MatrixFile.Write(P("xt.csv"), Matrix.Build(9, 3, (_, _) => rng.NextDouble() * 2 - 1));
    }

    public void Dispose() => _dir.Dispose();

    private string P(string name) => _dir.File(name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == TangentCli.Ok, run.Err + run.Out);

    [Theory]
    [InlineData("--kernel", "gaussian", null)]
    [InlineData("--arch", "dense(w=1.5,b=0.1) relu dense(w=1)", "nngp")]
    public void KernelIntoAStoreHoldsTheSameMatrixAsTheNpyOutput(string option, string value, string? get)
    {
        foreach (var x2 in new[] { false, true })
        {
            string[] common = [option, value, .. get is null ? Array.Empty<string>() : ["--get", get], "--x1", P("x.csv"), .. x2 ? new[] { "--x2", P("xt.csv") } : []];
            string zarr = P($"K{x2}{get}.zarr"), npy = P($"K{x2}{get}.npy");
            Ok(Run(["kernel", .. common, "--out", npy]));
            var run = Run(["kernel", .. common, "--out", zarr, "--chunk", "5"]);
            Ok(run);
            Assert.Contains("done", run.Out);
            var expected = Npy.ReadMatrix(npy);
            var stored = KernelStore.Open(zarr).ReadAll();
            Assert.True(expected.MaxAbsDifference(stored) <= 1e-14 * expected.Data.Max(Math.Abs));
            if (get is null) DataTestHelpers.BitwiseEqual(expected, stored);
            var info = Run("store", "info", zarr);
            Ok(info);
            Assert.Contains($"{expected.Rows}×{expected.Cols}, chunks 5×5", info.Out);
            Assert.Contains($"kind {get ?? "classical"}", info.Out);
            Assert.Contains(x2 ? "K(X1, X2)" : "symmetric", info.Out);
            int total = ((expected.Rows + 4) / 5) * ((expected.Cols + 4) / 5);
            Assert.Contains($"{total} of {total} done", info.Out);
        }
    }

    [Fact]
    public void ShardsInAnyOrderFillOneStoreThatVerifies()
    {
        string[] args = ["kernel", "--kernel", "laplace", "--x1", P("x.csv"), "--out", P("K.zarr"), "--chunk", "4"];
        Ok(Run(["kernel", "--kernel", "laplace", "--x1", P("x.csv"), "--out", P("ref.zarr"), "--chunk", "4"]));
        var first = Run([.. args, "--shard", "2/3"]);
        Ok(first);
        Assert.Contains("incomplete", first.Out);
        var (code, _, err) = Run("store", "verify", P("K.zarr"));
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("incomplete", AssertErrorForm(err));
        Assert.Contains("incomplete", Run("store", "info", P("K.zarr")).Out);
        Ok(Run([.. args, "--shard", "0/3"]));
        Ok(Run([.. args, "--shard", "1/3"]));
        var verify = Run("store", "verify", P("K.zarr"));
        Ok(verify);
        Assert.Contains("36 of 36 chunks", verify.Out);
        DataTestHelpers.BitwiseEqual(KernelStore.Open(P("ref.zarr")).ReadAll(), KernelStore.Open(P("K.zarr")).ReadAll());
        var again = Run(args);   // complete: nothing to do
        Ok(again);
        Assert.Contains("0 chunk files now", again.Out);
    }

    [Fact]
    public void VerifyNamesACorruptedChunkAndExitsTwo()
    {
        string[] args = ["kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--x2", P("xt.csv"), "--out", P("K.zarr"), "--chunk", "8"];
        Ok(Run(args));
        var bytes = File.ReadAllBytes(P("K.zarr/1.0"));
        bytes[^1] ^= 1;
        File.WriteAllBytes(P("K.zarr/1.0"), bytes);
        var (code, output, err) = Run("store", "verify", P("K.zarr"));
        Assert.Equal(TangentCli.BadInput, code);
        string line = AssertErrorForm(err, output);
        Assert.Contains("1 of 6 chunks that do not match their checksum: 1.0;", line);
        Ok(Run(args));   // the same command recomputes it
        Ok(Run("store", "verify", P("K.zarr")));
    }

    [Fact]
    public void AStoreOfOtherInputsOrAUsersFolderIsRefusedAndLeftAsIs()
    {
        Ok(Run("kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P("K.zarr"), "--chunk", "8"));
        var before = Directory.GetFiles(P("K.zarr"), "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();
        foreach (var args in new[]
        {
            new[] { "kernel", "--kernel", "gaussian", "--x1", P("xt.csv"), "--out", P("K.zarr"), "--chunk", "8" },
            new[] { "kernel", "--kernel", "laplace", "--x1", P("x.csv"), "--out", P("K.zarr"), "--chunk", "8" },
            new[] { "kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P("K.zarr"), "--chunk", "4" },
        })
        {
            var (code, output, err) = Run(args);
            Assert.Equal(TangentCli.BadInput, code);
            Assert.Contains("holds another matrix", AssertErrorForm(err, output));
        }
        var after = Directory.GetFiles(P("K.zarr"), "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();
        Assert.Equal(before.Select(b => b.f), after.Select(a => a.f));
        Assert.All(before.Zip(after), p => Assert.Equal(p.First.Item2, p.Second.Item2));

        Directory.CreateDirectory(P("mine.zarr"));
        File.WriteAllText(P("mine.zarr/keep.txt"), "mine");
        foreach (var args in new[] { new[] { "kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P("mine.zarr") }, ["store", "info", P("mine.zarr")], ["store", "verify", P("mine.zarr")] })
        {
            var (code, output, err) = Run(args);
            Assert.Equal(TangentCli.BadInput, code);
            Assert.Contains("not a Tangent kernel store", AssertErrorForm(err, output));
        }
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(P("mine.zarr")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("K.npy", "--chunk", "4", "--chunk applies only to a kernel store")]
    [InlineData("K.csv", "--shard", "0/2", "--shard applies only to a kernel store")]
    [InlineData("K.zarr", "--dtype", "float16", "--dtype: The dtype 'float16' is not float64 or float32; give --dtype float64 (the default) or --dtype float32.")]
    [InlineData("K.npy", "--dtype", "", "--dtype: The dtype '' is not float64 or float32")]
    [InlineData("K.csv", "--dtype", "float32", "--dtype float32 applies to a .npy or .zarr output")]
    [InlineData("K.csv", "--float32", null, "--dtype float32 applies to a .npy or .zarr output")]
    [InlineData("K.zarr", "--shard", "2/2", "--shard: The shard '2/2' is not of the form i/N")]
    [InlineData("K.zarr", "--chunk", "0", "--chunk")]
    public void StoreOptionsAreRefusedWhereTheyDoNotApply(string output, string option, string? value, string message)
    {
        string[] args = ["kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P(output), option, .. value is null ? Array.Empty<string>() : [value]];
        var (code, o, err) = Run(args);
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains(message, AssertErrorForm(err, o));
        Assert.False(Path.Exists(P(output)));
    }

    [Fact]
    public void AnInterruptedRunExits130AndTheSameCommandCompletesTheStore()
    {
        string[] args = ["kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P("K.zarr"), "--chunk", "6"];
        var (code, output, err) = Run(new CancellationToken(canceled: true), args);
        Assert.Equal(TangentCli.Interrupted, code);
        Assert.Equal(TangentCli.InterruptedMessage, AssertErrorForm(err, output));
        Ok(Run(args));
        Ok(Run("store", "verify", P("K.zarr")));
        DataTestHelpers.BitwiseEqual(Tangent.Kernels.ClassicalKernel.Gaussian(1.0 / 3).Compute(MatrixFile.Read(P("x.csv"))), KernelStore.Open(P("K.zarr")).ReadAll());
    }

    [Fact]
    public void DtypeFloat32WritesAFloat32StoreThatResumesOnlyAsFloat32()
    {
        string[] common = ["kernel", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1)", "--get", "ntk", "--x1", P("x.csv")];
        Ok(Run([.. common, "--out", P("K64.npy")]));
        Ok(Run([.. common, "--out", P("K32.npy"), "--dtype", "float32"]));
        Ok(Run([.. common, "--out", P("old32.npy"), "--float32"]));
        var run = Run([.. common, "--chunk", "6", "--out", P("K.zarr"), "--dtype", "float32"]);
        Ok(run);
        var k64 = Npy.ReadMatrix(P("K64.npy"));
        var k32 = Npy.ReadMatrix(P("K32.npy"));
        Assert.Equal(NpyElementType.Float32, Npy.Read(P("K32.npy")).ElementType);
        DataTestHelpers.BitwiseEqual(k32, Npy.ReadMatrix(P("old32.npy")));   // --float32 is the old name of --dtype float32
        var stored = KernelStore.Open(P("K.zarr")).ReadAll();
        Assert.True(stored.MaxAbsDifference(k32) <= 1e-6 * k32.Data.Max(Math.Abs));
        Assert.True(k64.MaxAbsDifference(k32) <= 1e-4 * k64.Data.Max(Math.Abs), $"float32 differs from float64 by {k64.MaxAbsDifference(k32)}");
        Assert.True(k64.MaxAbsDifference(k32) > 0);
        var info = Run("store", "info", P("K.zarr"));
        Ok(info);
        Assert.Contains("dtype <f4 = float32", info.Out);
        Assert.Contains("chunks 6×6, dtype float32", info.Out);
        var (code, output, err) = Run([.. common, "--chunk", "6", "--out", P("K.zarr"), "--dtype", "float64"]);
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("holds float32 entries but float64 was asked for; it is left as is. Give --dtype float32 to continue it, or a new --out path.", AssertErrorForm(err, output));
        (code, output, err) = Run([.. common, "--chunk", "6", "--out", P("K.zarr")]);   // the default is float64
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("Give --dtype float32", AssertErrorForm(err, output));
        var again = Run([.. common, "--chunk", "6", "--out", P("K.zarr"), "--dtype", "float32"]);
        Ok(again);
        Assert.Contains("0 chunk files now", again.Out);
        Ok(Run("store", "verify", P("K.zarr")));
    }

    [Fact]
    public void Float32AndDtypeFloat64TogetherAreRefused()
    {
        var (code, output, err) = Run("kernel", "--kernel", "gaussian", "--x1", P("x.csv"), "--out", P("K.npy"), "--float32", "--dtype", "float64");
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("--float32 (the old name of --dtype float32) contradicts --dtype float64", AssertErrorForm(err, output));
        Assert.False(File.Exists(P("K.npy")));
    }

    [Fact]
    public void StoreInfoOfAMissingPathSaysHowToMakeIt()
    {
        var (code, output, err) = Run("store", "info", P("none.zarr"));
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("does not exist; create it with tangent kernel", AssertErrorForm(err, output));
    }
}
