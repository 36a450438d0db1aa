using System.Globalization;
using System.Text;

namespace Tangent.Tests.Reliability;

/// <summary>A file for one input slot: its bytes, what it is, and what it demands.</summary>
/// <param name="Extension">".csv" or ".npy" (the slot's file gets this extension).</param>
/// <param name="Bytes">The content.</param>
/// <param name="About">What the file is, for the reproduction line.</param>
/// <param name="Demand">Refuse: a defect only a refusal answers; Succeed: a valid file; Either: unusual but defensible both ways.</param>
/// <param name="Rows">The data rows the file holds when it is read right (for the output shape), or null.</param>
/// <param name="Mention">What the error line must name besides the file (e.g. "row 3").</param>
internal sealed record InputFile(string Extension, byte[] Bytes, string About, Expect Demand, int? Rows, string[] Mention);

/// <summary>Valid and malformed CSV and .npy files built from a matrix (the defects of the issue's list).</summary>
internal static class Inputs
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A valid CSV file of the matrix (no header).</summary>
    public static InputFile ValidCsv(double[,] m) =>
        new(".csv", Utf8(Formats.Csv(m)), $"valid CSV {m.GetLength(0)}×{m.GetLength(1)}", Expect.Succeed, m.GetLength(0), []);

    /// <summary>A valid float64 .npy file of the matrix.</summary>
    public static InputFile ValidNpy(double[,] m) =>
        new(".npy", Formats.NpyF8(m), $"valid .npy <f8 {m.GetLength(0)}×{m.GetLength(1)}", Expect.Succeed, m.GetLength(0), []);

    /// <summary>Cell tokens that are not finite numbers (each must be refused, wherever it stands).</summary>
    public static readonly string[] BadTokens =
        ["NA", "", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e99999999999", "abc", "1.2.3", "0x1F", "--1", "-", "N/A", "null", "?"];

    /// <summary>The matrix as CSV lines (no header).</summary>
    private static List<string[]> Cells(double[,] m)
    {
        var rows = new List<string[]>();
        for (int i = 0; i < m.GetLength(0); i++)
        {
            var r = new string[m.GetLength(1)];
            for (int j = 0; j < r.Length; j++) r[j] = m[i, j].ToString("R", CultureInfo.InvariantCulture);
            rows.Add(r);
        }
        return rows;
    }

    private static string Join(IEnumerable<string[]> rows, string nl = "\n") => string.Concat(rows.Select(r => string.Join(',', r) + nl));

    /// <summary>One cell of line <paramref name="row"/> (1-based, no header) replaced by <paramref name="token"/>.</summary>
    public static InputFile CsvBadCell(double[,] m, int row, int col, string token, bool header = false)
    {
        var cells = Cells(m);
        cells[row - 1][col - 1] = token;
        string head = header ? string.Join(',', Enumerable.Range(1, m.GetLength(1)).Select(j => $"x{j}")) + "\n" : "";
        int line = row + (header ? 1 : 0);
        // Alone in row 1 of a one-column file, a word such as 'abc' makes that row a header by the strict
        // rule (a header is a row with no number in it): then the file is read with one row fewer.
        bool mayBeHeader = !header && row == 1 && m.GetLength(1) == 1 && token.Length > 0 && char.IsLetter(token[0]);
        return new(".csv", Utf8(head + Join(cells)), $"CSV {m.GetLength(0)}×{m.GetLength(1)}{(header ? " with a header" : "")}, data row {row} column {col} is '{token}'",
            mayBeHeader ? Expect.Either : Expect.Refuse, null, mayBeHeader ? [] : [$"row {line}"]);
    }

    /// <summary>Line <paramref name="row"/> with one cell too few (or too many).</summary>
    public static InputFile CsvRagged(double[,] m, int row, bool extra)
    {
        var cells = Cells(m);
        var r = cells[row - 1].ToList();
        if (extra) r.Add("0.5");
        else r.RemoveAt(r.Count - 1);
        cells[row - 1] = r.ToArray();
        // The row that is "wrong" is the odd one out; when row 1 is odd, the message may name row 2 against row 1.
        return new(".csv", Utf8(Join(cells)), $"CSV {m.GetLength(0)}×{m.GetLength(1)}, row {row} has {(extra ? "an extra" : "a missing")} cell", Expect.Refuse, null,
            row == 1 ? [] : [$"row {row}"]);
    }

    /// <summary>Whole-file defects and valid variants of the CSV text of <paramref name="m"/>.</summary>
    public static IEnumerable<(string Label, InputFile File)> CsvVariants(double[,] m, int seed)
    {
        int n = m.GetLength(0), d = m.GetLength(1);
        string header = string.Join(',', Enumerable.Range(1, d).Select(j => $"x{j}"));
        string body = Formats.Csv(m);
        byte[] bom = [0xEF, 0xBB, 0xBF];
        yield return ("bom", new(".csv", [.. bom, .. Utf8(body)], "CSV with a UTF-8 byte-order mark", Expect.Succeed, n, []));
        yield return ("bom+header", new(".csv", [.. bom, .. Utf8(header + "\n" + body)], "CSV with a UTF-8 BOM and a header line", Expect.Succeed, n, []));
        yield return ("header", new(".csv", Utf8(header + "\n" + body), "CSV with a header line x1,x2,…", Expect.Succeed, n, []));
        yield return ("quoted-header", new(".csv", Utf8(string.Join(',', Enumerable.Range(1, d).Select(j => $"\"feature {j}\"")) + "\n" + body), "CSV with a quoted header", Expect.Succeed, n, []));
        yield return ("crlf+blank+comments", new(".csv", Utf8("# exported\r\n" + Formats.Csv(m, newline: "\r\n") + "\r\n\r\n# end\r\n"), "CSV with CRLF, comment lines and trailing blank lines", Expect.Succeed, n, []));
        yield return ("quoted-numbers", new(".csv", Utf8(Join(Cells(m).Select(r => r.Select(c => $"\"{c}\"").ToArray()))), "CSV with every number in double quotes", Expect.Succeed, n, []));
        yield return ("spaces", new(".csv", Utf8(Join(Cells(m).Select(r => r.Select(c => $"  {c} ").ToArray()))), "CSV with spaces around cells", Expect.Succeed, n, []));
        yield return ("utf16", new(".csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(body)], "CSV in UTF-16 LE with BOM", Expect.Either, n, []));
        yield return ("only-header", new(".csv", Utf8(header + "\n"), "CSV with a header line and no data", Expect.Refuse, null, []));
        yield return ("empty", new(".csv", [], "an empty file", Expect.Refuse, null, []));
        yield return ("blank", new(".csv", Utf8("\n   \n\t\n"), "only blank lines", Expect.Refuse, null, []));
        yield return ("comments", new(".csv", Utf8("# nothing here\n# at all\n"), "only comment lines", Expect.Refuse, null, []));
        var garbage = new byte[512];
        new Random(seed).NextBytes(garbage);
        garbage[3] = 0;
        garbage[100] = 0;
        yield return ("binary", new(".csv", garbage, "512 random bytes (binary garbage with NULs)", Expect.Refuse, null, []));
        yield return ("decimal-comma", new(".csv", Utf8(Join(Cells(m).Select(r => r.Select(c => c.Replace('.', ',')).ToArray()).Select(r => new[] { string.Join(';', r) }))),
            "semicolon-separated with decimal commas (1,5;2,25)", Expect.Refuse, null, []));
        yield return ("unclosed-quote", new(".csv", Utf8(body.Insert(body.IndexOf('\n') + 1, "\"")), "CSV whose row 2 opens a quote it never closes", Expect.Refuse, null, ["row 2"]));
        yield return ("unicode-minus", new(".csv", Utf8(body.Insert(body.IndexOf('\n') + 1, "\u2212")), "CSV whose row 2 starts with U+2212 (a Unicode minus) before the number", Expect.Either, n, []));
        yield return ("header-with-number", new(".csv", Utf8("x1," + string.Join(',', Enumerable.Range(2, d - 1).Select(j => j.ToString(CultureInfo.InvariantCulture))) + "\n" + body),
            "CSV whose first line mixes a name and numbers (x1,2,3)", Expect.Either, n, []));
        yield return ("tabs", new(".csv", Utf8(body.Replace(',', '\t')), "tab-separated numbers in a .csv file", Expect.Either, n, []));
        yield return ("names-row-then-text", new(".csv", Utf8(header + "\n" + body + string.Join(',', Enumerable.Repeat("high", d)) + "\n"), "CSV with a header whose last row is words", Expect.Refuse, null, [$"row {n + 2}"]));
    }

    /// <summary>Malformed and valid-but-unusual .npy files of the matrix (issue's list: magic, header dict, shape overflow and wrap, Fortran order, dtypes, truncation, NaN/∞).</summary>
    public static IEnumerable<(string Label, InputFile File)> NpyVariants(double[,] m)
    {
        int n = m.GetLength(0), d = m.GetLength(1);
        var flat = Formats.Flatten(m);
        byte[] f8 = Formats.F8(flat);
        string shape = Formats.Shape(n, d);
        InputFile Bad(string about, byte[] b) => new(".npy", b, about, Expect.Refuse, null, []);
        InputFile Ok(string about, byte[] b, int? rows) => new(".npy", b, about, Expect.Succeed, rows, []);
        yield return ("bad-magic", Bad("magic \\x93NUMPX", Formats.Npy("<f8", false, shape, f8, magic: [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'X'])));
        yield return ("text", Bad("a text file named .npy", Encoding.UTF8.GetBytes(Formats.Csv(m))));
        yield return ("version-4", Bad("format version 4.0", Formats.Npy("<f8", false, shape, f8, major: 4)));
        yield return ("version-2", Ok("format version 2.0 (valid)", Formats.Npy("<f8", false, shape, f8, major: 2), n));
        yield return ("dict-list", Bad("header is a list, not a dict", Formats.Npy("<f8", false, shape, f8, dict: "[1, 2, 3]")));
        yield return ("dict-no-shape", Bad("header dict without 'shape'", Formats.Npy("<f8", false, shape, f8, dict: "{'descr': '<f8', 'fortran_order': False, }")));
        yield return ("dict-shape-int", Bad("'shape': 12 (not a tuple)", Formats.Npy("<f8", false, "12", f8)));
        yield return ("dict-shape-negative", Bad("'shape': (-5, 3)", Formats.Npy("<f8", false, "(-5, 3)", f8)));
        yield return ("dict-shape-junk", Bad("'shape': (5, x)", Formats.Npy("<f8", false, "(5, x)", f8)));
        yield return ("dict-structured", Bad("structured dtype [('a', '<f8')]", Formats.Npy("<f8", false, shape, f8, dict: $"{{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': {shape}, }}")));
        yield return ("dict-unterminated", Bad("unterminated 'descr' string", Formats.Npy("<f8", false, shape, f8, dict: "{'descr': '<f8, 'fortran_order': False, 'shape': (5, 3), }")));
        yield return ("dict-fortran-maybe", Bad("'fortran_order': maybe", Formats.Npy("<f8", false, shape, f8, dict: $"{{'descr': '<f8', 'fortran_order': maybe, 'shape': {shape}, }}")));
        yield return ("shape-overflow", Bad("shape (2147483647, 2147483647) with 15 values", Formats.Npy("<f8", false, "(2147483647, 2147483647)", f8)));
        yield return ("shape-axis-too-long", Bad("shape (3037000500, 3037000500)", Formats.Npy("<f8", false, "(3037000500, 3037000500)", f8)));
        yield return ("shape-wrap-zero", Bad("shape (65536, 65536, 65536, 65536): 2^64 entries, 0 after wrapping; no data", Formats.Npy("<f8", false, "(65536, 65536, 65536, 65536)", [])));
        yield return ("shape-wrap-12", Bad("shape (769546, 1484310, 48448661): ≡ 12 mod 2^64, with 12 float64 values", Formats.Npy("<f8", false, "(769546, 1484310, 48448661)", Formats.F8(flat.Take(12)))));
        var fortranData = Formats.F8(Enumerable.Range(0, d).SelectMany(j => Enumerable.Range(0, n).Select(i => m[i, j])));
        yield return ("fortran", Ok("fortran_order True (valid, column-major data)", Formats.Npy("<f8", true, shape, fortranData), n));
        foreach (var dt in new[] { "<c16", "|O", "<U3", "<M8[s]", "f8", "<f3", "|V8" })
            yield return ($"dtype {dt}", Bad($"dtype '{dt}'", Formats.Npy(dt, false, shape, f8)));
        yield return ("big-endian", Ok("dtype '>f8' (valid)", Formats.Npy(">f8", false, shape, Formats.F8BigEndian(flat)), n));
        yield return ("int32", Ok("dtype '<i4' (valid)", Formats.Npy("<i4", false, shape, flat.SelectMany(v => BitConverter.GetBytes((int)Math.Round(v * 10))).ToArray()), n));
        yield return ("float16", Ok("dtype '<f2' (valid)", Formats.Npy("<f2", false, shape, flat.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray()), n));
        yield return ("truncated", Bad($"shape {shape} with one value short", Formats.Npy("<f8", false, shape, f8.AsSpan(0, f8.Length - 8))));
        yield return ("no-data", Bad($"shape {shape} and no data at all", Formats.Npy("<f8", false, shape, [])));
        var full = Formats.Npy("<f8", false, shape, f8);
        yield return ("cut-in-header", Bad("file ends inside the header", full.AsSpan(0, 30).ToArray()));
        yield return ("header-length-lies", Bad("header length field says 60000 bytes", Formats.Npy("<f8", false, shape, f8, claimedHeaderLength: 60000)));
        yield return ("trailing-bytes", Bad("valid array followed by 9 stray bytes (refused: the header's shape may be wrong)", [.. full, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
        int at = Math.Min(2 * d + 1, flat.Length - 1), atRow = at / d + 1;
        for (int k = 0; k < 3; k++)
        {
            double bad = new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity }[k];
            var v = (double[])flat.Clone();
            v[at] = bad;
            yield return ($"f8 {bad}", Bad($"float64 data with {bad} in row {atRow}", Formats.Npy("<f8", false, shape, Formats.F8(v))));
            yield return ($"f4 {bad}", Bad($"float32 data with {bad} in row {atRow}", Formats.Npy("<f4", false, shape, Formats.F4(v.Select(x => (float)x)))));
        }
        yield return ("f2 inf", Bad("float16 data with 0x7C00 (+∞)", Formats.Npy("<f2", false, shape, flat.SelectMany((v, i) => BitConverter.GetBytes(i == at ? Half.PositiveInfinity : (Half)v)).ToArray())));
        yield return ("zero-rows", Bad("shape (0, 3): no samples", Formats.Npy("<f8", false, Formats.Shape(0, d), [])));
        yield return ("v2-header-huge", Bad("version 2.0 header length 2^24 + 1", Formats.Npy("<f8", false, shape, f8, major: 2, claimedHeaderLength: (1 << 24) + 1)));
    }
}
