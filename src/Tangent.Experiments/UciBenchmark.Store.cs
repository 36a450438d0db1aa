using System.Globalization;
using System.Text;
using Tangent.Data;

namespace Tangent.Experiments;

/// <summary>
/// The benchmark's output folder: a marker (<see cref="UciBenchmark.MarkerName"/>), one text file per finished data set
/// under <see cref="UciBenchmark.SetsFolder"/> (written atomically, so an interrupted run leaves none half-written) and
/// the report folder. Only a folder that is new, empty or marked is used: a user's folder is refused untouched.
/// </summary>
internal sealed class UciResultStore
{
    private const string Header = "# tangent benchmark uci: the results of one data set (docs/UCI.md). A rerun with the same --out reads it back instead of computing the set again; delete it to recompute.";

    private UciResultStore(string root) => Root = root;

    /// <summary>The output folder (full path).</summary>
    public string Root { get; }

    /// <summary>The folder of per-set files.</summary>
    public string SetsDirectory => Path.Combine(Root, UciBenchmark.SetsFolder);

    /// <summary>Opens (creating it when absent) the output folder <paramref name="output"/>.</summary>
    /// <exception cref="IOException">It is a file, or a non-empty folder without the marker.</exception>
    public static UciResultStore Open(string output)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        CheckUsable(root, output);
        Directory.CreateDirectory(Path.Combine(root, UciBenchmark.SetsFolder));
        string marker = Path.Combine(root, UciBenchmark.MarkerName);
        if (!File.Exists(marker))
            AtomicFile.WriteAllText(marker, "# Written by `tangent benchmark uci`: sets/ holds one result file per finished data set, report/ the report. A rerun with the same --out resumes.\n");
        return new UciResultStore(root);
    }

    /// <summary>Checks, without changing anything, that <paramref name="root"/> may be used as the output folder.</summary>
    /// <exception cref="IOException">It is a file, or a non-empty folder without the marker.</exception>
    public static void CheckUsable(string root, string given)
    {
        if (File.Exists(root))
            throw new IOException($"Cannot write the benchmark to '{given}': it is a file. Give a folder name (e.g. --out tangent-uci).");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any() && !File.Exists(Path.Combine(root, UciBenchmark.MarkerName)))
            throw new IOException($"Cannot write the benchmark to '{given}': the folder is not empty and was not written by `tangent benchmark uci` (it has no {UciBenchmark.MarkerName}). Give a new or empty folder (e.g. --out tangent-uci).");
    }

    /// <summary>The file of data set <paramref name="name"/>.</summary>
    public string PathOf(string name) => Path.Combine(SetsDirectory, name + ".txt");

    /// <summary>The stored results of <paramref name="name"/>, or null when the set has no file yet.</summary>
    /// <exception cref="DataFormatException">The file is malformed (row 1-based); deleting it recomputes the set.</exception>
    public UciSetResult? Read(string name)
    {
        string path = PathOf(name);
        return File.Exists(path) ? Parse(File.ReadAllLines(path), path) : null;
    }

    /// <summary>Writes the results of one set atomically.</summary>
    public void Write(UciSetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        AtomicFile.WriteAllText(PathOf(result.Name), Format(result));
    }

    /// <summary>The file text of <paramref name="r"/>.</summary>
    internal static string Format(UciSetResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Header);
        Line(sb, "set", r.Name);
        Line(sb, "rows", r.Rows.ToString(CultureInfo.InvariantCulture));
        Line(sb, "features", r.Features.ToString(CultureInfo.InvariantCulture));
        Line(sb, "classes", r.Classes.ToString(CultureInfo.InvariantCulture));
        Line(sb, "kernel_seconds", UciMethods.Format(r.KernelSeconds));
        foreach (var m in r.Methods)
        {
            Line(sb, "method", m.Method);
            Line(sb, "grid", m.Grid);
            Line(sb, "choice", m.Choice);
            Line(sb, "validation", UciMethods.Format(m.ValidationAccuracy));
            Line(sb, "folds", string.Join(" ", m.FoldAccuracies.Select(UciMethods.Format)));
            Line(sb, "seconds", UciMethods.Format(m.Seconds));
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string key, string value) => sb.Append(key).Append(" = ").AppendLine(value);

    /// <summary>Reads the file text written by <see cref="Format"/>.</summary>
    /// <exception cref="DataFormatException">A line that is not <c>key = value</c>, an unknown or missing key, or a value that does not parse.</exception>
    internal static UciSetResult Parse(IReadOnlyList<string> lines, string path)
    {
        var head = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        var methods = new List<Dictionary<string, (string Value, int Line)>>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line[0] == '#') continue;
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq <= 0) throw Bad(path, i + 1, $"'{line}' is not 'key = value'");
            string key = line[..eq], value = line[(eq + 3)..];
            if (key == "method") methods.Add(new Dictionary<string, (string, int)>(StringComparer.Ordinal));
            var target = key is "set" or "rows" or "features" or "classes" or "kernel_seconds" ? head
                : key is "method" or "grid" or "choice" or "validation" or "folds" or "seconds" && methods.Count > 0 ? methods[^1]
                : throw Bad(path, i + 1, $"the key '{key}' is unknown here");
            target[key] = (value, i + 1);
        }
        string Get(Dictionary<string, (string Value, int Line)> d, string key) =>
            d.TryGetValue(key, out var v) ? v.Value : throw Bad(path, null, $"the key '{key}' is missing");
        double Number(Dictionary<string, (string Value, int Line)> d, string key, string? text = null)
        {
            string s = text ?? Get(d, key);
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x)
                ? x : throw Bad(path, d[key].Line, $"'{s}' ({key}) is not a number");
        }
        var results = methods.Select(m => new UciMethodResult(Get(m, "method"), Get(m, "choice"), Number(m, "validation"),
            Get(m, "folds").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => Number(m, "folds", f)).ToArray(),
            Number(m, "seconds"), Get(m, "grid"))).ToArray();
        foreach (var (m, d) in results.Zip(methods))
            if (m.FoldAccuracies.Count == 0) throw Bad(path, d["folds"].Line, "no fold accuracy");
        return new UciSetResult(Get(head, "set"), (int)Number(head, "rows"), (int)Number(head, "features"), (int)Number(head, "classes"),
            Number(head, "kernel_seconds"), results);
    }

    private static DataFormatException Bad(string path, int? line, string problem) =>
        new(path, line, null, $"{problem}. The file is a result of `tangent benchmark uci`; delete it to compute that data set again.");
}
