using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tangent.Data;

/// <summary>
/// The temporary files and folders that this process has in flight (docs/RELIABILITY.md): every
/// <see cref="AtomicFile"/> write registers its <c>.NAME.PID.GUID.tmp</c> file here until it is renamed
/// or deleted, and report folders register their <c>.NAME.tmp-GUID</c> folder. On an interrupt the
/// command line calls <see cref="Shutdown"/>, which deletes them all, so a cancelled run leaves nothing
/// behind. <see cref="RemoveStale"/> removes temporary files that a dead process left (killed by
/// SIGKILL, a crash, a power cut).
/// </summary>
/// <remarks>
/// Only paths registered here are ever deleted by <see cref="DeleteAll"/>, and only files named
/// exactly like Tangent's temporary files (see <see cref="TryParseTemporaryName"/>) by
/// <see cref="RemoveStale"/>: nothing a user made is touched.
/// </remarks>
public sealed partial class TemporaryFiles
{
    private readonly object _gate = new();
    private readonly Dictionary<long, (string Path, bool IsDirectory)> _paths = [];
    private long _next;
    private bool _closed;

    private static readonly ConcurrentDictionary<string, bool> SweptDirectories = new(StringComparer.Ordinal);

    /// <summary>The registry of this process (the one <see cref="AtomicFile"/> and report folders use).</summary>
    public static TemporaryFiles Process { get; } = new();

    /// <summary>A stale temporary file is removed only when it has not been modified for this long
    /// (a guard against a live writer whose process id is not visible here, e.g. in another container:
    /// Tangent creates a temporary file only to write it, so a live writer keeps touching it).</summary>
    public static TimeSpan StaleAge { get; } = TimeSpan.FromSeconds(3);

    /// <summary>Creates an empty registry (tests; the process uses <see cref="Process"/>).</summary>
    public TemporaryFiles()
    {
    }

    /// <summary>The paths registered now, in registration order.</summary>
    public IReadOnlyList<string> Paths
    {
        get
        {
            lock (_gate) return _paths.OrderBy(p => p.Key).Select(p => p.Value.Path).ToList();
        }
    }

    /// <summary>True after <see cref="Shutdown"/>: no new temporary file may be created.</summary>
    public bool IsShutDown
    {
        get
        {
            lock (_gate) return _closed;
        }
    }

    /// <summary>
    /// Registers a temporary file or folder before it is created. Dispose the returned registration once
    /// the path has been renamed or deleted.
    /// </summary>
    /// <param name="path">The full path of the temporary file or folder.</param>
    /// <param name="isDirectory">True for a folder (deleted with its contents by <see cref="DeleteAll"/>).</param>
    /// <exception cref="OperationCanceledException">The registry was shut down (the process is being interrupted).</exception>
    public Registration Register(string path, bool isDirectory = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        lock (_gate)
        {
            if (_closed) throw new OperationCanceledException("The process is being interrupted; no new file is written.");
            long id = ++_next;
            _paths[id] = (Path.GetFullPath(path), isDirectory);
            return new Registration(this, id);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> while no cleanup can run: a sequence of renames that must
    /// complete or roll back as a whole (a batch commit, a report folder swap) is never cut in two by
    /// <see cref="Shutdown"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The registry was shut down before the action could start.</exception>
    public void Exclusive(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            if (_closed) throw new OperationCanceledException("The process is being interrupted; nothing more is written.");
            action();
        }
    }

    /// <summary>Deletes every registered path that still exists and forgets them all; the registry stays usable.</summary>
    /// <returns>The number of files and folders deleted.</returns>
    public int DeleteAll()
    {
        lock (_gate) return DeleteLocked();
    }

    /// <summary>
    /// Deletes every registered path and refuses new registrations from now on: called once when the
    /// process is interrupted (SIGINT, SIGTERM), after which nothing more is written. Waits for a
    /// running <see cref="Exclusive"/> section to finish first.
    /// </summary>
    /// <returns>The number of files and folders deleted.</returns>
    public int Shutdown()
    {
        lock (_gate)
        {
            _closed = true;
            return DeleteLocked();
        }
    }

    private int DeleteLocked()
    {
        int deleted = 0;
        foreach (var (path, isDirectory) in _paths.Values)
        {
            try
            {
                if (isDirectory && Directory.Exists(path)) { Directory.Delete(path, recursive: true); deleted++; }
                else if (!isDirectory && File.Exists(path)) { File.Delete(path); deleted++; }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        _paths.Clear();
        return deleted;
    }

    private void Unregister(long id)
    {
        lock (_gate) _paths.Remove(id);
    }

    /// <summary>One registered path; disposing it unregisters the path (it does not delete it).</summary>
    public sealed class Registration : IDisposable
    {
        private readonly TemporaryFiles _owner;
        private readonly long _id;

        internal Registration(TemporaryFiles owner, long id)
        {
            _owner = owner;
            _id = id;
        }

        /// <summary>Unregisters the path.</summary>
        public void Dispose() => _owner.Unregister(_id);
    }

    /// <summary>
    /// The temporary path for writing <paramref name="destination"/>: <c>.NAME.PID.GUID.tmp</c> in the same
    /// folder (so that the final rename is atomic), with this process's id and a fresh GUID (32 hex digits).
    /// </summary>
    public static string TemporaryPathFor(string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        string full = Path.GetFullPath(destination);
        string dir = Path.GetDirectoryName(full) ?? ".";
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Whether <paramref name="fileName"/> (a name, not a path) is exactly a Tangent temporary file name,
    /// <c>.NAME.PID.GUID.tmp</c> with PID decimal digits and GUID 32 lowercase hex digits, and if so the
    /// process id that wrote it.
    /// </summary>
    public static bool TryParseTemporaryName(string fileName, out int processId)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        processId = 0;
        var m = TemporaryName().Match(fileName);
        return m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out processId) && processId > 0;
    }

    /// <summary>
    /// Removes the temporary files in <paramref name="directory"/> that a process which is no longer
    /// running left behind: regular files named exactly <c>.NAME.PID.GUID.tmp</c> whose PID is not a live
    /// process and that have not been modified for <see cref="StaleAge"/>. Nothing else is touched; files
    /// that cannot be deleted are left.
    /// </summary>
    /// <param name="directory">The folder to clean (not recursive).</param>
    /// <param name="minimumAge">How long a file must be unmodified (default <see cref="StaleAge"/>).</param>
    /// <returns>The full paths removed.</returns>
    public static IReadOnlyList<string> RemoveStale(string directory, TimeSpan? minimumAge = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var removed = new List<string>();
        if (!Directory.Exists(directory)) return removed;
        var age = minimumAge ?? StaleAge;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, ".*.tmp").ToList();
        }
        catch (IOException) { return removed; }
        catch (UnauthorizedAccessException) { return removed; }
        foreach (string path in candidates)
        {
            if (!TryParseTemporaryName(Path.GetFileName(path), out int pid) || IsAlive(pid)) continue;
            try
            {
                var info = new FileInfo(path);
                if (info.LinkTarget is not null || (info.Attributes & FileAttributes.Directory) != 0) continue;
                if (DateTime.UtcNow - info.LastWriteTimeUtc < age) continue;
                info.Delete();
                removed.Add(info.FullName);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary><see cref="RemoveStale"/> once per folder and process (writers call this before each write).</summary>
    internal static void RemoveStaleOnce(string directory)
    {
        string key = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (SweptDirectories.TryAdd(key, true)) RemoveStale(key);
    }

    /// <summary>Whether a process with this id is running (on Linux: /proc/PID exists; elsewhere: the process table).</summary>
    internal static bool IsAlive(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{processId}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(processId);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    [GeneratedRegex(@"^\..+\.([0-9]{1,10})\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();
}
