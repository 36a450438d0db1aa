using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class AtomicFileTests
{
    [Fact]
    public void FailedWriteKeepsOldFileAndLeavesNoTempFile()
    {
        using var t = new TempDir();
        string p = t.Write("out.csv", "old content\n");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(p, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", e.Message);
        Assert.Equal("old content\n", File.ReadAllText(p));
        Assert.Equal(["out.csv"], Directory.GetFiles(t.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void FailedFirstWriteLeavesNothing()
    {
        using var t = new TempDir();
        Assert.Throws<IOException>(() => AtomicFile.WriteText(t.File("new.txt"), w =>
        {
            w.Write("half");
            throw new IOException("disk full");
        }));
        Assert.Empty(Directory.GetFiles(t.Path));
    }

    [Fact]
    public void SuccessReplacesFileAndLeavesNoTempFile()
    {
        using var t = new TempDir();
        string p = t.Write("r.txt", "old");
        AtomicFile.WriteAllText(p, "new ünïcode\n");
        Assert.Equal("new ünïcode\n", File.ReadAllText(p));
        Assert.NotEqual(0xEF, File.ReadAllBytes(p)[0]); // no BOM
        Assert.Single(Directory.GetFiles(t.Path));
    }

    [Fact]
    public void MatrixWritersAreAtomicWhenTheMatrixIsRejectedMidway()
    {
        using var t = new TempDir();
        string p = t.File("m.npy");
        var good = Matrix.Column(1, 2);
        Npy.Write(p, good);
        byte[] before = File.ReadAllBytes(p);
        // A shape that does not fit is rejected before anything is written.
        Assert.Throws<ArgumentException>(() => Npy.Write(p, Matrix.Column(5, 6, 7), shape: [2]));
        Assert.Equal(before, File.ReadAllBytes(p));
        Assert.Single(Directory.GetFiles(t.Path));
    }

    [Fact]
    public void MissingDirectorySaysSo()
    {
        using var t = new TempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(Path.Combine(t.Path, "no", "x.txt"), "x"));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("Create it first", e.Message);
        Assert.Contains("is a directory", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(t.Path, "x")).Message);
    }
}
