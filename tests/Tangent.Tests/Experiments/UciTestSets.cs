using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tangent.Tests.Data;

namespace Tangent.Tests.Experiments;

/// <summary>Small synthetic UCI-90 folders (the layout of uci90.txz) and the real archive when ../shared has it.</summary>
internal static class UciTestSets
{
    /// <summary>
    /// Writes the data set <paramref name="name"/> under <paramref name="root"/>: n rows of d features drawn around one
    /// centre per class (k classes, drawn at random), conxuntos.dat = even rows / odd rows, conxuntos_kfold.dat = fold f tests rows i ≡ f (mod 4).
    /// </summary>
    public static void Make(string root, string name, int n, int d, int k, int seed)
    {
        string dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var sb = new StringBuilder();
        sb.Append('\t').AppendJoin('\t', Enumerable.Range(1, d).Select(j => $"f{j}")).AppendLine("\tclase");
        for (int i = 0; i < n; i++)
        {
            int c = rng.Next(k);
            sb.Append(i + 1);
            for (int j = 0; j < d; j++) sb.Append('\t').Append((centres[c][j] + 0.6 * (rng.NextDouble() * 2 - 1)).ToString("F6", CultureInfo.InvariantCulture));
            sb.Append('\t').Append(c).AppendLine();
        }
        File.WriteAllText(Path.Combine(dir, name + "_R.dat"), sb.ToString());
        File.WriteAllText(Path.Combine(dir, name + ".txt"), $"n_entradas= {d}\nn_clases= {k}\nfich1= {name}_R.dat\n");
        string Line(Func<int, bool> keep) => string.Join(" ", Enumerable.Range(0, n).Where(keep));
        File.WriteAllText(Path.Combine(dir, "conxuntos.dat"), Line(i => i % 2 == 0) + "\n" + Line(i => i % 2 == 1) + "\n");
        var kfold = new StringBuilder();
        for (int f = 0; f < 4; f++) kfold.AppendLine(Line(i => i % 4 != f)).AppendLine(Line(i => i % 4 == f));
        File.WriteAllText(Path.Combine(dir, "conxuntos_kfold.dat"), kfold.ToString());
    }

    /// <summary>The shared uci90.txz, or null (with the reason) when it or tar is absent.</summary>
    public static string? SharedArchive(out string reason)
    {
        reason = "";
        string? data = DataTestHelpers.SharedDataDirectory();
        if (data is null) { reason = "../shared/data (next to the repository root) is absent; this test reads uci90.txz from it."; return null; }
        string archive = Path.Combine(data, "uci90.txz");
        if (!File.Exists(archive)) { reason = "uci90.txz is absent from ../shared/data."; return null; }
        if (!File.Exists("/usr/bin/tar") && !File.Exists("/bin/tar")) { reason = "tar is absent."; return null; }
        return archive;
    }

    /// <summary>Extracts the named sets of the shared archive into <paramref name="into"/>; returns the uci90 folder.</summary>
    public static string Extract(string archive, string into, params string[] sets)
    {
        var psi = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (string a in new[] { "-xJf", archive, "-C", into }.Concat(sets.Select(s => "uci90/" + s))) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tar failed: {err}");
        return Path.Combine(into, "uci90");
    }
}
