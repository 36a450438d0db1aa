using System.Globalization;

namespace Tangent.Engine;

/// <summary>
/// Checks, before a large allocation, that the memory is there, so that a computation that cannot
/// fit is refused up front with the size it needs and how to fit (an <see cref="InsufficientMemoryException"/>)
/// instead of aborting with "Out of memory" halfway through, or being killed by the container.
/// </summary>
/// <remarks>
/// The memory available is the smallest of what each limit leaves (whichever can be read):
/// <list type="bullet">
/// <item>the GC's limit (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: the
/// <c>DOTNET_GCHeapHardLimit</c> setting if any, else the container's limit or the physical memory)
/// minus what the managed heap holds now;</item>
/// <item>on Linux, the memory limit of this process's cgroup and every cgroup above it (v2
/// <c>memory.max</c> − <c>memory.current</c>, v1 <c>memory.limit_in_bytes</c> − <c>memory.usage_in_bytes</c>,
/// the inactive page cache counted as free), plus what the GC heap has committed but not used;</item>
/// <item>on Linux, <c>MemAvailable</c> from <c>/proc/meminfo</c>, plus the same committed-but-unused heap.</item>
/// </list>
/// When a request does not fit, the heap is collected once and measured again before refusing, so
/// garbage that the GC could reclaim is not held against the caller.
/// </remarks>
public static class MemoryGuard
{
    private static readonly AsyncLocal<long?> Override = new();

    /// <summary>
    /// Requests below this size (16 MiB) are not measured: reading the limits costs more than such an
    /// allocation, and one that small failing means the process is already out of memory.
    /// </summary>
    public const long UncheckedBytes = 16L << 20;

    /// <summary>The bytes this process can still allocate (see the type's remarks for how it is measured).</summary>
    public static long AvailableBytes => Measure(collect: false).Bytes;

    /// <summary>
    /// Throws an <see cref="InsufficientMemoryException"/> unless <paramref name="bytes"/> more bytes fit
    /// in the memory available; the one-line message gives what needs how much, how much is available
    /// and which limit applies, and how to fit.
    /// </summary>
    /// <param name="bytes">The bytes about to be allocated (everything the step holds at its peak).</param>
    /// <param name="what">What needs them, e.g. "The gaussian(gamma=0.5) kernel matrix 46000×46000".</param>
    /// <param name="howToFit">What the caller can do, e.g. "compute it in blocks of rows".</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="InsufficientMemoryException">The memory is not there.</exception>
    public static void Require(long bytes, string what, string howToFit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes < UncheckedBytes && Override.Value is null) return;
        if (bytes <= Measure(collect: false).Bytes) return;
        var (available, limit) = Measure(collect: true);
        if (bytes <= available) return;
        throw new InsufficientMemoryException(
            $"{what} needs {FormatBytes(bytes)} but only {FormatBytes(available)} is available ({limit}). To fit: {howToFit.TrimEnd('.')}, or give the process more memory.");
    }

    /// <summary>Bytes in binary units with three significant figures: 512 bytes, 1.50 KiB, 17.2 GiB.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        if (Math.Abs(bytes) < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
        double v = bytes;
        int u = -1;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        string format = Math.Abs(v) >= 100 ? "F0" : Math.Abs(v) >= 10 ? "F1" : "F2";
        return v.ToString(format, CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>
    /// Pretends that only <paramref name="bytes"/> are available, for the current asynchronous flow
    /// (the calling test and the tasks it starts) until the result is disposed.
    /// </summary>
    internal static IDisposable OverrideAvailable(long bytes)
    {
        long? previous = Override.Value;
        Override.Value = bytes;
        return new Restore(previous);
    }

    private sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Override.Value = previous;
    }

    /// <summary>The bytes available and a few words naming the limit that binds.</summary>
    internal static (long Bytes, string Limit) Measure(bool collect)
    {
        if (Override.Value is long forced) return (forced, "a limit set for testing");
        long heap = GC.GetTotalMemory(forceFullCollection: collect);
        var info = GC.GetGCMemoryInfo();
        long best = long.MaxValue;
        string limit = "no memory limit could be read";
        if (info.TotalAvailableMemoryBytes > 0)
        {
            best = info.TotalAvailableMemoryBytes - heap;
            limit = HeapHardLimitSet()
                ? $"the GC heap hard limit of {FormatBytes(info.TotalAvailableMemoryBytes)}, set by DOTNET_GCHeapHardLimit or System.GC.HeapHardLimit"
                : $"the GC's limit of {FormatBytes(info.TotalAvailableMemoryBytes)}, from the container's limit or the physical memory";
        }
        if (OperatingSystem.IsLinux())
        {
            long reusable = Math.Max(0, info.TotalCommittedBytes - heap);
            if (CgroupAvailable() is var (cg, where) && cg + reusable < best)
                (best, limit) = (cg + reusable, $"the memory limit of cgroup {where}");
            if (MemAvailable() is long free && free + reusable < best)
                (best, limit) = (free + reusable, "MemAvailable, the free memory in /proc/meminfo");
        }
        return (Math.Max(0, best), limit);
    }

    /// <summary>Whether a GC heap hard limit was configured (environment or runtimeconfig.json), for the message.</summary>
    private static bool HeapHardLimitSet()
    {
        foreach (string name in (string[])["GCHeapHardLimit", "GCHeapHardLimitPercent"])
            if (Environment.GetEnvironmentVariable("DOTNET_" + name) is not null || Environment.GetEnvironmentVariable("COMPlus_" + name) is not null)
                return true;
        return AppContext.GetData("System.GC.HeapHardLimit") is not null || AppContext.GetData("System.GC.HeapHardLimitPercent") is not null;
    }

    /// <summary>
    /// The least (limit − usage) over this process's cgroup and its ancestors, v2 or v1; the
    /// inactive page cache counts as free (the kernel reclaims it before failing an allocation).
    /// </summary>
    private static (long Bytes, string Where)? CgroupAvailable()
    {
        try
        {
            if (!File.Exists("/proc/self/cgroup")) return null;
            (long, string)? best = null;
            foreach (string line in File.ReadLines("/proc/self/cgroup"))
            {
                // v2: "0::/path"; v1: "N:memory:/path" (or a controller list containing memory).
                var parts = line.Split(':', 3);
                if (parts.Length != 3) continue;
                bool v2 = parts[0] == "0" && parts[1].Length == 0;
                bool v1 = parts[1].Split(',').Contains("memory");
                if (!v1 && !v2) continue;
                string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
                string limitFile = v2 ? "memory.max" : "memory.limit_in_bytes";
                string usageFile = v2 ? "memory.current" : "memory.usage_in_bytes";
                string inactive = v2 ? "inactive_file" : "total_inactive_file";
                // Walk from the process's cgroup up to the root of the mount (in a container the path
                // may not exist under the mount: then only the mount's root is read).
                string rel = parts[2].Trim('/');
                while (true)
                {
                    string dir = rel.Length == 0 ? root : Path.Combine(root, rel);
                    if (ReadLong(Path.Combine(dir, limitFile)) is long lim && lim < 1L << 60
                        && ReadLong(Path.Combine(dir, usageFile)) is long used)
                    {
                        long free = lim - used + (StatValue(Path.Combine(dir, "memory.stat"), inactive) ?? 0);
                        if (best is not var (b, _) || free < b) best = (Math.Max(0, free), "/" + rel);
                    }
                    if (rel.Length == 0) break;
                    int slash = rel.LastIndexOf('/');
                    rel = slash < 0 ? "" : rel[..slash];
                }
            }
            return best;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>MemAvailable from /proc/meminfo, in bytes; null where it cannot be read.</summary>
    private static long? MemAvailable()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return f.Length >= 2 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? ReadLong(string path)
    {
        if (!File.Exists(path)) return null;
        string text = File.ReadAllText(path).Trim();   // v2 writes "max" for no limit
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    private static long? StatValue(string path, string key)
    {
        if (!File.Exists(path)) return null;
        foreach (string line in File.ReadLines(path))
            if (line.StartsWith(key + " ", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                return v;
        return null;
    }
}
