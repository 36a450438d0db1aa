using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

public sealed class CompleteCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-complete-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(string name, string text)
    {
        File.WriteAllText(PathOf(name), text);
        return PathOf(name);
    }

    [Fact]
    public void CsvWithEmptyCellsRoundTripsKeepingObservedEntries()
    {
        string input = Write("m.csv", "a,b,c,d\n1,2,,4\n2,4,6,\n,6,9,12\n4,NaN,12,16\n");
        string output = PathOf("c.csv");
        var (code, stdout, err) = CliRunner.Run("complete", "--matrix", input, "--out", output, "--iterations", "5");
        Assert.True(code == 0, err);
        Assert.Contains("completed 4 of 16 entries of a 4×4 matrix", stdout);
        var c = MatrixFile.Read(output);
        Assert.Equal("4×4", c.Shape);
        Assert.True(c.AllFinite());
        Assert.Equal([1, 2, 4], new[] { c[0, 0], c[0, 1], c[0, 3] });
        Assert.Equal(16, c[3, 3]);
        Assert.InRange(c[0, 2], 2.5, 3.5);   // rank 1: row 1 is 1, 2, 3, 4
    }

    [Fact]
    public void NpyMatrixWithMaskAgreesWithNaNCells()
    {
        var values = Matrix.FromRows([1, 2, 3], [2, 4, 6], [3, 6, 9], [1, 0, 2]);
        var mask = Matrix.FromRows([1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]);
        Npy.Write(PathOf("v.npy"), values);
        Npy.Write(PathOf("mask.npy"), mask);
        var nan = values.Clone();
        for (int k = 0; k < nan.Data.Length; k++) if (mask.Data[k] == 0) nan.Data[k] = double.NaN;
        Npy.Write(PathOf("nan.npy"), nan);
        Assert.Equal(0, CliRunner.Run("complete", "--matrix", PathOf("v.npy"), "--mask", PathOf("mask.npy"), "--out", PathOf("a.npy")).Code);
        Assert.Equal(0, CliRunner.Run("complete", "--matrix", PathOf("nan.npy"), "--out", PathOf("b.npy")).Code);
        Assert.Equal(Npy.ReadMatrix(PathOf("a.npy")).Data, Npy.ReadMatrix(PathOf("b.npy")).Data);
        Assert.Equal(3, Npy.ReadMatrix(PathOf("a.npy"))[0, 1] + 1);
    }

    [Fact]
    public void SoftImputeWritesAReportWithTheBeforeAndAfterPicture()
    {
        string input = Write("m.csv", "1,2,,4\n2,4,6,\n,6,9,12\n4,,12,16\n");
        var (code, stdout, err) = CliRunner.Run("complete", "--matrix", input, "--method", "soft-impute", "--lambda", "0.01", "--out", PathOf("s.csv"), "--report", PathOf("rep"));
        Assert.True(code == 0, err);
        Assert.Contains("soft-impute λ = 0.01", stdout);
        Assert.True(File.Exists(Path.Combine(PathOf("rep"), "before-after.png")));
        var c = MatrixFile.Read(PathOf("s.csv"));
        Assert.InRange(c[0, 2], 2.9, 3.1);   // the path down to λ recovers the rank-1 matrix
    }

    [Fact]
    public void ImageWithMaskIsInpaintedInItsShape()
    {
        var shape = new[] { 8, 8, 2 };
        var img = Matrix.Build(8, 16, (r, k) => Math.Sin(r / 3.0) + (k / 2) / 8.0 + k % 2);
        Npy.Write(PathOf("img.npy"), img, NpyElementType.Float64, shape);
        var mask = Matrix.Build(8, 8, (r, c) => (r * 8 + c) % 3 == 0 ? 0 : 1);
        Npy.Write(PathOf("mask.npy"), mask);
        var (code, stdout, err) = CliRunner.Run("complete", "--image", PathOf("img.npy"), "--mask", PathOf("mask.npy"), "--out", PathOf("out.npy"), "--report", PathOf("rep"));
        Assert.True(code == 0, err);
        Assert.Contains("inpainted 44 of 128 values of a 8x8x2 image", stdout);
        var written = Npy.Read(PathOf("out.npy"));
        Assert.Equal(shape, written.Shape);
        Assert.True(written.Values.AllFinite());
        Assert.Equal(img[1, 4], written.Values[1, 4]);   // pixel (1, 2), channel 1, is observed (10 mod 3 ≠ 0): kept
        Assert.True(File.Exists(Path.Combine(PathOf("rep"), "before-after.png")));
    }

    [Fact]
    public void MaskOfTheWrongShapeFailsWithOneLineAndWritesNothing()
    {
        string input = Write("m.csv", "1,2,,4\n2,4,6,\n");
        string mask = Write("mask.csv", "1,1\n1,0\n");
        var (code, stdout, err) = CliRunner.Run("complete", "--matrix", input, "--mask", mask, "--out", PathOf("x.csv"));
        Assert.Equal(2, code);
        var line = CliRunner.AssertErrorForm(err, stdout);
        Assert.Contains("--matrix", line);
        Assert.Contains("The mask is 2×2 but the matrix is 2×4", line);
        Assert.False(File.Exists(PathOf("x.csv")));
    }

    [Fact]
    public void RowWithoutObservedEntryIsNamedAndNothingIsWritten()
    {
        string input = Write("e.csv", "1,2\nNA,\n3,4\n");
        foreach (var method in new[] { "ntk", "soft-impute" })
        {
            var (code, stdout, err) = CliRunner.Run("complete", "--matrix", input, "--method", method, "--out", PathOf("y.csv"));
            Assert.Equal(2, code);
            Assert.Contains("Row 2 has no observed entry", CliRunner.AssertErrorForm(err, stdout));
            Assert.False(File.Exists(PathOf("y.csv")));
        }
    }

    [Fact]
    public void BadInputsAreRefusedWithTheOptionNamed()
    {
        string input = Write("m.csv", "1,2\n,4\n");
        string text = Write("t.csv", "1,2\nx,4\n");
        string inf = Write("inf.csv", "1,Infinity\n,4\n");
        (string[] Args, string Expected)[] cases =
        [
            (["complete", "--matrix", input, "--out", PathOf("o.npy")], "the completed data are written in the input's format"),
            (["complete", "--matrix", input, "--method", "svd", "--out", PathOf("o.csv")], "--method must be ntk, nngp or soft-impute"),
            (["complete", "--out", PathOf("o.csv")], "give the data to complete"),
            (["complete", "--matrix", text, "--out", PathOf("o.csv")], "'x' is not a number"),
            (["complete", "--matrix", inf, "--out", PathOf("o.csv")], "infinite"),
            (["complete", "--matrix", input, "--method", "soft-impute", "--ridge", "1", "--out", PathOf("o.csv")], "--ridge does not apply to --method soft-impute"),
            (["complete", "--matrix", input, "--lambda", "1", "--out", PathOf("o.csv")], "--lambda does not apply to --method ntk"),
            (["complete", "--matrix", input, "--prior", "features", "--out", PathOf("o.csv")], "--prior features needs --features"),
            (["complete", "--matrix", input, "--arch", "dense relu (", "--out", PathOf("o.csv")], "--arch"),
            (["complete", "--matrix", PathOf("none.csv"), "--out", PathOf("o.csv")], "does not exist"),
        ];
        foreach (var (args, expected) in cases)
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)} → {code}\n{err}");
            Assert.Contains(expected, CliRunner.AssertErrorForm(err, stdout));
            Assert.False(File.Exists(PathOf("o.csv")) || File.Exists(PathOf("o.npy")));
        }
    }

    [Fact]
    public void NonFiniteCompletionIsRefusedAndNothingIsWritten()
    {
        // A kernel that overflows: huge weights on huge values give an infinite kernel; exit 2, no file.
        string input = Write("big.csv", "1e300,2e300\n,4e300\n");
        var (code, stdout, err) = CliRunner.Run("complete", "--matrix", input, "--arch", "dense(w=1e10) relu dense(w=1e10)", "--out", PathOf("o.csv"));
        Assert.Equal(2, code);
        Assert.Contains("overflows", CliRunner.AssertErrorForm(err, stdout));
        Assert.False(File.Exists(PathOf("o.csv")));
    }
}
