using Tangent.Cli;
using Tangent.Data;

namespace Tangent.Tests.Cli;

/// <summary>A store written by the built CLI in a child process, killed with SIGKILL mid-run, then completed by the same command (docs/STORE.md).</summary>
public sealed partial class StoreKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-store-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [SkippableFact]
    public void AStoreKilledMidRunIsCompletedByTheSameCommandIdenticalToAnUninterruptedRun()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sends SIGKILL through libc's kill");
        string? dll = ChildProcess.CliDll();
        Skip.If(dll is null, "Tangent.Cli.dll is not built");
        MatrixFile.Write(P("x.npy"), TestData.Random(1500, 3, 2));
        string[] Args(string store) => ["kernel", "--kernel", "laplace", "--x1", P("x.npy"), "--out", P(store), "--chunk", "50"];
        Assert.Equal(TangentCli.Ok, CliRunner.Run(Args("ref.zarr")).Code);

        string sums = P("K.zarr/checksums");
        var (sent, exit) = ChildProcess.RunAndSignalWhen(dll!, Args("K.zarr"), _dir, () => Directory.Exists(sums) && Directory.EnumerateFiles(sums).Count() >= 20, 9);
        Assert.True(sent, $"the store was finished before it could be killed (exit {exit})");
        var killed = KernelStore.Open(P("K.zarr"));
        Assert.False(killed.Info().Complete);

        var (code, output, err) = CliRunner.Run(Args("K.zarr"));
        Assert.True(code == TangentCli.Ok, err);
        Assert.Contains("were done", output);
        Assert.True(KernelStore.Open(P("K.zarr")).Verify().Ok);
        foreach (string f in Directory.EnumerateFiles(P("ref.zarr"), "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(P("ref.zarr"), f);
            Assert.True(File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(P("K.zarr"), rel))), $"{rel} differs");
        }
        var left = Directory.EnumerateFiles(P("K.zarr"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(P("K.zarr"), f)).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(Directory.EnumerateFiles(P("ref.zarr"), "*", SearchOption.AllDirectories).Count(), left.Count());
    }
}
