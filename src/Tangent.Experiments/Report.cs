using System.Globalization;
using System.Text;
using Tangent.Data;

namespace Tangent.Experiments;

/// <summary>
/// A report folder: a Markdown page (README.md) with PNG plots, the numbers as CSV files and the exact
/// settings used. Everything is assembled in memory and written at once into a temporary folder that
/// then takes the destination's place, so no half-written report is ever left behind. Only a folder
/// that Tangent itself wrote (it holds the <see cref="MarkerName"/> marker) is ever replaced.
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

    /// <summary>The marker file that Tangent leaves in every report folder it writes: it lists the files the
    /// report consists of, and only a folder holding this marker and nothing else is ever replaced.</summary>
    public const string MarkerName = ".tangent-report";

    private const string MarkerHeader = "# Written by Tangent: this folder is a report and may be replaced by the next run with the same --out.";

    /// <summary>
    /// Writes the report into <paramref name="directory"/>. The folder may be new, empty, or a report that
    /// Tangent wrote before (it holds <see cref="MarkerName"/> and only the files listed there), which is
    /// then replaced whole. Any other existing folder (a user's files, the current folder) is refused and
    /// left untouched: Tangent never deletes what it did not create.
    /// </summary>
    /// <returns>The full path of README.md.</returns>
    /// <exception cref="IOException">The destination is a file, or a folder that Tangent did not write (or
    /// one with files added since); nothing is changed.</exception>
    public string Save(string directory)
    {
        string dest = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        CheckReplaceable(dest, directory);
        string parent = Path.GetDirectoryName(dest) ?? throw new IOException($"Cannot write a report to '{directory}': give a folder name (e.g. --out my-report).");
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(dest)}.tmp-{Guid.NewGuid():N}");
        string? old = null;
        using var registration = TemporaryFiles.Process.Register(tmp, isDirectory: true);   // an interrupt deletes it (docs/RELIABILITY.md)
        try
        {
            Directory.CreateDirectory(tmp);
            var md = new StringBuilder(_md.ToString());
            var names = new List<string> { "README.md" };
            if (_settings.Count > 0)
            {
                md.AppendLine("## Settings").AppendLine();
                foreach (var (k, v) in _settings) md.Append("- ").Append(k).Append(": `").Append(v).AppendLine("`");
                md.AppendLine();
                File.WriteAllLines(Path.Combine(tmp, "settings.txt"), _settings.Select(s => $"{s.Key} = {s.Value}"));
                names.Add("settings.txt");
            }
            File.WriteAllText(Path.Combine(tmp, "README.md"), md.ToString(), AtomicFile.Utf8NoBom);
            foreach (var (name, bytes) in _files) File.WriteAllBytes(Path.Combine(tmp, name), bytes);
            names.AddRange(_files.Keys);
            File.WriteAllLines(Path.Combine(tmp, MarkerName), names.Prepend(MarkerHeader), AtomicFile.Utf8NoBom);
            bool filled = false;
            TemporaryFiles.Process.Exclusive(() =>   // the swap is never cut in two by an interrupt
            {
                if (Directory.Exists(dest))
                {
                    CheckReplaceable(dest, directory);   // again, just before replacing: nothing foreign appeared meanwhile
                    if (!Directory.EnumerateFileSystemEntries(dest).Any())
                    {
                        // An empty folder (perhaps the current one) is kept and filled, not replaced.
                        foreach (string f in Directory.EnumerateFiles(tmp)) File.Move(f, Path.Combine(dest, Path.GetFileName(f)));
                        Directory.Delete(tmp);
                        filled = true;
                        return;
                    }
                    old = Path.Combine(parent, $".{Path.GetFileName(dest)}.old-{Guid.NewGuid():N}");
                    Directory.Move(dest, old);
                }
                Directory.Move(tmp, dest);
            });
            if (filled) return Path.Combine(dest, "README.md");
            if (old is not null) DeleteReport(old);
        }
        catch
        {
            if (old is not null && !Directory.Exists(dest)) Directory.Move(old, dest);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
        return Path.Combine(dest, "README.md");
    }

    /// <summary>
    /// Checks, before any work is done, that <see cref="Save"/> may write to <paramref name="directory"/>:
    /// it is absent, an empty folder, or a report folder that Tangent wrote and nobody added to.
    /// </summary>
    /// <exception cref="IOException">It is not; the message says why and what to give instead.</exception>
    public static void EnsureWritable(string directory) =>
        CheckReplaceable(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), directory);

    private static void CheckReplaceable(string dest, string given)
    {
        if (File.Exists(dest))
            throw new IOException($"Cannot write a report to '{given}': it is a file. Give a new folder name (e.g. --out my-report).");
        if (!Directory.Exists(dest) || !Directory.EnumerateFileSystemEntries(dest).Any()) return;
        string marker = Path.Combine(dest, MarkerName);
        if (!File.Exists(marker))
            throw new IOException($"Cannot write a report to '{given}': the folder exists, is not empty and was not written by Tangent. Give a new or empty folder (e.g. --out {SuggestName(dest)}); Tangent replaces only report folders it wrote itself.");
        var listed = new HashSet<string>(MarkerEntries(marker), StringComparer.Ordinal) { MarkerName };
        foreach (string entry in Directory.EnumerateFileSystemEntries(dest))
        {
            string name = Path.GetFileName(entry);
            if (!listed.Contains(name) || Directory.Exists(entry))
                throw new IOException($"Cannot replace the report folder '{given}': it now holds '{name}', which Tangent did not write. Move that file away or give another folder (e.g. --out {SuggestName(dest)}).");
        }
    }

    /// <summary>Deletes a replaced report folder: only the files its marker lists, then the folder if empty.</summary>
    private static void DeleteReport(string folder)
    {
        string marker = Path.Combine(folder, MarkerName);
        if (File.Exists(marker))
            foreach (string name in MarkerEntries(marker))
                if (name.IndexOfAny(['/', '\\']) < 0 && name is not ("." or "..")) File.Delete(Path.Combine(folder, name));
        File.Delete(marker);
        if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    /// <summary>The file names a marker lists (its comment lines start with '#').</summary>
    private static IEnumerable<string> MarkerEntries(string marker) => File.ReadAllLines(marker).Where(l => l.Length > 0 && l[0] != '#');

    private static string SuggestName(string dest)
    {
        string stem = Path.GetFileName(dest);
        if (string.IsNullOrEmpty(stem) || stem == ".") stem = "tangent-report";
        return stem + "-2";
    }

    /// <summary>Formats a number for tables: 4 significant digits.</summary>
    public static string Num(double v) => v.ToString(Math.Abs(v) is >= 1e-3 and < 1e5 or 0 ? "0.####" : "0.###e0", CultureInfo.InvariantCulture);

    private static string CsvCell(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
