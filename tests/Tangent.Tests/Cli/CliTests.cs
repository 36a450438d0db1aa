using Tangent.Cli;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary>The command line, run in-process: exit codes, outputs, one-line errors.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = TangentCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private void WriteData()
    {
        var x = TestData.Random(30, 3, 1);
        var y = Matrix.Build(30, 1, (i, _) => Math.Sin(x[i, 0]) + x[i, 1]);
        var xt = TestData.Random(8, 3, 2);
        var yt = Matrix.Build(8, 1, (i, _) => Math.Sin(xt[i, 0]) + xt[i, 1]);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("y.csv"), y);
        MatrixFile.Write(P("xt.csv"), xt);
        MatrixFile.Write(P("yt.npy"), yt);
    }

    [Fact]
    public void KernelCommandWritesTheSameMatrixAsTheLibrary()
    {
        WriteData();
        var (code, output, err) = Run("kernel", "--kernel", "gaussian", "--gamma", "0.5", "--x1", P("x.npy"), "--x2", P("xt.csv"), "--out", P("k.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("wrote", output);
        var k = MatrixFile.Read(P("k.csv"));
        var expected = Tangent.Kernels.ClassicalKernel.Gaussian(0.5).Compute(MatrixFile.Read(P("x.npy")), MatrixFile.Read(P("xt.csv")));
        Assert.True(k.MaxAbsDifference(expected) < 1e-15);

        (code, _, err) = Run("kernel", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1)", "--get", "nngp", "--x1", P("x.npy"), "--out", P("nngp.npy"));
        Assert.True(code == 0, err);
        var nngp = MatrixFile.Read(P("nngp.npy"));
        var arch = Tangent.Layers.Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1)");
        Assert.True(nngp.MaxAbsDifference(arch.ComputeKernels(MatrixFile.Read(P("x.npy")), null, Tangent.Layers.KernelOutputs.Nngp).Nngp) < 1e-15);
    }

    [Theory]
    [InlineData("laplace", false)]
    [InlineData("laplace", true)]
    [InlineData("none", false)]
    [InlineData("none", true)]
    public void RidgeOptionsMapOntoTheOneRidgeType(string kernel, bool relative)
    {
        WriteData();
        string[] args = ["regress", "--kernel", kernel, "--ridge", "0.3", "--x-train", P("x.npy"), "--y-train", P("y.csv"), "--x-test", P("xt.csv"), "--out", P("pred.csv")];
        var (code, _, err) = Run(relative ? [.. args, "--ridge-relative"] : args);
        Assert.True(code == 0, err);
        var (x, y, xt) = (MatrixFile.Read(P("x.npy")), MatrixFile.Read(P("y.csv")), MatrixFile.Read(P("xt.csv")));
        var ridge = relative ? Tangent.Dynamics.Ridge.Relative(0.3) : Tangent.Dynamics.Ridge.Absolute(0.3);
        var expected = kernel == "none"
            ? new Tangent.Models.LinearRegression { Method = Tangent.Models.LinearMethod.Ridge, Ridge = ridge }.Fit(x, y).Predict(xt)
            : new Tangent.Models.KernelRegression(Tangent.Kernels.ClassicalKernel.Laplace(1.0 / 3)) { Ridge = ridge }.Fit(x, y).Predict(xt);
        Assert.True(MatrixFile.Read(P("pred.csv")).MaxAbsDifference(expected) < 1e-12);
    }

    [Fact]
    public void RegressAndPredictRunEndToEnd()
    {
        WriteData();
        var (code, output, err) = Run("regress", "--kernel", "laplace", "--ridge", "1e-3", "--x-train", P("x.npy"), "--y-train", P("y.csv"),
            "--x-test", P("xt.csv"), "--y-test", P("yt.npy"), "--out", P("pred.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("test MSE", output);
        Assert.Equal(8, MatrixFile.Read(P("pred.csv")).Rows);

        (code, output, err) = Run("predict", "--arch", "dense(w=1.4) erf dense(w=1)", "--x-train", P("x.npy"), "--y-train", P("y.csv"),
            "--x-test", P("xt.csv"), "--y-test", P("yt.npy"), "--time", "1,100,inf", "--learning-rate", "0.5",
            "--out-mean", P("mean.npy"), "--out-cov", P("var.npy"), "--plot", P("err.png"));
        Assert.True(code == 0, err);
        Assert.Contains("variance", output);
        var mean = Npy.Read(P("mean.npy"));                 // several times: one file with a leading time axis
        Assert.Equal([3, 8, 1], mean.Shape);
        var variances = Npy.Read(P("var.npy"));
        Assert.Equal([3, 8, 1], variances.Shape);
        Assert.All(variances.Values.Data, x => Assert.True(x >= -1e-10));
        Assert.True(new FileInfo(P("err.png")).Length > 1000);
    }

    [Theory]
    [InlineData("missing file", "kernel --kernel linear --x1 /nonexistent/x.csv --out k.csv", "does not exist")]
    [InlineData("unknown kernel", "kernel --kernel gauss --x1 X --out k.csv", "--kernel: unknown kernel 'gauss'")]
    [InlineData("typo in spec", "kernel --arch dense(w=1)_relu --x1 X --out k.csv", "column")]
    [InlineData("kernel and arch", "kernel --kernel linear --arch relu --x1 X --out k.csv", "not both")]
    [InlineData("unstable learning rate", "predict --arch dense(w=1) --x-train X --y-train Y --x-test X --time 5 --learning-rate 1e6 --out-mean m.csv", "bound")]
    [InlineData("bad time", "predict --arch dense(w=1) --x-train X --y-train Y --x-test X --time soon --out-mean m.csv", "--time")]
    [InlineData("unstable gd", "regress --kernel none --learning-rate 1e6 --x-train X --y-train Y --x-test X --out p.csv", "stable bound")]
    [InlineData("unknown command", "frobnicate", "")]
    public void BadInputGetsExitCodeTwoAndAOneLineError(string _, string args, string expected)
    {
        WriteData();
        var argv = args.Split(' ').Select(a => a switch { "X" => P("x.npy"), "Y" => P("y.csv"), "k.csv" or "m.csv" or "p.csv" => P(a), _ => a }).ToArray();
        var (code, _, err) = Run(argv);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err); // never a stack trace
    }

    [Fact]
    public void RaggedCsvNamesTheRow()
    {
        File.WriteAllText(P("bad.csv"), "1,2,3\n4,5\n");
        var (code, _, err) = Run("kernel", "--kernel", "linear", "--x1", P("bad.csv"), "--out", P("k.csv"));
        Assert.Equal(2, code);
        Assert.Contains("row 2", err);
        Assert.False(File.Exists(P("k.csv")));
    }

    [Fact]
    public void InfoNamesTheProvider()
    {
        var (code, output, _) = Run("info", "--provider", "managed");
        Assert.Equal(0, code);
        Assert.Contains("provider:  managed", output);
        LinearAlgebra.Use(ProviderKind.Auto);
    }

    [Fact]
    public void DemoWritesAReportWithPlots()
    {
        var (code, output, err) = Run("demo", "--out", P("demo"));
        Assert.True(code == 0, err);
        Assert.Contains("report:", output);
        Assert.True(File.Exists(P(Path.Combine("demo", "README.md"))));
        Assert.NotEmpty(Directory.GetFiles(P("demo"), "*.png"));
        Assert.True(File.Exists(P(Path.Combine("demo", "lazy-kernel.png"))));
        Assert.Empty(Directory.GetDirectories(_dir, ".demo.tmp-*"));
    }
}
