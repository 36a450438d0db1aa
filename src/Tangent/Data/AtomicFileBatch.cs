namespace Tangent.Data;

/// <summary>
/// Several atomic writes that appear together or not at all (docs/RELIABILITY.md). While a batch is
/// open in the current flow of execution, every <see cref="AtomicFile"/> write — and so every
/// <see cref="MatrixFile"/>, <see cref="Npy"/>, <see cref="CsvFile"/> and <see cref="StackedMatrixFile"/> write —
/// fills its temporary file but does not rename it. <see cref="Commit"/> then renames them all; if one
/// rename fails, the files renamed before it are taken back (a file that existed before is restored
/// from the copy kept aside, a new one is deleted). Disposing a batch that was not committed deletes
/// its temporary files, so a failed or cancelled run leaves the destinations as they were.
/// </summary>
/// <example>
/// <code>
/// using (var batch = AtomicFileBatch.Begin())
/// {
///     MatrixFile.Write("mean.npy", mean);
///     MatrixFile.Write("var.npy", variance);
///     batch.Commit();           // both files appear, or neither
/// }
/// </code>
/// </example>
public sealed class AtomicFileBatch : IDisposable
{
    private static readonly AsyncLocal<AtomicFileBatch?> Open = new();

    private readonly List<Entry> _entries = [];
    private bool _committed;
    private bool _disposed;

    private sealed record Entry(string Temporary, string Destination, TemporaryFiles.Registration Registration);

    private AtomicFileBatch()
    {
    }

    /// <summary>Opens a batch for the current flow of execution.</summary>
    /// <exception cref="InvalidOperationException">A batch is already open; batches do not nest.</exception>
    public static AtomicFileBatch Begin()
    {
        if (Current is not null) throw new InvalidOperationException("An AtomicFileBatch is already open; commit or dispose it before beginning another.");
        var batch = new AtomicFileBatch();
        Open.Value = batch;
        return batch;
    }

    /// <summary>The open, uncommitted batch of this flow of execution, or null.</summary>
    internal static AtomicFileBatch? Current => Open.Value is { _committed: false, _disposed: false } b ? b : null;

    /// <summary>The full paths of the files written into this batch so far, in order.</summary>
    public IReadOnlyList<string> Destinations => _entries.Select(e => e.Destination).ToList();

    /// <summary>Refuses a second write to the same destination in one batch (the first would be lost).</summary>
    internal void CheckNew(string fullPath, string given)
    {
        if (_entries.Any(e => string.Equals(e.Destination, fullPath, StringComparison.Ordinal)))
            throw new IOException($"'{given}' would be written twice in one run; give each output its own file name.");
    }

    internal void Enlist(string temporary, string destination, TemporaryFiles.Registration registration)
    {
        ObjectDisposedException.ThrowIf(_disposed || _committed, this);
        _entries.Add(new Entry(temporary, destination, registration));
    }

    /// <summary>
    /// Renames every temporary file onto its destination, all or nothing, while no interrupt cleanup
    /// can run (<see cref="TemporaryFiles.Exclusive"/>). A destination that exists is first moved aside
    /// to <c>.NAME.PID.GUID.old</c> and restored if a later rename fails; on success the copies aside
    /// are deleted.
    /// </summary>
    /// <param name="cancellationToken">Checked before the first rename; once renaming starts it runs to the end.</param>
    /// <exception cref="OperationCanceledException">Cancelled before renaming; nothing was changed.</exception>
    /// <exception cref="IOException">A rename failed; every destination is as it was before.</exception>
    public void Commit(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("This batch was already committed.");
        cancellationToken.ThrowIfCancellationRequested();
        TemporaryFiles.Process.Exclusive(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var done = new List<(Entry Entry, string? Aside)>();
            try
            {
                foreach (var e in _entries)
                {
                    string? aside = null;
                    if (File.Exists(e.Destination))
                    {
                        aside = Path.ChangeExtension(TemporaryFiles.TemporaryPathFor(e.Destination), ".old");
                        File.Move(e.Destination, aside);
                    }
                    try
                    {
                        File.Move(e.Temporary, e.Destination, overwrite: true);
                    }
                    catch
                    {
                        if (aside is not null) File.Move(aside, e.Destination, overwrite: true);
                        throw;
                    }
                    done.Add((e, aside));
                }
            }
            catch
            {
                for (int i = done.Count - 1; i >= 0; i--)
                {
                    var (e, aside) = done[i];
                    try
                    {
                        if (aside is not null) File.Move(aside, e.Destination, overwrite: true);
                        else File.Delete(e.Destination);
                    }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
                throw;
            }
            foreach (var (e, aside) in done)
            {
                if (aside is not null) AtomicFile.TryDelete(aside);
                e.Registration.Dispose();
            }
            _committed = true;
        });
    }

    /// <summary>Closes the batch; if it was not committed, deletes its temporary files (the destinations are untouched).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_committed)
            foreach (var e in _entries)
            {
                AtomicFile.TryDelete(e.Temporary);
                e.Registration.Dispose();
            }
        if (ReferenceEquals(Open.Value, this)) Open.Value = null;
    }
}
