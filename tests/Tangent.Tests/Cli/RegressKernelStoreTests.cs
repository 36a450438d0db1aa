using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary><c>tangent regress --kernel-store K.zarr</c> (docs/SOLVERS.md, "Kernel stores"): the training kernel on disk, computed or resumed, then streamed.</summary>
public sealed class RegressKernelStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-regress-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private void WriteData(int n = 150)
    {
        var x = TestData.Random(n, 3, 1);
        var y = Matrix.Build(n, 2, (i, j) => j == 0 ? Math.Sin(x[i, 0]) + x[i, 1] : x[i, 2] * x[i, 0]);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("y.npy"), y);
        MatrixFile.Write(P("xt.npy"), TestData.Random(20, 3, 2));
    }

    private string[] Args(string outName, params string[] extra) =>
        ["regress", "--kernel", "gaussian", "--gamma", "0.5", "--ridge", "1e-2", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--out", P(outName), .. extra];

    private (int Code, string Out, string Err) Regress(string outName, params string[] extra) => CliRunner.Run(Args(outName, extra));

    private static double Scaled(Matrix a, Matrix b) => a.MaxAbsDifference(b) / Math.Max(b.Data.Max(Math.Abs), double.Epsilon);

    private static Dictionary<string, DateTime> ChunkTimes(string store) =>
        Directory.EnumerateFiles(store).Where(f => !Path.GetFileName(f).StartsWith('.')).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    [Theory]
    [InlineData("cg")]
    [InlineData("eigenpro")]
    public void AStoreSolveEqualsTheInMemorySolveAndCholesky(string solver)
    {
        WriteData();
        var (code, output, err) = Regress("mem.npy", "--solver", solver, "--tolerance", "1e-12", "--max-iterations", "20000");
        Assert.True(code == 0, err);
        (code, _, err) = Regress("exact.npy", "--solver", "cholesky");
        Assert.True(code == 0, err);
        (code, output, err) = Regress("store.npy", "--solver", solver, "--tolerance", "1e-12", "--max-iterations", "20000", "--kernel-store", P("K.zarr"), "--chunk", "40");
        Assert.True(code == 0, err);
        Assert.Contains($"solver: {solver}, ", output);
        Assert.DoesNotContain("NOT converged", output);
        Assert.Contains("16 chunk files written (0 of 16 were done), chunk 40", output);   // 4×4 chunks: 10 computed, 6 of them also mirrored
        var store = MatrixFile.Read(P("store.npy"));
        Assert.True(Scaled(store, MatrixFile.Read(P("mem.npy"))) <= 1e-8, $"store vs memory {Scaled(store, MatrixFile.Read(P("mem.npy"))):G3}");
        Assert.True(Scaled(store, MatrixFile.Read(P("exact.npy"))) <= 1e-6, $"store vs cholesky {Scaled(store, MatrixFile.Read(P("exact.npy"))):G3}");
        Assert.True(KernelStore.Open(P("K.zarr")).Verify().Ok);
    }

    [Fact]
    public void ASecondRunReusesTheStoreWithoutRecomputingIt()
    {
        WriteData();
        var (code, _, err) = Regress("a.npy", "--solver", "cg", "--kernel-store", P("K.zarr"), "--chunk", "64");
        Assert.True(code == 0, err);
        var times = ChunkTimes(P("K.zarr"));
        Assert.Equal(9, times.Count);
        Thread.Sleep(20);
        (code, var output, err) = Regress("b.npy", "--kernel-store", P("K.zarr"));   // auto picks cg; the store's chunk edge is kept
        Assert.True(code == 0, err);
        Assert.Contains("0 chunk files written (9 of 9 were done), chunk 64", output);
        Assert.Contains("solver: cg (auto), ", output);
        Assert.Equal(times, ChunkTimes(P("K.zarr")));
        Assert.Equal(MatrixFile.Read(P("a.npy")).Data, MatrixFile.Read(P("b.npy")).Data);
    }

    [Fact]
    public void AStoreWrittenByTangentKernelIsUsedAsIs()
    {
        WriteData();
        var (code, _, err) = CliRunner.Run("kernel", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5)", "--get", "nngp", "--x1", P("x.npy"), "--out", P("N.zarr"), "--chunk", "50");
        Assert.True(code == 0, err);
        string[] args = ["regress", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5)", "--get", "nngp", "--ridge", "1e-3", "--ridge-relative", "--x-train", P("x.npy"),
            "--y-train", P("y.npy"), "--x-test", P("xt.npy"), "--solver", "cg", "--tolerance", "1e-12"];
        (code, var output, err) = CliRunner.Run([.. args, "--out", P("s.npy"), "--kernel-store", P("N.zarr")]);
        Assert.True(code == 0, err);
        Assert.Contains("0 chunk files written (9 of 9 were done), chunk 50", output);
        (code, _, err) = CliRunner.Run([.. args, "--out", P("m.npy")]);
        Assert.True(code == 0, err);
        Assert.True(Scaled(MatrixFile.Read(P("s.npy")), MatrixFile.Read(P("m.npy"))) <= 1e-8);
    }

    [Theory]
    [InlineData("--gamma 0.7", "kernel 'gaussian(gamma=0.5)' vs 'gaussian(gamma=0.7)'")]
    [InlineData("--x-train {x2}", "input fingerprint")]
    [InlineData("--chunk 30", "--chunk 30 differs from the chunk edge 40")]
    public void AStoreOfAnotherKernelOrOtherInputsIsRefused(string change, string expected)
    {
        WriteData();
        var (code, _, err) = Regress("a.npy", "--solver", "cg", "--kernel-store", P("K.zarr"), "--chunk", "40");
        Assert.True(code == 0, err);
        var x2 = MatrixFile.Read(P("x.npy"));
        x2[0, 0] += 1e-6;
        MatrixFile.Write(P("x2.npy"), x2);
        var times = ChunkTimes(P("K.zarr"));
        var args = Args("b.npy", "--solver", "cg", "--kernel-store", P("K.zarr")).ToList();
        var parts = change.Replace("{x2}", P("x2.npy")).Split(' ');
        int at = args.IndexOf(parts[0]);
        if (at >= 0) args[at + 1] = parts[1];
        else args.AddRange(parts);
        (code, var output, err) = CliRunner.Run([.. args]);
        Assert.Equal(2, code);
        string line = CliRunner.AssertErrorForm(err, output);
        Assert.Contains(expected, line);
        Assert.Contains("--kernel-store", err);
        Assert.False(File.Exists(P("b.npy")));
        Assert.Equal(times, ChunkTimes(P("K.zarr")));
    }

    [Theory]
    [InlineData("--solver cholesky --kernel-store {K}", "--kernel-store works with --solver cg or eigenpro")]
    [InlineData("--solver nystrom --kernel-store {K}", "--kernel-store works with --solver cg or eigenpro")]
    [InlineData("--solver cg --chunk 10", "--chunk applies only to a kernel store")]
    [InlineData("--solver cg --kernel-store {D}/k.npy", "is not a kernel store path")]
    public void StoreOptionsOutsideTheirUseAreOneLineErrors(string options, string expected)
    {
        WriteData();
        var (code, output, err) = Regress("bad.npy", options.Replace("{K}", P("K.zarr")).Replace("{D}", _dir).Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.AssertErrorForm(err, output));
        Assert.False(File.Exists(P("bad.npy")));
        Assert.False(Directory.Exists(P("K.zarr")));
    }

    [Fact]
    public void TheStoreIsRefusedForLinearRegression()
    {
        WriteData();
        var (code, output, err) = CliRunner.Run("regress", "--kernel", "none", "--kernel-store", P("K.zarr"), "--x-train", P("x.npy"), "--y-train", P("y.npy"), "--x-test", P("xt.npy"), "--out", P("l.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--kernel-store applies only to kernel regression", CliRunner.AssertErrorForm(err, output));
    }

    [SkippableFact]
    public void ARegressKilledWhileWritingItsStoreResumesAndPredictsAsAnUninterruptedRun()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sends SIGKILL through libc's kill");
        string? dll = ChildProcess.CliDll();
        Skip.If(dll is null, "Tangent.Cli.dll is not built");
        MatrixFile.Write(P("x.npy"), TestData.Random(1500, 3, 2));
        MatrixFile.Write(P("y.npy"), TestData.Random(1500, 1, 3));
        MatrixFile.Write(P("xt.npy"), TestData.Random(30, 3, 4));
        string[] Run(string store, string output) => ["regress", "--kernel", "laplace", "--ridge", "1e-2", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--solver", "cg", "--kernel-store", P(store), "--chunk", "50", "--out", P(output)];
        var (code, _, err) = CliRunner.Run(Run("ref.zarr", "ref.npy"));
        Assert.True(code == 0, err);

        string sums = P("K.zarr/checksums");
        var (sent, exit) = ChildProcess.RunAndSignalWhen(dll!, Run("K.zarr", "p.npy"), _dir, () => Directory.Exists(sums) && Directory.EnumerateFiles(sums).Count() >= 20, 9);
        Assert.True(sent, $"the store was finished before it could be killed (exit {exit})");
        Assert.False(KernelStore.Open(P("K.zarr")).Info().Complete);
        Assert.False(File.Exists(P("p.npy")));

        (code, var output, err) = CliRunner.Run(Run("K.zarr", "p.npy"));
        Assert.True(code == 0, err);
        Assert.Matches(@"kernel store \S+: \d+ chunk files written \(([1-9]\d*) of 900 were done\)", output);
        Assert.True(KernelStore.Open(P("K.zarr")).Verify().Ok);
        foreach (string f in Directory.EnumerateFiles(P("ref.zarr"), "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(P("ref.zarr"), f);
            Assert.True(File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(P("K.zarr"), rel))), $"{rel} differs");
        }
        Assert.Equal(MatrixFile.Read(P("ref.npy")).Data, MatrixFile.Read(P("p.npy")).Data);
    }
}
