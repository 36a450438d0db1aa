using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>The file formats that <see cref="MatrixFile"/> reads and writes.</summary>
public enum MatrixFileFormat
{
    /// <summary>Comma-separated text (<c>.csv</c>, <c>.csv.gz</c>; <c>.tsv</c>/<c>.txt</c> are read with delimiter detection).</summary>
    Csv,
    /// <summary>NumPy binary (<c>.npy</c>, <c>.npy.gz</c>).</summary>
    Npy,
}

/// <summary>
/// Reads and writes a matrix choosing the format from the file name: <c>.csv</c>, <c>.tsv</c>,
/// <c>.txt</c> (text) or <c>.npy</c> (NumPy), each optionally followed by <c>.gz</c>.
/// Writes are atomic (<see cref="AtomicFile"/>).
/// </summary>
public static class MatrixFile
{
    /// <summary>The format implied by a file name.</summary>
    /// <exception cref="DataFormatException">The extension is not one of the supported ones.</exception>
    public static MatrixFileFormat FormatOf(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string ext = Path.GetExtension(DataStreams.WithoutGz(path)).ToLowerInvariant();
        return ext switch
        {
            ".csv" or ".tsv" or ".txt" => MatrixFileFormat.Csv,
            ".npy" => MatrixFileFormat.Npy,
            _ => throw new DataFormatException(path,
                $"the extension '{(ext.Length == 0 ? "(none)" : ext)}' is not a matrix format this program knows. Use .csv, .tsv, .txt or .npy (optionally followed by .gz)."),
        };
    }

    /// <summary>
    /// Reads a matrix (CSV: header detected and dropped; NPY: N-D arrays flattened to n×rest). Every
    /// format refuses NaN and ±infinity unless <see cref="CsvReadOptions.AllowNonFinite"/> is set.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="csvOptions">Options for text files; its <see cref="CsvReadOptions.AllowNonFinite"/> applies to <c>.npy</c> files too.</param>
    /// <exception cref="DataFormatException">The file is malformed or holds a value that is not finite.</exception>
    public static Matrix Read(string path, CsvReadOptions? csvOptions = null) => FormatOf(path) switch
    {
        MatrixFileFormat.Npy => Npy.ReadMatrix(path, csvOptions?.AllowNonFinite ?? false),
        _ => CsvFile.ReadMatrix(path, csvOptions),
    };

    /// <summary>Reads inputs X and targets Y from two files (any supported formats) and checks that their row counts agree.</summary>
    /// <exception cref="DataFormatException">A file is malformed or the row counts differ.</exception>
    public static (Matrix X, Matrix Y) ReadXY(string xPath, string yPath, CsvReadOptions? csvOptions = null)
    {
        var x = Read(xPath, csvOptions);
        var y = Read(yPath, csvOptions);
        CsvFile.RequireSameRows(xPath, x, yPath, y);
        return (x, y);
    }

    /// <summary>Writes a matrix atomically in the format named by the extension.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="matrix">The values.</param>
    /// <param name="npyElementType">For <c>.npy</c>: Float64 (default) or Float32. Text is always full double precision.</param>
    public static void Write(string path, Matrix matrix, NpyElementType npyElementType = NpyElementType.Float64)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        string ext = Path.GetExtension(DataStreams.WithoutGz(path)).ToLowerInvariant();
        switch (FormatOf(path))
        {
            case MatrixFileFormat.Npy:
                Npy.Write(path, matrix, npyElementType);
                break;
            default:
                CsvFile.Write(path, matrix, null, ext == ".tsv" ? CsvDelimiter.Tab : ext == ".txt" ? CsvDelimiter.Whitespace : CsvDelimiter.Comma);
                break;
        }
    }
}
