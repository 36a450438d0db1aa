using Tangent.Data;
using Tangent.Numerics;
using static Tangent.Tests.Cli.CliRunner;

namespace Tangent.Tests.Cli;

/// <summary>`tangent predict --method auto|eigen|lanczos` and `--cov none` (docs/SOLVERS.md).</summary>
public sealed class PredictMethodTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-method-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private void WriteData()
    {
        var x = TestData.Random(30, 3, 1);
        var y = Matrix.Build(30, 2, (i, c) => Math.Sin(x[i, 0] + c) + x[i, 1]);
        var xt = TestData.Random(8, 3, 2);
        var yt = Matrix.Build(8, 2, (i, c) => Math.Sin(xt[i, 0] + c) + xt[i, 1]);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("y.npy"), y);
        MatrixFile.Write(P("xt.npy"), xt);
        MatrixFile.Write(P("yt.npy"), yt);
    }

    private string[] Predict(string get, string method, string outMean, params string[] more) =>
        ["predict", "--arch", "dense(w=1.4,b=0.1) relu dense(w=1.4)", "--get", get, "--x-train", P("x.npy"), "--y-train", P("y.npy"),
         "--x-test", P("xt.npy"), "--time", "0,2,50,1e9,inf", "--learning-rate", "0.5", "--method", method, "--out-mean", P(outMean), .. more];

    [Theory]
    [InlineData("ntk")]
    [InlineData("nngp")]
    public void LanczosWritesTheSameMeansAsTheEigendecompositionAndReportsTheKrylovDimension(string get)
    {
        WriteData();
        var (code, output, err) = Run(Predict(get, "eigen", "eigen.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("method: eigen", output);
        (code, output, err) = Run(Predict(get, "lanczos", "lanczos.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("method: lanczos", output);
        Assert.Contains("converged", output);
        Assert.Contains("Krylov dim", output);
        var eigen = Npy.Read(P("eigen.npy")).Values;
        var lanczos = Npy.Read(P("lanczos.npy")).Values;
        Assert.Equal(eigen.Shape, lanczos.Shape);
        double scale = eigen.Data.Select(Math.Abs).Max();
        Assert.True(eigen.MaxAbsDifference(lanczos) <= 1e-8 * scale, $"max difference {eigen.MaxAbsDifference(lanczos):G3}");
    }

    [Theory]
    [InlineData("--out-cov", "--out-cov")]
    [InlineData("--y-test", "--y-test")]
    public void LanczosWithACovarianceIsRefusedNamingTheFix(string option, string named)
    {
        WriteData();
        string value = option == "--out-cov" ? P("var.npy") : P("yt.npy");
        var (code, output, err) = Run(Predict("ntk", "lanczos", "m.npy", option, value));
        Assert.Equal(2, code);
        string line = AssertErrorForm(err, output);
        Assert.Contains("--method lanczos", line);
        Assert.Contains(named, line);
        Assert.Contains("--cov none", err);
        Assert.Contains("--method eigen", err);
        Assert.False(File.Exists(P("m.npy")));
    }

    [Fact]
    public void CovNoneWithTestTargetsShowsTheBiasOnlyAndWorksWithLanczos()
    {
        WriteData();
        var (code, output, err) = Run(Predict("ntk", "lanczos", "m.npy", "--y-test", P("yt.npy"), "--cov", "none"));
        Assert.True(code == 0, err);
        Assert.Contains("bias", output);
        Assert.DoesNotContain("varia", output);                 // no variance column without a covariance
        Assert.True(File.Exists(P("m.npy")));
    }

    [Fact]
    public void CovNoneWithOutCovAndAnUnknownMethodAreRefused()
    {
        WriteData();
        var (code, output, err) = Run(Predict("ntk", "eigen", "m.npy", "--cov", "none", "--out-cov", P("v.npy")));
        Assert.Equal(2, code);
        Assert.Contains("--cov none", AssertErrorForm(err, output));
        (code, output, err) = Run(Predict("ntk", "arnoldi", "m.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--method must be auto, eigen or lanczos, not 'arnoldi'", AssertErrorForm(err, output));
    }
}
