using System.Diagnostics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Issue 16's eigensolver target (docs/SOLVERS.md): the managed and the native (LAPACK dsyevd)
/// Syevd on the same random symmetric matrix, alternating, best of the repeats, and the time ratio
/// managed/native. Run: <c>dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- quick eigen-ratio N [repeats]</c>.
/// </summary>
internal static class EigenRatio
{
    public static int Run(int n, int repeats)
    {
        var native = NativeProvider.Instance;
        if (native is null)
        {
            Console.Error.WriteLine("error: no native provider (OpenBLAS/LAPACK) is loaded; the ratio needs it.");
            return 2;
        }
        // Tuning knobs (unset: the defaults): panel width, back-transformation block, D&C leaf order.
        if (int.TryParse(Environment.GetEnvironmentVariable("TANGENT_EIGEN_PANEL"), out int panel) && panel > 0) ManagedEigen.PanelWidth = panel;
        if (int.TryParse(Environment.GetEnvironmentVariable("TANGENT_EIGEN_BACK"), out int back) && back > 0) ManagedEigen.BackBlock = back;
        if (int.TryParse(Environment.GetEnvironmentVariable("TANGENT_EIGEN_LEAF"), out int leaf) && leaf > 0) ManagedEigen.LeafSize = leaf;
        var rng = new Random(16);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                a[i * n + j] = a[j * n + i] = rng.NextDouble() * 2 - 1;
        var work = new double[n * n];
        var w = new double[n];
        Console.WriteLine($"native: {native.Description}");
        Console.WriteLine($"managed: {ManagedProvider.Instance.Description}; panel {ManagedEigen.PanelWidth}, back-transform block {ManagedEigen.BackBlock}, leaf {ManagedEigen.LeafSize}");
        double bestManaged = double.MaxValue, bestNative = double.MaxValue, cpuManaged = 0, cpuNative = 0;
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < repeats; r++)
        {
            // TANGENT_EIGEN_ONLY=managed: the managed solver alone (tuning); no ratio then.
            bool only = Environment.GetEnvironmentVariable("TANGENT_EIGEN_ONLY") == "managed";
            foreach (ILinearAlgebraProvider p in only ? new ILinearAlgebraProvider[] { ManagedProvider.Instance } : [native, ManagedProvider.Instance])
            {
                a.CopyTo(work, 0);
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                p.Syevd(n, work, n, w);
                double s = sw.Elapsed.TotalSeconds;
                proc.Refresh();
                double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                if (p is ManagedProvider) { bestManaged = Math.Min(bestManaged, s); cpuManaged += cpu; }
                else { bestNative = Math.Min(bestNative, s); cpuNative += cpu; }
                string phases = p is ManagedProvider
                    ? $"; tridiagonal {ManagedEigen.LastPhases.Tridiagonal:F3} s (symv {ManagedEigen.LastSymvSeconds:F3}), divide and conquer {ManagedEigen.LastPhases.DivideAndConquer:F3} s, back-transform {ManagedEigen.LastPhases.BackTransform:F3} s (secular {ManagedEigen.LastDivideAndConquerParts.Secular:F3}, merge GEMMs {ManagedEigen.LastDivideAndConquerParts.MergeGemm:F3}, leaves {ManagedEigen.LastDivideAndConquerParts.Leaves:F3} thread-s)"
                    : "";
                Console.WriteLine($"  {p.Name,-8} n={n}: {s:F3} s (CPU {cpu:F2} s), λmax {w[n - 1]:G10}{phases}");
            }
        }
        Console.WriteLine($"eigen-ratio n={n}: native dsyevd {bestNative:F3} s, managed {bestManaged:F3} s, ratio managed/native {bestManaged / bestNative:F2} (best of {repeats}; CPU s total native {cpuNative:F1}, managed {cpuManaged:F1})");
        return 0;
    }
}
