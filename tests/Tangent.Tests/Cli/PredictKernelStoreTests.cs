using Tangent.Data;
using Tangent.Numerics;
using static Tangent.Tests.Cli.CliRunner;

namespace Tangent.Tests.Cli;

/// <summary><c>tangent predict --kernel-store K.zarr</c> (docs/SOLVERS.md, "Ensemble means from a kernel store"): the ensemble mean streamed from a store.</summary>
public sealed class PredictKernelStoreTests : IDisposable
{
    private const string Arch = "dense(w=1.4,b=0.1) relu dense(w=1.4)";

    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-predict-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private void WriteData()
    {
        var x = TestData.Random(50, 3, 1);
        var y = Matrix.Build(50, 2, (i, c) => Math.Sin(x[i, 0] + c) + x[i, 1]);
        var xt = TestData.Random(9, 3, 2);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("x2.npy"), TestData.Random(50, 3, 3));
        MatrixFile.Write(P("y.npy"), y);
        MatrixFile.Write(P("xt.npy"), xt);
        MatrixFile.Write(P("yt.npy"), Matrix.Build(9, 2, (i, c) => Math.Sin(xt[i, 0] + c) + xt[i, 1]));
    }

    private string[] Predict(string get, string outMean, params string[] more) =>
        ["predict", "--arch", Arch, "--get", get, "--x-train", P("x.npy"), "--y-train", P("y.npy"), "--x-test", P("xt.npy"),
         "--time", "0,2,50,inf", "--learning-rate", "0.5", "--ridge", "1e-3", "--ridge-relative", "--cov", "none", "--out-mean", P(outMean), .. more];

    /// <summary>The arguments with each "--option value" (or flag) of <paramref name="change"/> replacing the same option's value, or added.</summary>
    private static string[] With(string[] args, string change)
    {
        var list = args.ToList();
        var parts = change.Split(' ');
        for (int i = 0; i < parts.Length; i += 2)
        {
            int at = list.IndexOf(parts[i]);
            if (at >= 0) list[at + 1] = parts[i + 1];
            else list.AddRange([parts[i], parts[i + 1]]);
        }
        return [.. list];
    }

    private static Dictionary<string, DateTime> ChunkTimes(string store) =>
        Directory.EnumerateFiles(store).Where(f => !Path.GetFileName(f).StartsWith('.')).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    private static double Scaled(Matrix a, Matrix b) => a.MaxAbsDifference(b) / Math.Max(b.Data.Max(Math.Abs), double.Epsilon);

    [Theory]
    [InlineData("ntk")]
    [InlineData("nngp")]
    public void StoreMeansEqualTheInMemoryLanczosAndEigenMeansAtEveryTime(string get)
    {
        WriteData();
        var (code, output, err) = Run(Predict(get, "store.npy", "--kernel-store", P("K.zarr"), "--chunk", "16", "--tolerance", "1e-13"));
        Assert.True(code == 0, err);
        Assert.Contains($"kernel store {P("K.zarr")}: 16 chunk files written (0 of 16 were done), chunk 16", output);   // 4×4 chunks for 50 rows
        Assert.Contains("method: lanczos from the kernel store", output);
        Assert.Contains("t = inf: conjugate gradient", output);
        Assert.DoesNotContain("NOT converged", output);
        (code, _, err) = Run(Predict(get, "lanczos.npy", "--method", "lanczos"));
        Assert.True(code == 0, err);
        (code, _, err) = Run(Predict(get, "eigen.npy", "--method", "eigen"));
        Assert.True(code == 0, err);
        var store = Npy.Read(P("store.npy")).Values;
        Assert.Equal(4 * 9 * 2, store.Data.Length);
        var fourTimes = new[] { "lanczos.npy", "eigen.npy" };
        foreach (var other in fourTimes)
        {
            var expected = Npy.Read(P(other)).Values;
            Assert.Equal(expected.Shape, store.Shape);
            // each time's slice (T, n*, k): relative to that slice's largest entry (t = 0 is exactly 0 on every path)
            for (int q = 0; q < 4; q++)
            {
                var a = new Matrix(9, 2, store.Data.AsSpan(q * 18, 18).ToArray());
                var b = new Matrix(9, 2, expected.Data.AsSpan(q * 18, 18).ToArray());
                Assert.True(q == 0 ? a.Data.All(v => v == 0) && b.Data.All(v => v == 0) : Scaled(a, b) <= 1e-8, $"{other}, time {q}: {Scaled(a, b):G3}");
            }
        }
    }

    [Fact]
    public void ASecondRunReusesTheStoreWithoutWritingAChunk()
    {
        WriteData();
        var (code, _, err) = Run(Predict("ntk", "a.npy", "--kernel-store", P("K.zarr"), "--chunk", "20"));
        Assert.True(code == 0, err);
        var times = ChunkTimes(P("K.zarr"));
        Assert.Equal(9, times.Count);
        Thread.Sleep(20);
        (code, var output, err) = Run(Predict("ntk", "b.npy", "--kernel-store", P("K.zarr"), "--y-test", P("yt.npy")));
        Assert.True(code == 0, err);
        Assert.Contains("0 chunk files written (9 of 9 were done), chunk 20", output);
        Assert.Contains("bias", output);
        Assert.Equal(times, ChunkTimes(P("K.zarr")));
        Assert.Equal(Npy.Read(P("a.npy")).Values.Data, Npy.Read(P("b.npy")).Values.Data);
    }

    [Fact]
    public void AStoreOfTheNtkWrittenByTangentKernelServesTheNtkEnsembleAsIs()
    {
        WriteData();
        var (code, _, err) = Run("kernel", "--arch", Arch, "--get", "ntk", "--x1", P("x.npy"), "--out", P("T.zarr"), "--chunk", "25");
        Assert.True(code == 0, err);
        (code, var output, err) = Run(Predict("ntk", "s.npy", "--kernel-store", P("T.zarr")));
        Assert.True(code == 0, err);
        Assert.Contains("0 chunk files written (4 of 4 were done), chunk 25", output);
        (code, _, err) = Run(Predict("ntk", "m.npy", "--method", "lanczos"));
        Assert.True(code == 0, err);
        Assert.True(Scaled(Npy.Read(P("s.npy")).Values, Npy.Read(P("m.npy")).Values) <= 1e-8);
    }

    [Theory]
    [InlineData("--get nngp", "kind")]
    [InlineData("--x-train {x2}", "input fingerprint")]
    [InlineData("--chunk 10", "--chunk 10 differs from the chunk edge 16")]
    public void AMismatchedStoreIsRefusedAndLeftAsIs(string change, string expected)
    {
        WriteData();
        var (code, _, err) = Run(Predict("ntk", "a.npy", "--kernel-store", P("K.zarr"), "--chunk", "16"));
        Assert.True(code == 0, err);
        var times = ChunkTimes(P("K.zarr"));
        (code, var output, err) = Run(With(Predict("ntk", "b.npy", "--kernel-store", P("K.zarr")), change.Replace("{x2}", P("x2.npy"))));
        Assert.Equal(2, code);
        Assert.Contains(expected, AssertErrorForm(err, output));
        Assert.Contains("--kernel-store", err);
        Assert.False(File.Exists(P("b.npy")));
        Assert.Equal(times, ChunkTimes(P("K.zarr")));
    }

    [Theory]
    [InlineData("--kernel-store {K} --method eigen", "--method eigen needs the whole kernel in memory", "drop --method eigen")]
    [InlineData("--kernel-store {K} --cov diag", "--cov diag asks for the covariance", "give --cov none")]
    [InlineData("--kernel-store {K} --cov full", "--cov full asks for the covariance", "give --cov none")]
    [InlineData("--kernel-store {K} --cov diag --out-cov {D}/v.npy", "--cov diag asks for the covariance", "give --cov none")]
    [InlineData("--kernel-store {K} --ridge 0", "needs a ridge", "give --ridge")]
    [InlineData("--kernel-store {D}/k.npy", "is not a kernel store path", "ending in .zarr")]
    [InlineData("--chunk 10", "--chunk applies only to the train-train kernel in a store", "--kernel-store K.zarr")]
    [InlineData("--tolerance 1e-6", "--tolerance applies only to the train-train kernel in a store", "--kernel-store K.zarr")]
    [InlineData("--max-iterations 50", "--max-iterations applies only to the train-train kernel in a store", "--kernel-store K.zarr")]
    public void StoreOptionsOutsideTheirUseAreOneLineErrors(string options, string expected, string fix)
    {
        WriteData();
        var (code, output, err) = Run(With(Predict("ntk", "bad.npy"), options.Replace("{K}", P("K.zarr")).Replace("{D}", _dir)));
        Assert.Equal(2, code);
        Assert.Contains(expected, AssertErrorForm(err, output));
        Assert.Contains(fix, err);
        Assert.False(File.Exists(P("bad.npy")));
        Assert.False(Directory.Exists(P("K.zarr")));
    }

    [Theory]
    [InlineData("--out-cov", "--out-cov asks for the covariance")]
    [InlineData("--y-test", "--y-test (the variance term of the test error) needs the covariance")]
    public void ACovarianceThroughTheDefaultCovIsRefusedNamingCovNone(string option, string expected)
    {
        WriteData();
        var args = Predict("ntk", "bad.npy", "--kernel-store", P("K.zarr"), option, option == "--out-cov" ? P("v.npy") : P("yt.npy")).ToList();
        int at = args.IndexOf("--cov");
        args.RemoveRange(at, 2);   // the default --cov diag
        var (code, output, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, AssertErrorForm(err, output));
        Assert.Contains("--cov none", err);
        Assert.False(File.Exists(P("bad.npy")));
        Assert.False(Directory.Exists(P("K.zarr")));
    }
}
