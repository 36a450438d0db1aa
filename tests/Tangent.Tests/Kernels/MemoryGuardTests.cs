using System.Diagnostics;
using Tangent.Engine;
using Tangent.Kernels;

namespace Tangent.Tests.Kernels;

/// <summary>The up-front memory check of classical kernels (<see cref="MemoryGuard"/>).</summary>
public sealed class MemoryGuardTests
{
    [Fact]
    public void KernelUnderATinyLimitIsRefusedBeforeAllocatingWithSizeLimitAndFix()
    {
        var x = TestData.Random(100, 3, 1);
        using (MemoryGuard.OverrideAvailable(50_000))
        {
            var e = Assert.Throws<InsufficientMemoryException>(() => ClassicalKernel.Gaussian(0.5).Compute(x));
            // 100×100 doubles (78.1 KiB) plus the row norms (800 bytes).
            Assert.Equal(
                "The gaussian(gamma=0.5) kernel matrix 100×100 needs 78.9 KiB but only 48.8 KiB is available (a limit set for testing). " +
                "To fit: compute it in blocks of fewer rows (K(X1 rows a..b, X2) for slices of X1) and use or save each block before the next, or use fewer samples, or give the process more memory.",
                e.Message);
            Assert.Throws<InsufficientMemoryException>(() => ClassicalKernel.Linear().Compute(x, TestData.Random(70, 3, 2)));
            // What fits still runs: a block of 50 rows (40 KB).
            Assert.Equal((50, 100), ClassicalKernel.Linear().Compute(x.SliceRows(0, 50), x) is var k ? (k.Rows, k.Cols) : default);
        }
        Assert.Equal(100, ClassicalKernel.Gaussian(0.5).Compute(x).Rows);   // the override ended with its scope
    }

    [Fact]
    public void AvailableBytesIsPositiveAndBelowTheGcLimitAndHugeRequestsAreRefused()
    {
        long available = MemoryGuard.AvailableBytes;
        Assert.InRange(available, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        var e = Assert.Throws<InsufficientMemoryException>(() => MemoryGuard.Require(long.MaxValue / 2, "A test allocation", "ask for less"));
        Assert.StartsWith("A test allocation needs 4.00 EiB but only ", e.Message);
        Assert.Contains("To fit: ask for less, or give the process more memory.", e.Message);
        MemoryGuard.Require(1 << 20, "a small allocation", "n/a");
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryGuard.Require(-1, "x", "y"));
    }

    [Theory]
    [InlineData(0L, "0 bytes")]
    [InlineData(1023L, "1023 bytes")]
    [InlineData(1536L, "1.50 KiB")]
    [InlineData(16_928_000_000L, "15.8 GiB")]
    [InlineData(3L << 40, "3.00 TiB")]
    public void FormatBytesUsesBinaryUnits(long bytes, string text) => Assert.Equal(text, MemoryGuard.FormatBytes(bytes));

    /// <summary>A real DOTNET_GCHeapHardLimit: the command line refuses a kernel that does not fit, with exit code 2.</summary>
    [SkippableFact]
    public void RealHeapHardLimitInAChildProcessRefusesTheKernelWithExitCode2()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Tangent.Cli.dll");
        Skip.IfNot(File.Exists(cli), "Tangent.Cli.dll is not next to the tests");
        using var t = new Tangent.Tests.Data.TempDir();
        string xPath = t.File("x.npy");
        Tangent.Data.Npy.Write(xPath, TestData.Random(6000, 2, 3));   // K: 6000² doubles = 275 MiB
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { cli, "kernel", "--kernel", "gaussian", "--x1", xPath, "--out", t.File("k.npy") }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x8000000";   // 128 MiB
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "the child process did not finish");
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("error: The gaussian(gamma=0.5) kernel matrix 6000×6000 needs 275 MiB but only", stderr);
        Assert.Contains("GC heap hard limit", stderr);
        Assert.False(File.Exists(t.File("k.npy")));
    }
}
