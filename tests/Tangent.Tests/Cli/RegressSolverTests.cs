using Tangent.Cli;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary><c>tangent regress --solver …</c> (docs/SOLVERS.md): every solver agrees with Cholesky to its tolerance.</summary>
public sealed class RegressSolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-solver-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private void WriteData()
    {
        var x = TestData.Random(150, 3, 1);
        var y = Matrix.Build(150, 2, (i, j) => j == 0 ? Math.Sin(x[i, 0]) + x[i, 1] : x[i, 2] * x[i, 0]);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("y.npy"), y);
        MatrixFile.Write(P("xt.npy"), TestData.Random(20, 3, 2));
    }

    private (int Code, string Out, string Err) Regress(string outName, params string[] extra) =>
        CliRunner.Run(["regress", "--kernel", "gaussian", "--gamma", "0.5", "--ridge", "1e-2", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--out", P(outName), .. extra]);

    [Theory]
    [InlineData("cg", "solver: cg, ")]
    [InlineData("nystrom:150", "150 centres")]
    [InlineData("eigenpro", "solver: eigenpro, ")]
    [InlineData("auto", "cholesky (auto)")]
    public void EverySolverAgreesWithCholesky(string solver, string reported)
    {
        WriteData();
        var (code, _, err) = Regress("exact.npy", "--solver", "cholesky");
        Assert.True(code == 0, err);
        (code, var output, err) = Regress("it.npy", "--solver", solver, "--tolerance", "1e-11", "--max-iterations", "5000");
        Assert.True(code == 0, err);
        Assert.Contains("solver: ", output);
        Assert.Contains(reported, output);
        Assert.DoesNotContain("NOT converged", output);
        double diff = MatrixFile.Read(P("it.npy")).MaxAbsDifference(MatrixFile.Read(P("exact.npy")));
        Assert.True(diff < 1e-6, $"{solver}: max difference {diff}\n{output}");
    }

    [Fact]
    public void NystromWithFewCentresReportsThemAndPredicts()
    {
        WriteData();
        var (code, output, err) = Regress("n.npy", "--solver", "nystrom", "--centres", "40");
        Assert.True(code == 0, err);
        Assert.Contains("solver: nystrom, 40 centres, CG", output);
        Assert.Equal(20, MatrixFile.Read(P("n.npy")).Rows);
    }

    [Fact]
    public void AutoChoosesNystromWhenTheKernelDoesNotFitTheBudget()
    {
        Assert.Equal("cholesky", SolverOptions.Resolve("auto", 1000, new ComputeOptions { MemoryBudget = 1L << 30 }));
        Assert.Equal("nystrom", SolverOptions.Resolve("auto", 100_000, new ComputeOptions { MemoryBudget = 1L << 30 }));
        // Full MNIST (60,000 rows) takes the exact solve in 20 GB: the tiles are about 4n² bytes, not 3.6 × 8n².
        Assert.Equal("cholesky", SolverOptions.Resolve("auto", 60_000, new ComputeOptions { MemoryBudget = 20L << 30 }));
        Assert.Equal("nystrom", SolverOptions.Resolve("auto", 60_000, new ComputeOptions { MemoryBudget = 16L << 30 }));
        Assert.Equal("cg", SolverOptions.Resolve("cg", 100_000, new ComputeOptions { MemoryBudget = 1L << 30 }));
    }

    [Fact]
    public void AutoTakesNystromUnderASmallMemoryBudget()
    {
        WriteData();
        var (code, output, err) = Regress("auto.npy", "--memory-budget", "1MB", "--centres", "60");
        Assert.True(code == 0, err);
        Assert.Contains("solver: nystrom (auto), 60 centres", output);
    }

    [Theory]
    [InlineData("--solver qr", "--solver 'qr' is not a solver")]
    [InlineData("--solver nystrom:0", "whole number ≥ 1")]
    [InlineData("--solver cholesky --tolerance 1e-6", "--tolerance applies only to an iterative solver")]
    [InlineData("--solver cg --centres 10", "--centres applies only to --solver nystrom")]
    [InlineData("--solver nystrom:10 --centres 20", "disagree")]
    [InlineData("--tolerance 0", "--tolerance")]
    public void BadSolverOptionsAreOneLineErrors(string options, string expected)
    {
        WriteData();
        var (code, output, err) = Regress("bad.npy", options.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.AssertErrorForm(err, output));
        Assert.False(File.Exists(P("bad.npy")));
    }

    [Fact]
    public void SolverOptionsAreRefusedForLinearRegression()
    {
        WriteData();
        var (code, output, err) = CliRunner.Run("regress", "--kernel", "none", "--solver", "cg", "--x-train", P("x.npy"), "--y-train", P("y.npy"), "--x-test", P("xt.npy"), "--out", P("l.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--solver applies only to kernel regression", CliRunner.AssertErrorForm(err, output));
    }
}
