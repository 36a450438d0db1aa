using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Writes a stack of equally shaped matrices — one per training time, say — as one file, the
/// layout of Neural Tangents' arrays with a leading time axis (docs/DYNAMICS.md):
/// <list type="bullet">
/// <item><c>.npy</c>: a 3-D array of shape (T, rows, cols), slice t in C order after slice t − 1;</item>
/// <item>text (<c>.csv</c>, <c>.tsv</c>, <c>.txt</c>): a header line <c>KEY,NAME1,…</c> and T·rows lines, each
/// the slice's key (e.g. the time; ∞ is written <c>Infinity</c>) followed by one row of the slice.</item>
/// </list>
/// Writes are atomic (<see cref="AtomicFile"/>); a trailing <c>.gz</c> compresses.
/// </summary>
public static class StackedMatrixFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes the slices in the format named by the extension of <paramref name="path"/>.</summary>
    /// <param name="path">The destination (.npy, .csv, .tsv, .txt, optionally .gz).</param>
    /// <param name="slices">At least one matrix; all of the same shape.</param>
    /// <param name="keys">One key per slice (the time of each slice), written as the first column of text files; not stored in .npy.</param>
    /// <param name="keyName">The header of the key column in text files.</param>
    /// <param name="columnNames">Header names of the slices' columns in text files (default c1, c2, …).</param>
    /// <param name="npyElementType">Float64 (default) or Float32 for .npy.</param>
    /// <exception cref="ArgumentException">No slices, slices of different shapes, or keys of the wrong count.</exception>
    public static void Write(string path, IReadOnlyList<Matrix> slices, IReadOnlyList<double> keys, string keyName = "time",
        IReadOnlyList<string>? columnNames = null, NpyElementType npyElementType = NpyElementType.Float64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(keys);
        CheckSlices(slices);
        if (keys.Count != slices.Count)
            throw new ArgumentException($"{keys.Count} keys were given for {slices.Count} slices; give one key per slice.", nameof(keys));
        if (MatrixFile.FormatOf(path) == MatrixFileFormat.Npy)
        {
            if (npyElementType is not (NpyElementType.Float64 or NpyElementType.Float32))
                throw new ArgumentException($"Writing {npyElementType} is not supported; write Float64 (exact) or Float32.", nameof(npyElementType));
            DataStreams.WriteAtomic(path, s => WriteNpy(s, slices, npyElementType));
            return;
        }
        string ext = Path.GetExtension(DataStreams.WithoutGz(path)).ToLowerInvariant();
        char d = ext == ".tsv" ? '\t' : ext == ".txt" ? ' ' : ',';
        int cols = slices[0].Cols;
        var names = columnNames ?? Enumerable.Range(1, cols).Select(j => "c" + j.ToString(CultureInfo.InvariantCulture)).ToList();
        if (names.Count != cols)
            throw new ArgumentException($"{names.Count} column names were given for slices with {cols} columns; give one name per column.", nameof(columnNames));
        DataStreams.WriteAtomic(path, s =>
        {
            using var w = new StreamWriter(s, AtomicFile.Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine(string.Join(d, names.Prepend(keyName)));
            Span<char> buf = stackalloc char[32];
            for (int t = 0; t < slices.Count; t++)
            {
                string key = keys[t].ToString("R", CultureInfo.InvariantCulture);
                var m = slices[t];
                for (int i = 0; i < m.Rows; i++)
                {
                    w.Write(key);
                    foreach (double v in m.Row(i))
                    {
                        w.Write(d);
                        if (v.TryFormat(buf, out int n, "R", CultureInfo.InvariantCulture)) w.Write(buf[..n]);
                        else w.Write(v.ToString("R", CultureInfo.InvariantCulture));
                    }
                    w.WriteLine();
                }
            }
        });
    }

    /// <summary>Writes the slices as one (T, rows, cols) <c>.npy</c> array to a stream (version 1 header, or 2 when it is long; data 64-byte aligned).</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="slices">At least one matrix; all of the same shape.</param>
    /// <param name="elementType">Float64 or Float32.</param>
    public static void WriteNpy(Stream stream, IReadOnlyList<Matrix> slices, NpyElementType elementType = NpyElementType.Float64)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckSlices(slices);
        if (elementType is not (NpyElementType.Float64 or NpyElementType.Float32))
            throw new ArgumentException($"Writing {elementType} is not supported; write Float64 (exact) or Float32.", nameof(elementType));
        Npy.WriteHeader(stream, [slices.Count, slices[0].Rows, slices[0].Cols], elementType);
        foreach (var m in slices) Npy.WriteValues(stream, m.Data, elementType);
    }

    private static void CheckSlices(IReadOnlyList<Matrix> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("Give at least one slice to stack.", nameof(slices));
        var first = slices[0];
        for (int t = 1; t < slices.Count; t++)
            if (slices[t].Rows != first.Rows || slices[t].Cols != first.Cols)
                throw new ArgumentException($"Slice {t + 1} is {slices[t].Shape} but slice 1 is {first.Shape}; stacked slices must have one shape.", nameof(slices));
    }
}
