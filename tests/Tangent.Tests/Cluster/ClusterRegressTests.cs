using Tangent.Data;
using Tangent.Numerics;
using Tangent.Tests.Data;
using static Tangent.Tests.Cli.CliRunner;

namespace Tangent.Tests.Cluster;

/// <summary>`tangent regress --solver cg|eigenpro --cluster …` (docs/CLUSTER.md, "Distributed conjugate gradient").</summary>
[Collection(nameof(ClusterCollection))]
public class ClusterRegressTests
{
    private static string[] Args(TempDir dir, string outName, params string[] extra)
    {
        var x = ClusterTestHelpers.Inputs(60, 3, 1);
        var y = Matrix.Build(60, 2, (i, j) => j == 0 ? Math.Sin(x[i, 0]) + x[i, 1] : x[i, 2] * x[i, 0]);
        if (!File.Exists(dir.File("x.npy")))
        {
            MatrixFile.Write(dir.File("x.npy"), x);
            MatrixFile.Write(dir.File("y.npy"), y);
            MatrixFile.Write(dir.File("xt.npy"), ClusterTestHelpers.Inputs(15, 3, 2));
        }
        return ["regress", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5)", "--get", "ntk", "--ridge", "1e-3", "--ridge-relative",
            "--x-train", dir.File("x.npy"), "--y-train", dir.File("y.npy"), "--x-test", dir.File("xt.npy"), "--out", dir.File(outName), .. extra];
    }

    [Theory]
    [InlineData("cholesky", "--solver cholesky needs the whole kernel on one machine")]
    [InlineData("auto", "--solver auto does not say which")]
    [InlineData("nystrom", "--solver nystrom computes only the kernel against its centres")]
    public void ClusterIsRefusedWithASolverOtherThanCgOrEigenpro(string solver, string expected)
    {
        using var dir = new TempDir();
        var (code, _, err) = Run([.. Args(dir, "p.npy", "--solver", solver, "--cluster", "local")]);
        Assert.Equal(2, code);
        string line = AssertErrorForm(err);
        Assert.Contains(expected, line);
        Assert.Contains("hint: give --solver cg (or eigenpro), or drop --cluster", err);
        Assert.False(File.Exists(dir.File("p.npy")));
    }

    [Fact]
    public void ClusterIsRefusedWithAKernelStoreWithLinearRegressionAndWithABadAddress()
    {
        using var dir = new TempDir();
        var (code, _, err) = Run([.. Args(dir, "p.npy", "--solver", "cg", "--cluster", "local", "--kernel-store", dir.File("K.zarr"))]);
        Assert.Equal(2, code);
        Assert.Contains("--cluster keeps the kernel in the silos' memory; --kernel-store keeps it in a store on this machine", AssertErrorForm(err));
        Assert.False(Directory.Exists(dir.File("K.zarr")));
        (code, _, err) = Run("regress", "--kernel", "none", "--x-train", dir.File("x.npy"), "--y-train", dir.File("y.npy"), "--x-test", dir.File("xt.npy"),
            "--out", dir.File("p.npy"), "--cluster", "local");
        Assert.Equal(2, code);
        Assert.Contains("--cluster applies only to kernel regression, not --kernel none", AssertErrorForm(err));
        (code, _, err) = Run([.. Args(dir, "p.npy", "--solver", "cg", "--cluster", "remote")]);
        Assert.Equal(2, code);
        Assert.Contains("--cluster: The cluster 'remote' is neither local nor a redis:// address", AssertErrorForm(err));
        Assert.False(File.Exists(dir.File("p.npy")));
    }

    [Fact]
    public void RegressOnAnUnreachableClusterSaysHowToStartOneAndWritesNothing()
    {
        using var dir = new TempDir();
        var (code, _, err) = Run([.. Args(dir, "p.npy", "--solver", "eigenpro", "--cluster", "local")]);
        Assert.Equal(2, code);
        string line = AssertErrorForm(err);
        Assert.Contains("Cannot reach the cluster local", line);
        Assert.Contains("tangent serve --cluster local", line);
        Assert.False(File.Exists(dir.File("p.npy")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RegressOnAServedLocalClusterEqualsTheSingleMachineCg()
    {
        using var dir = new TempDir();
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(() => Run(stop.Token, "serve", "--cluster", "local"));
        try
        {
            await ClusterTestHelpers.WaitForLocalClusterAsync(serve);
            var one = Run([.. Args(dir, "one.npy", "--solver", "cg", "--tolerance", "1e-12")]);
            Assert.True(one.Code == 0, one.Err);
            var cluster = Run([.. Args(dir, "cluster.npy", "--solver", "cg", "--tolerance", "1e-12", "--cluster", "local")]);
            Assert.True(cluster.Code == 0, cluster.Err);
            Assert.Contains("cluster: local, ", cluster.Out);
            Assert.Contains("on 1 silo, ", cluster.Out);
            Assert.Contains("0 blocks reloaded", cluster.Out);
            Assert.Contains("solver: cg, ", cluster.Out);
            Assert.DoesNotContain("NOT converged", cluster.Out);
            Assert.Equal(Line(one.Out, "kernel regression with"), Line(cluster.Out, "kernel regression with"));   // the same relative λ
            var a = MatrixFile.Read(dir.File("one.npy"));
            var b = MatrixFile.Read(dir.File("cluster.npy"));
            double scaled = a.MaxAbsDifference(b) / a.Data.Max(Math.Abs);
            Assert.True(scaled <= 1e-9, $"cluster vs one machine {scaled:G3}");
        }
        finally
        {
            stop.Cancel();
            var (code, _, err) = await serve.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, err);
        }
    }

    private static string Line(string output, string start) => output.Split('\n').First(l => l.StartsWith(start, StringComparison.Ordinal)).Trim();
}
