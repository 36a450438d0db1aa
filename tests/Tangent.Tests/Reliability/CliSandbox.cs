using System.Security.Cryptography;

namespace Tangent.Tests.Reliability;

/// <summary>
/// A fresh temporary folder for one case: <c>root/work</c> holds the inputs and the planted user
/// files (<c>thesis.txt</c>, a <c>results</c> folder with content, an empty folder), and
/// <c>root/outside.txt</c> sits one level up, where a run may not reach either. Everything present
/// before a run is a user file: its bytes are hashed and checked after the run.
/// </summary>
internal sealed class CliSandbox : IDisposable
{
    /// <summary>The user files planted in the work folder (relative names).</summary>
    public static readonly string[] PlantedFiles = ["thesis.txt", "results/notes.md", "results/sub/data.bin"];

    public CliSandbox()
    {
        Root = Directory.CreateTempSubdirectory("tangent-suite-").FullName;
        Work = Path.Combine(Root, "work");
        Directory.CreateDirectory(Path.Combine(Work, "results", "sub"));
        Directory.CreateDirectory(Path.Combine(Work, "empty"));
        File.WriteAllText(Path.Combine(Root, "outside.txt"), "a file next to the work folder; no run may touch it\n");
        File.WriteAllText(Path.Combine(Work, "thesis.txt"), "Chapter 1. Months of work that no command may delete.\n");
        File.WriteAllText(Path.Combine(Work, "results", "notes.md"), "# notes\nkept by the user\n");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(Work, "results", "sub", "data.bin"), bytes);
    }

    /// <summary>The sandbox folder.</summary>
    public string Root { get; }

    /// <summary>The work folder: inputs, user files, outputs; <c>{D}</c> in arguments.</summary>
    public string Work { get; }

    /// <summary>The absolute path of a name in the work folder.</summary>
    public string P(string name) => Path.Combine(Work, name);

    /// <summary>Writes the inputs of a case (sub-folders are created).</summary>
    public void Write(IReadOnlyDictionary<string, byte[]> inputs)
    {
        foreach (var (name, bytes) in inputs)
        {
            string p = P(name);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, bytes);
        }
    }

    /// <summary>Every file and folder under the root: relative path → SHA-256 of the content, or "dir".</summary>
    public Dictionary<string, string> Snapshot()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(Root)) return map;
        foreach (var d in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
            map[Path.GetRelativePath(Root, d)] = "dir";
        foreach (var f in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            string hash;
            try
            {
                using var s = File.OpenRead(f);
                hash = Convert.ToHexString(SHA256.HashData(s));
            }
            catch (IOException e)
            {
                hash = "unreadable: " + e.Message;
            }
            map[Path.GetRelativePath(Root, f)] = hash;
        }
        return map;
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
