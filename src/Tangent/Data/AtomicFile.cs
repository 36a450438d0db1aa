using System.Text;

namespace Tangent.Data;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the destination's directory,
/// which is then renamed over the destination. A reader never sees a half-written file, a failed
/// write leaves the previous file untouched, and the temporary file is deleted on failure.
/// Every writer in <see cref="Tangent.Data"/> goes through this class.
/// </summary>
/// <remarks>
/// The temporary file is <c>.NAME.PID.GUID.tmp</c> and is registered with <see cref="TemporaryFiles.Process"/>
/// while it exists, so that an interrupted process deletes it; before the first write into a folder,
/// temporary files that dead processes left there are removed (<see cref="TemporaryFiles.RemoveStale"/>).
/// Inside an <see cref="AtomicFileBatch"/> the rename is deferred to the batch's commit, so that several
/// files appear together or not at all (docs/RELIABILITY.md).
/// </remarks>
public static class AtomicFile
{
    /// <summary>The UTF-8 encoding used for text files (no byte-order mark).</summary>
    public static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="path"/> atomically with the bytes that <paramref name="write"/> puts into the stream.</summary>
    /// <param name="path">The destination; its directory must exist.</param>
    /// <param name="write">Writes the whole content. If it throws, nothing is changed on disk.</param>
    /// <exception cref="DirectoryNotFoundException">The destination directory does not exist.</exception>
    /// <exception cref="OperationCanceledException">The process is being interrupted (<see cref="TemporaryFiles.Shutdown"/>); nothing is written.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{dir}' does not exist. Create it first.");
        if (Directory.Exists(full))
            throw new IOException($"Cannot write '{path}': it is a directory. Give a file name.");
        TemporaryFiles.RemoveStaleOnce(dir);
        var batch = AtomicFileBatch.Current;
        batch?.CheckNew(full, path);
        string temp = TemporaryFiles.TemporaryPathFor(full);
        var registration = TemporaryFiles.Process.Register(temp);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            if (batch is not null)
            {
                batch.Enlist(temp, full, registration);   // renamed by the batch's Commit, deleted by its Dispose
                return;
            }
            TemporaryFiles.Process.Exclusive(() =>
            {
                File.Move(temp, full, overwrite: true);
                registration.Dispose();
            });
        }
        catch
        {
            TryDelete(temp);
            registration.Dispose();
            throw;
        }
    }

    /// <summary>Writes a text file atomically (UTF-8 without BOM) through a <see cref="TextWriter"/>.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="write">Writes the whole text.</param>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, s =>
        {
            using var w = new StreamWriter(s, Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            write(w);
        });
    }

    /// <summary>Writes <paramref name="text"/> to a file atomically (UTF-8 without BOM).</summary>
    /// <param name="path">The destination.</param>
    /// <param name="text">The content.</param>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteText(path, w => w.Write(text));
    }

    internal static void TryDelete(string temp)
    {
        try { File.Delete(temp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
