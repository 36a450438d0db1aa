using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary>The temporary-file registry, stale cleanup and all-or-nothing batches behind the command line's outputs (docs/RELIABILITY.md).</summary>
public sealed class TemporaryFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-temp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string[] Files() => Directory.GetFileSystemEntries(_dir).Select(f => Path.GetFileName(f)).Order().ToArray();

    /// <summary>A process id that no running process has (pid_max is at most 2²², so this one is never used).</summary>
    private const int DeadPid = 2_000_000_000;

    private static string Guid32() => Guid.NewGuid().ToString("N");

    private string Touch(string name, TimeSpan age)
    {
        string path = P(name);
        File.WriteAllText(path, "x");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    [Fact]
    public void TheRegistryDeletesOnlyWhatIsRegisteredAndRefusesNewFilesAfterShutdown()
    {
        var registry = new TemporaryFiles();
        string file = Touch(".k.npy.1.tmp", TimeSpan.Zero);
        string folder = P(".report.tmp-1");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "sub", "a.png"), "png");
        string mine = Touch("mine.csv", TimeSpan.Zero);
        string done = Touch(".done.tmp", TimeSpan.Zero);
        registry.Register(file);
        registry.Register(folder, isDirectory: true);
        registry.Register(done).Dispose();           // renamed already: forgotten, never deleted
        Assert.Equal([Path.GetFullPath(file), Path.GetFullPath(folder)], registry.Paths);

        Assert.Equal(2, registry.DeleteAll());
        Assert.Equal([".done.tmp", "mine.csv"], Files());
        Assert.Empty(registry.Paths);
        registry.Register(P("again.tmp")).Dispose();   // DeleteAll leaves the registry usable

        string late = Touch(".late.tmp", TimeSpan.Zero);
        registry.Register(late);
        bool ran = false;
        registry.Exclusive(() => ran = true);
        Assert.True(ran);
        Assert.Equal(1, registry.Shutdown());
        Assert.False(File.Exists(late));
        Assert.True(registry.IsShutDown);
        Assert.Throws<OperationCanceledException>(() => registry.Register(P("x.tmp")));
        Assert.Throws<OperationCanceledException>(() => registry.Exclusive(() => { }));
        Assert.True(File.Exists(mine));
    }

    [Fact]
    public void TemporaryNamesAreRecognisedExactly()
    {
        string guid = Guid32();
        Assert.True(TemporaryFiles.TryParseTemporaryName($".K.npy.1234.{guid}.tmp", out int pid));
        Assert.Equal(1234, pid);
        Assert.Matches(@"^\.K\.npy\.\d+\.[0-9a-f]{32}\.tmp$", Path.GetFileName(TemporaryFiles.TemporaryPathFor(P("K.npy"))));
        foreach (string name in new[]
                 {
                     $"K.npy.1234.{guid}.tmp",               // no leading dot
                     $".K.npy.1234.{guid.ToUpperInvariant()}.tmp",
                     $".K.npy.1234.{guid[..31]}.tmp",
                     $".K.npy.12a4.{guid}.tmp",
                     $".K.npy.1234.{guid}.old",              // a destination kept aside by a batch: the user's data
                     $"..1234.{guid}.tmp.x",
                     ".K.npy.tmp",
                 })
            Assert.False(TemporaryFiles.TryParseTemporaryName(name, out _), name);
    }

    [Fact]
    public void StaleTemporaryFilesOfDeadProcessesAreRemovedAndNothingElse()
    {
        var old = TimeSpan.FromHours(1);
        string stale = Touch($".K.npy.{DeadPid}.{Guid32()}.tmp", old);
        string fresh = Touch($".K.npy.{DeadPid}.{Guid32()}.tmp", TimeSpan.Zero);               // may still be written by a process we cannot see
        string live = Touch($".K.npy.{Environment.ProcessId}.{Guid32()}.tmp", old);             // this process is alive
        string aside = Touch($".K.npy.{DeadPid}.{Guid32()}.old", old);
        string user = Touch($"K.npy.{DeadPid}.{Guid32()}.tmp", old);
        string other = Touch(".K.npy.tmp", old);
        Directory.CreateDirectory(P($".D.npy.{DeadPid}.{Guid32()}.tmp"));                        // a folder, not a file

        var removed = TemporaryFiles.RemoveStale(_dir);
        Assert.Equal([Path.GetFullPath(stale)], removed);
        Assert.False(File.Exists(stale));
        foreach (string kept in new[] { fresh, live, aside, user, other }) Assert.True(File.Exists(kept), kept);
        Assert.Equal(7 - 1, Files().Length);
    }

    [Fact]
    public void TheFirstWriteIntoAFolderRemovesItsStaleTemporaryFiles()
    {
        string stale = Touch($".K.npy.{DeadPid}.{Guid32()}.tmp", TimeSpan.FromHours(1));
        MatrixFile.Write(P("K.npy"), Matrix.Identity(2));
        Assert.Equal(["K.npy"], Files());
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void ABatchWritesEverythingAtCommitOrNothing()
    {
        var a = Matrix.Identity(2);
        using (var batch = AtomicFileBatch.Begin())
        {
            MatrixFile.Write(P("a.npy"), a);
            CsvFile.Write(P("b.csv"), a);
            Assert.Equal(2, Files().Length);
            Assert.All(Files(), f => Assert.True(TemporaryFiles.TryParseTemporaryName(f, out _), f));   // only temporaries so far
            Assert.Throws<IOException>(() => MatrixFile.Write(P("a.npy"), a));                           // one destination, one write
            Assert.Throws<InvalidOperationException>(() => AtomicFileBatch.Begin());
            batch.Commit();
        }
        Assert.Equal(["a.npy", "b.csv"], Files());
        Assert.DoesNotContain(TemporaryFiles.Process.Paths, p => p.StartsWith(_dir, StringComparison.Ordinal));

        using (AtomicFileBatch.Begin())
        {
            MatrixFile.Write(P("c.npy"), a);
            MatrixFile.Write(P("a.npy"), Matrix.Identity(3));
        }                                                        // disposed without commit
        Assert.Equal(["a.npy", "b.csv"], Files());
        Assert.Equal(2, MatrixFile.Read(P("a.npy")).Rows);
        Assert.DoesNotContain(TemporaryFiles.Process.Paths, p => p.StartsWith(_dir, StringComparison.Ordinal));

        using (var batch = AtomicFileBatch.Begin())
        {
            MatrixFile.Write(P("d.npy"), a);
            batch.Commit(new CancellationTokenSource().Token);
        }
        using (var batch = AtomicFileBatch.Begin())
        {
            MatrixFile.Write(P("e.npy"), a);
            Assert.Throws<OperationCanceledException>(() => batch.Commit(new CancellationToken(canceled: true)));
        }
        Assert.Equal(["a.npy", "b.csv", "d.npy"], Files());
    }

    [Fact]
    public void AFailedRenameRestoresTheFilesTheBatchHadReplaced()
    {
        File.WriteAllText(P("a.csv"), "old a\n");
        using (var batch = AtomicFileBatch.Begin())
        {
            CsvFile.Write(P("a.csv"), Matrix.Identity(2));   // replaces an existing file
            CsvFile.Write(P("n.csv"), Matrix.Identity(2));   // a new file
            CsvFile.Write(P("z.csv"), Matrix.Identity(2));
            Directory.CreateDirectory(P("z.csv"));            // the last rename will fail
            File.WriteAllText(Path.Combine(P("z.csv"), "inside"), "keep");
            Assert.ThrowsAny<IOException>(() => batch.Commit());
        }
        Assert.Equal("old a\n", File.ReadAllText(P("a.csv")));
        Assert.Equal(["a.csv", "z.csv"], Files());           // n.csv taken back, no temporary or aside file left
        Assert.Equal("keep", File.ReadAllText(Path.Combine(P("z.csv"), "inside")));
    }
}
