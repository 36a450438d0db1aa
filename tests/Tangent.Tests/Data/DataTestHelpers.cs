using Tangent.Numerics;

namespace Tangent.Tests.Data;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tangent-data-tests-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        string p = File(name);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

internal static class DataTestHelpers
{
    /// <summary>The shared data folder (../shared/data next to the repository root), or null when absent.</summary>
    public static string? SharedDataDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Tangent.sln")))
            dir = dir.Parent;
        if (dir?.Parent is null) return null;
        string data = System.IO.Path.Combine(dir.Parent.FullName, "shared", "data");
        return Directory.Exists(data) ? data : null;
    }

    public static Matrix Random(int r, int c, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(r, c, (_, _) => (rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-8, 9)));
    }

    public static void BitwiseEqual(Matrix expected, Matrix actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Cols, actual.Cols);
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Data[i]), BitConverter.DoubleToInt64Bits(actual.Data[i]));
    }
}
