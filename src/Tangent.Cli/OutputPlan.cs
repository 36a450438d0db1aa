using System.Globalization;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// What one run writes (docs/RELIABILITY.md): every output path is declared — and checked: its folder
/// exists, it is not a folder, its extension is known, no two outputs share a path — before any work;
/// the contents are collected as they are computed, checked to be finite, and written together at the
/// very end (<see cref="AtomicFileBatch"/>): either every output appears, or none does and any file they
/// would have replaced is as it was.
/// </summary>
internal sealed class OutputPlan
{
    /// <summary>What an output holds, which decides the extensions it may have.</summary>
    public enum Kind
    {
        /// <summary>A matrix or stack of matrices: .npy, .csv, .tsv, .txt, optionally .gz.</summary>
        Matrix,
        /// <summary>A plot: .png.</summary>
        Png,
    }

    private static readonly StringComparison PathComparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    private readonly List<(string Option, string Path)> _paths = [];
    private readonly List<Item> _items = [];

    private sealed record Item(string Option, string Path, string What, Action<string> Write, IReadOnlyList<Matrix> Values,
        IReadOnlyList<string>? SliceNames, string Fix, bool Float32);

    /// <summary>Checks an output path given with <paramref name="option"/> and reserves it; returns its full path.</summary>
    /// <exception cref="CliError">The folder is missing, the path is a folder, the extension is not one of <paramref name="kind"/>'s, or another output has this path.</exception>
    public string Declare(string option, FileInfo file, Kind kind = Kind.Matrix)
    {
        ArgumentNullException.ThrowIfNull(file);
        string given = file.ToString();
        string full = file.FullName;
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (Directory.Exists(full))
            throw new CliError($"{option} '{given}' is a folder; give a file name.", $"e.g. {option} {Path.Combine(given, kind == Kind.Png ? "plot.png" : "out.npy")}");
        if (!Directory.Exists(dir))
            throw new CliError($"{option} '{given}': the folder '{dir}' does not exist.", "create it first (mkdir -p) or give another path.");
        if (kind == Kind.Png)
        {
            if (!full.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new CliError($"{option} '{given}': a plot is a PNG image; end the name in .png.");
        }
        else
        {
            try
            {
                MatrixFile.FormatOf(full);
            }
            catch (DataFormatException)
            {
                string ext = Path.GetExtension(full);
                throw new CliError($"{option} '{given}': '{(ext.Length == 0 ? "(no extension)" : ext)}' is not an output format.",
                    "end the name in .npy or .csv (also .tsv or .txt; add .gz to compress).");
            }
        }
        Reserve(option, full);
        return full;
    }

    /// <summary>Reserves a derived path (e.g. one file per time) for <paramref name="option"/>.</summary>
    /// <exception cref="CliError">Another output of this run has the same path.</exception>
    public void Reserve(string option, string fullPath)
    {
        foreach (var (o, p) in _paths)
            if (string.Equals(p, fullPath, PathComparison))
                throw new CliError(o == option ? $"{option} would write '{fullPath}' twice." : $"{o} and {option} both name '{fullPath}'.",
                    "give each output its own file.");
        _paths.Add((option, fullPath));
    }

    /// <summary>A matrix to write at <paramref name="path"/> (format by extension).</summary>
    /// <param name="option">The option that named the file.</param>
    /// <param name="path">The full path (declared before).</param>
    /// <param name="value">The matrix.</param>
    /// <param name="what">What it is, for the "wrote" line and errors, e.g. "predictions".</param>
    /// <param name="fix">The hint printed when the matrix holds a non-finite value.</param>
    /// <param name="elementType">The .npy element type.</param>
    public void AddMatrix(string option, string path, Matrix value, string what, string fix, NpyElementType elementType = NpyElementType.Float64) =>
        _items.Add(new Item(option, path, $"{what} {value.Shape}", p => MatrixFile.Write(p, value, elementType), [value], null, fix,
            elementType == NpyElementType.Float32 && MatrixFile.FormatOf(path) == MatrixFileFormat.Npy));

    /// <summary>A stack of matrices, one per time, as one file (<see cref="StackedMatrixFile"/>: a (T, rows, cols) .npy or a CSV with a leading time column).</summary>
    public void AddStack(string option, string path, IReadOnlyList<Matrix> slices, IReadOnlyList<double> times, string what, string fix,
        IReadOnlyList<string>? columnNames = null)
    {
        var first = slices[0];
        string shape = MatrixFile.FormatOf(path) == MatrixFileFormat.Npy
            ? Npy.FormatShape([slices.Count, first.Rows, first.Cols])
            : $"({slices.Count}·{first.Rows} rows, time + {first.Cols} columns)";
        _items.Add(new Item(option, path, $"{what} {shape}", p => StackedMatrixFile.Write(p, slices, times, "time", columnNames), slices,
            times.Select(t => "t = " + FormatTime(t)).ToList(), fix, false));
    }

    /// <summary>A file written by <paramref name="write"/> (given the path), e.g. a CSV of labels.</summary>
    public void AddFile(string option, string path, string what, Action<string> write) =>
        _items.Add(new Item(option, path, what, write, [], null, "", false));

    /// <summary>A PNG image.</summary>
    public void AddPng(string option, string path, byte[] png, string what) =>
        _items.Add(new Item(option, path, what, p => AtomicFile.Write(p, s => s.Write(png)), [], null, "", false));

    /// <summary>
    /// Checks every matrix (finite; within float32 range when stored as float32), then writes all outputs
    /// together and prints one "wrote" line each. On any failure nothing is written.
    /// </summary>
    /// <exception cref="CliError">A matrix holds NaN or ±∞ (named by option, row and column, 1-based, and time).</exception>
    public void WriteAll(TextWriter output)
    {
        var token = TangentCli.Cancellation;
        foreach (var item in _items) Check(item);
        token.ThrowIfCancellationRequested();
        using (var batch = AtomicFileBatch.Begin())
        {
            foreach (var item in _items)
            {
                token.ThrowIfCancellationRequested();
                item.Write(item.Path);
            }
            batch.Commit(token);
        }
        foreach (var item in _items) output.WriteLine($"wrote {item.What} to {item.Path}");
    }

    private static void Check(Item item)
    {
        for (int s = 0; s < item.Values.Count; s++)
        {
            var m = item.Values[s];
            string at(int r, int c) => $"entry (row {r + 1}, column {c + 1})" + (item.SliceNames is { } names ? $" at {names[s]}" : "");
            if (m.FirstNonFinite() is var (row, col))
            {
                double v = m[row, col];
                string text = double.IsNaN(v) ? "NaN" : v > 0 ? "+∞" : "−∞";
                throw new CliError($"{item.Option}: {at(row, col)} of the {item.What} is {text}; nothing was written.", item.Fix);
            }
            if (!item.Float32) continue;
            var data = m.Data;
            for (int k = 0; k < data.Length; k++)
                if (Math.Abs(data[k]) > float.MaxValue)
                    throw new CliError($"{item.Option}: {at(k / m.Cols, k % m.Cols)} of the {item.What} is {data[k].ToString("G6", CultureInfo.InvariantCulture)}, beyond float32; nothing was written.",
                        "drop --dtype float32 to write float64.");
        }
    }

    /// <summary>A time as written in names and tables: "inf" or the shortest round-trip text.</summary>
    public static string FormatTime(double t) => double.IsPositiveInfinity(t) ? "inf" : t.ToString("R", CultureInfo.InvariantCulture);
}
