using System.Diagnostics;
using Tangent.Data;

namespace Tangent.Experiments;

/// <summary>
/// The UCI-90 data for the benchmark, from an extracted folder or from the archive itself (<c>uci90.txz</c>), which is
/// then extracted with the system's <c>tar</c> into a temporary folder that <see cref="Dispose"/> deletes (and that an
/// interrupt deletes too: it is registered with <see cref="TemporaryFiles.Process"/>).
/// </summary>
public sealed class UciDataFolder : IDisposable
{
    private readonly TemporaryFiles.Registration? _registration;
    private readonly string? _temporary;

    private UciDataFolder(string root, string? temporary, TemporaryFiles.Registration? registration)
    {
        Root = root;
        _temporary = temporary;
        _registration = registration;
    }

    /// <summary>The folder holding one sub-folder per data set.</summary>
    public string Root { get; }

    /// <summary>True when the data came from an archive extracted into a temporary folder.</summary>
    public bool Extracted => _temporary is not null;

    /// <summary>
    /// Opens <paramref name="path"/>: a folder of data sets, a folder holding <c>uci90/</c>, or an archive (<c>.txz</c>,
    /// <c>.tar.xz</c>, <c>.tar</c>) holding such a folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="IOException">The archive cannot be extracted (no tar with xz, or tar failed); the message says to extract it by hand.</exception>
    /// <exception cref="ArgumentException">The folder (or archive) holds no data set.</exception>
    public static UciDataFolder Open(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path)) return new UciDataFolder(FindRoot(path, path), null, null);
        if (!File.Exists(path))
            throw new DirectoryNotFoundException($"The UCI data '{path}' does not exist. Give the uci90.txz archive or the folder it extracts to (tar xJf uci90.txz).");
        string tmp = Path.Combine(Path.GetTempPath(), $"tangent-uci-{Guid.NewGuid():N}");
        var registration = TemporaryFiles.Process.Register(tmp, isDirectory: true);
        try
        {
            Directory.CreateDirectory(tmp);
            Extract(path, tmp, cancellationToken);
            return new UciDataFolder(FindRoot(tmp, path), tmp, registration);
        }
        catch
        {
            Delete(tmp);
            registration.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the temporary folder of an extracted archive (nothing for a folder given as is).</summary>
    public void Dispose()
    {
        if (_temporary is not null) Delete(_temporary);
        _registration?.Dispose();
    }

    private static void Delete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string FindRoot(string folder, string given)
    {
        if (Uci90.List(folder).Count > 0) return folder;
        string inner = Path.Combine(folder, "uci90");
        if (Directory.Exists(inner) && Uci90.List(inner).Count > 0) return inner;
        throw new ArgumentException($"'{given}' holds no UCI data set (a folder NAME with NAME_R.dat, directly or under uci90/); give the uci90.txz archive or the folder it extracts to.");
    }

    private static void Extract(string archive, string into, CancellationToken cancellationToken)
    {
        string? tar = FindOnPath("tar");
        string manual = $"extract it by hand (tar xJf {archive}) and give the folder it creates (uci90) instead";
        if (tar is null) throw new IOException($"Cannot read the archive '{archive}': no 'tar' program on PATH; {manual}.");
        var psi = new ProcessStartInfo(tar) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-xf", Path.GetFullPath(archive), "-C", into }) psi.ArgumentList.Add(a);   // tar detects xz itself
        using var p = Process.Start(psi) ?? throw new IOException($"Cannot start '{tar}' to read '{archive}'; {manual}.");
        var err = p.StandardError.ReadToEndAsync(cancellationToken);
        _ = p.StandardOutput.ReadToEndAsync(cancellationToken);
        try
        {
            p.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        if (p.ExitCode != 0)
        {
            string first = (err.IsCompletedSuccessfully ? err.Result : "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {p.ExitCode}";
            throw new IOException($"Cannot extract '{archive}' with tar ({first}); {manual}.");
        }
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
