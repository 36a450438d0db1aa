using System.Globalization;
using System.Text;
using Tangent.Data;

namespace Tangent.Experiments;

/// <summary>
/// A report folder: a Markdown page (README.md) with PNG plots, the numbers as CSV files and the exact
/// settings used. Everything is assembled in memory and written at once into a temporary folder that
/// then replaces the destination, so no half-written report is ever left behind.
/// </summary>
public sealed class Report
{
    private readonly StringBuilder _md = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly List<(string Key, string Value)> _settings = [];

    /// <summary>Starts a report with a title.</summary>
    public Report(string title)
    {
        Title = title;
        _md.Append("# ").AppendLine(title).AppendLine();
    }

    /// <summary>The title.</summary>
    public string Title { get; }

    /// <summary>Names of the files added so far (besides README.md and settings).</summary>
    public IReadOnlyCollection<string> Files => _files.Keys;

    /// <summary>Adds a second-level heading.</summary>
    public Report Heading(string text)
    {
        _md.Append("## ").AppendLine(text).AppendLine();
        return this;
    }

    /// <summary>Adds a paragraph of Markdown text.</summary>
    public Report Paragraph(string text)
    {
        _md.AppendLine(text).AppendLine();
        return this;
    }

    /// <summary>Adds a Markdown table and the same numbers as <paramref name="csvName"/> (if given).</summary>
    public Report Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? csvName = null)
    {
        var list = rows.ToList();
        _md.Append("| ").Append(string.Join(" | ", headers)).AppendLine(" |");
        _md.Append('|').Append(string.Concat(headers.Select(_ => "---|"))).AppendLine();
        foreach (var r in list) _md.Append("| ").Append(string.Join(" | ", r)).AppendLine(" |");
        _md.AppendLine();
        if (csvName is not null) Csv(csvName, headers, list);
        return this;
    }

    /// <summary>Adds a CSV file (values are written as given; quote-free cells expected).</summary>
    public Report Csv(string name, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", headers.Select(CsvCell)));
        foreach (var r in rows) sb.AppendLine(string.Join(",", r.Select(CsvCell)));
        _files[name] = Encoding.UTF8.GetBytes(sb.ToString());
        return this;
    }

    /// <summary>Adds a PNG image and shows it in the page.</summary>
    public Report Image(string name, byte[] png, string caption)
    {
        _files[name] = png;
        _md.Append("![").Append(caption).Append("](").Append(name).AppendLine(")").AppendLine();
        return this;
    }

    /// <summary>Records a setting (also listed at the end of the page and in settings.txt).</summary>
    public Report Setting(string key, object value)
    {
        _settings.Add((key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        return this;
    }

    /// <summary>Writes the report into <paramref name="directory"/>, replacing it whole.</summary>
    /// <returns>The full path of README.md.</returns>
    public string Save(string directory)
    {
        string dest = Path.GetFullPath(directory);
        string parent = Path.GetDirectoryName(dest) ?? ".";
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(dest)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(tmp);
            var md = new StringBuilder(_md.ToString());
            if (_settings.Count > 0)
            {
                md.AppendLine("## Settings").AppendLine();
                foreach (var (k, v) in _settings) md.Append("- ").Append(k).Append(": `").Append(v).AppendLine("`");
                md.AppendLine();
                File.WriteAllLines(Path.Combine(tmp, "settings.txt"), _settings.Select(s => $"{s.Key} = {s.Value}"));
            }
            File.WriteAllText(Path.Combine(tmp, "README.md"), md.ToString(), AtomicFile.Utf8NoBom);
            foreach (var (name, bytes) in _files) File.WriteAllBytes(Path.Combine(tmp, name), bytes);
            if (Directory.Exists(dest)) Directory.Delete(dest, recursive: true);
            Directory.Move(tmp, dest);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
        return Path.Combine(dest, "README.md");
    }

    /// <summary>Formats a number for tables: 4 significant digits.</summary>
    public static string Num(double v) => v.ToString(Math.Abs(v) is >= 1e-3 and < 1e5 or 0 ? "0.####" : "0.###e0", CultureInfo.InvariantCulture);

    private static string CsvCell(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
