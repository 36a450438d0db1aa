using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tangent.Tests.Reliability;

/// <summary>
/// The suite's own writers and readers of .npy, IDX and CSV bytes, independent of the product:
/// the writers build valid and malformed inputs byte by byte, the readers check outputs.
/// </summary>
internal static partial class Formats
{
    /// <summary>A .npy file with the given header fields and raw data (version 1.0 unless <paramref name="major"/> says otherwise).</summary>
    /// <param name="descr">The dtype, e.g. '&lt;f8'.</param>
    /// <param name="fortran">The fortran_order flag.</param>
    /// <param name="shape">The shape tuple text, e.g. (3, 2).</param>
    /// <param name="data">The raw bytes after the header.</param>
    /// <param name="major">The format version (1, 2 or 3; anything else to test refusals).</param>
    /// <param name="dict">The header dict text; null builds it from descr, fortran and shape.</param>
    /// <param name="magic">The six magic bytes (default \x93NUMPY).</param>
    /// <param name="claimedHeaderLength">The header length written in the preamble (default: the true one).</param>
    public static byte[] Npy(string descr, bool fortran, string shape, ReadOnlySpan<byte> data, int major = 1, string? dict = null, byte[]? magic = null, int? claimedHeaderLength = null)
    {
        dict ??= $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int pre = major == 1 ? 10 : 12;
        int pad = (64 - (pre + dict.Length + 1) % 64) % 64;
        string h = dict + new string(' ', pad) + "\n";
        var ms = new MemoryStream();
        ms.Write(magic ?? [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        ms.WriteByte((byte)major);
        ms.WriteByte(0);
        int len = claimedHeaderLength ?? h.Length;
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)len));
        else ms.Write(BitConverter.GetBytes((uint)len));
        ms.Write(Encoding.Latin1.GetBytes(h));
        ms.Write(data);
        return ms.ToArray();
    }

    /// <summary>A float64 little-endian C-order .npy of a rows×cols matrix.</summary>
    public static byte[] NpyF8(double[,] m) => Npy("<f8", false, Shape(m.GetLength(0), m.GetLength(1)), F8(Flatten(m)));

    /// <summary>NumPy's shape text: <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    public static string Shape(params long[] dims) => dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";

    public static byte[] F8(IEnumerable<double> v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] F4(IEnumerable<float> v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] F8BigEndian(IEnumerable<double> v) => v.SelectMany(x =>
    {
        var b = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, x);
        return b;
    }).ToArray();

    public static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();

    /// <summary>An IDX file: magic 0 0 type rank, big-endian int32 dims, raw data.</summary>
    public static byte[] Idx(byte type, int[] dims, ReadOnlySpan<byte> data, byte[]? magicPrefix = null)
    {
        var ms = new MemoryStream();
        ms.Write(magicPrefix ?? [0, 0]);
        ms.WriteByte(type);
        ms.WriteByte((byte)dims.Length);
        var b = new byte[4];
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(b, d);
            ms.Write(b);
        }
        ms.Write(data);
        return ms.ToArray();
    }

    /// <summary>CSV text of a matrix, shortest round-trip form.</summary>
    public static string Csv(double[,] m, string? header = null, string newline = "\n")
    {
        var sb = new StringBuilder();
        if (header is not null) sb.Append(header).Append(newline);
        for (int i = 0; i < m.GetLength(0); i++)
        {
            for (int j = 0; j < m.GetLength(1); j++)
            {
                if (j > 0) sb.Append(',');
                sb.Append(m[i, j].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append(newline);
        }
        return sb.ToString();
    }

    /// <summary>A deterministic matrix of modest values (two decimals in [-2, 2]).</summary>
    public static double[,] Matrix(int rows, int cols, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = scale * (rng.Next(-200, 201) / 100.0);
        return m;
    }

    /// <summary>An output matrix read back by the suite: shape and values, or why it cannot be read.</summary>
    public sealed record Read(int Rows, int Cols, double[] Values, string? Problem)
    {
        public int NonFinite => Values.Count(v => !double.IsFinite(v));
    }

    /// <summary>Reads a .npy output (little-endian f8/f4, C order, any rank: rows = first axis).</summary>
    public static Read ReadNpy(byte[] b)
    {
        Read Bad(string why) => new(0, 0, [], why);
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY") return Bad("no \\x93NUMPY magic");
        int major = b[6];
        int hl, start;
        if (major == 1) { hl = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); start = 10; }
        else if (major is 2 or 3 && b.Length >= 12) { hl = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)); start = 12; }
        else return Bad($"version {major}");
        if (start + hl > b.Length) return Bad("header longer than the file");
        string h = Encoding.Latin1.GetString(b, start, hl);
        var descr = DescrRegex().Match(h);
        var fortran = FortranRegex().Match(h);
        var shape = ShapeRegex().Match(h);
        if (!descr.Success || !fortran.Success || !shape.Success) return Bad($"header not understood: {h.Trim()}");
        if (fortran.Groups[1].Value == "True") return Bad("fortran_order True in an output");
        int size = descr.Groups[1].Value switch { "<f8" => 8, "<f4" => 4, _ => 0 };
        if (size == 0) return Bad($"dtype {descr.Groups[1].Value} (outputs are <f8 or <f4)");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        long data = b.Length - start - hl;
        if (data != count * size) return Bad($"shape {shape.Groups[0].Value} needs {count * size} data bytes, the file has {data}");
        var v = new double[count];
        for (long i = 0; i < count; i++)
        {
            var s = b.AsSpan((int)(start + hl + i * size), size);
            v[i] = size == 8 ? BinaryPrimitives.ReadDoubleLittleEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s);
        }
        int rows = dims.Length == 0 ? 1 : (int)dims[0];
        int cols = dims.Length <= 1 ? 1 : (int)dims.Skip(1).Aggregate(1L, (a, d) => a * d);
        return new Read(rows, cols, v, null);
    }

    /// <summary>Reads a CSV output of numbers (no header; NaN/Infinity are read as such to be counted).</summary>
    public static Read ReadCsv(string text)
    {
        var values = new List<double>();
        int rows = 0, cols = -1;
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var cells = line.Split(',');
            if (cols < 0) cols = cells.Length;
            else if (cells.Length != cols) return new(0, 0, [], $"row {rows + 1} has {cells.Length} cells, row 1 has {cols}");
            foreach (var c in cells)
            {
                if (!double.TryParse(c.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    return new(0, 0, [], $"cell '{c}' in row {rows + 1} is not a number");
                values.Add(v);
            }
            rows++;
        }
        if (rows == 0) return new(0, 0, [], "no rows");
        return new(rows, cols, values.ToArray(), null);
    }

    /// <summary>Non-finite tokens (NaN, Infinity, ∞) anywhere in a text file such as a report CSV.</summary>
    public static int NonFiniteTokens(string text) => NonFiniteRegex().Count(text);

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();

    [GeneratedRegex(@"(?<![A-Za-z])(NaN|-?Infinity|-?∞)(?![A-Za-z])")]
    private static partial Regex NonFiniteRegex();
}
