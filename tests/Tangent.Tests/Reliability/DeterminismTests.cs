using System.Text;
using Tangent.Cli;
using Xunit.Abstractions;

namespace Tangent.Tests.Reliability;

/// <summary>
/// Same inputs and seed → byte-identical outputs: every command that writes files is run twice on
/// the same paths, once in this process and once as a child process (other thread timing, a fresh
/// runtime), and every file it wrote is compared byte for byte.
/// </summary>
[Collection(nameof(ReliabilityCollection))]
public sealed class DeterminismTests(ITestOutputHelper log) : IDisposable
{
    private readonly CliSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private void Plant()
    {
        // Big enough that the kernel engine tiles and runs on every core.
        _box.Write(new Dictionary<string, byte[]>
        {
            ["x.npy"] = Formats.NpyF8(Formats.Matrix(300, 8, 21)),
            ["y.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(Formats.Matrix(300, 2, 22))),
            ["xt.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(Formats.Matrix(60, 8, 23))),
            ["yt.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(Formats.Matrix(60, 2, 24))),
        });
    }

    /// <summary>The files under the work folder that are not inputs: relative path → bytes.</summary>
    private Dictionary<string, byte[]> Outputs(IReadOnlySet<string> inputs) =>
        Directory.EnumerateFiles(_box.Work, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_box.Work, f))
            .Where(f => !inputs.Contains(f))
            .ToDictionary(f => f, f => File.ReadAllBytes(_box.P(f)), StringComparer.Ordinal);

    private void AssertTwiceTheSame(string label, params string[] args)
    {
        Plant();
        var inputs = Directory.EnumerateFiles(_box.Work, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_box.Work, f)).ToHashSet(StringComparer.Ordinal);
        string[] real = args.Select(a => a.Replace("{D}", _box.Work, StringComparison.Ordinal)).ToArray();

        var e = new StringWriter();
        int code = TangentCli.Run(real, new StringWriter(), e);
        Assert.True(code == 0, $"{label}: first run (in-process) exit {code}: {e}");
        var first = Outputs(inputs);
        Assert.NotEmpty(first);
        RemoveOutputs(inputs); // the second run starts from the same state (a report folder is not "replaced")

        var child = ChildCli.Run(real, _box.Work, TimeSpan.FromSeconds(120), heapLimitBytes: 0);
        Assert.True(child.ExitCode == 0, $"{label}: second run (child) exit {child.ExitCode}: {child.Err}");
        var second = Outputs(inputs);

        Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
        var differ = new List<string>();
        foreach (var (name, bytes) in first)
        {
            var other = second[name];
            if (bytes.AsSpan().SequenceEqual(other)) continue;
            int at = 0;
            while (at < Math.Min(bytes.Length, other.Length) && bytes[at] == other[at]) at++;
            differ.Add($"{name} ({bytes.Length} and {other.Length} bytes) differs from byte {at}");
        }
        log.WriteLine($"{label}: {first.Count} files compared: {string.Join(", ", first.Keys.Order(StringComparer.Ordinal))}");
        Assert.True(differ.Count == 0, $"{label}: not byte-identical on a second run with the same inputs and seed:\n" + string.Join("\n", differ) +
            $"\nrepro: tangent {string.Join(' ', args).Replace("{D}", "DIR", StringComparison.Ordinal)} twice, then cmp the files.");
        RemoveOutputs(inputs);
    }

    private void RemoveOutputs(IReadOnlySet<string> inputs)
    {
        foreach (var f in Outputs(inputs).Keys) File.Delete(_box.P(f));
        foreach (var d in Directory.EnumerateDirectories(_box.Work).Where(d => !Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories).Any(f => File.Exists(f)) && Path.GetFileName(d) != "empty").ToList())
            Directory.Delete(d, recursive: true);
    }

    [Fact]
    public void KernelWithAnArchitectureIsByteIdentical() =>
        AssertTwiceTheSame("kernel --arch", "kernel", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense(w=1.2) gelu dense", "--get", "ntk",
            "--x1", "{D}/x.npy", "--x2", "{D}/xt.csv", "--out", "{D}/k.npy");

    [Fact]
    public void SymmetricKernelAsCsvIsByteIdentical() =>
        AssertTwiceTheSame("kernel csv", "kernel", "--arch", "dense(w=1.4) repeat(3){relu dense(w=1.4,b=0.05)}", "--get", "nngp",
            "--x1", "{D}/x.npy", "--out", "{D}/k.csv");

    [Fact]
    public void RegressIsByteIdentical() =>
        AssertTwiceTheSame("regress", "regress", "--kernel", "gaussian", "--ridge", "1e-6", "--standardize",
            "--x-train", "{D}/x.npy", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--y-test", "{D}/yt.csv", "--out", "{D}/p.csv");

    [Fact]
    public void RegressByGradientDescentIsByteIdentical() =>
        AssertTwiceTheSame("regress gd", "regress", "--kernel", "none", "--learning-rate", "1e-4", "--steps", "300", "--intercept",
            "--x-train", "{D}/x.npy", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy");

    [Fact]
    public void PredictWithSeveralTimesIsByteIdentical() =>
        AssertTwiceTheSame("predict", "predict", "--arch", "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)", "--learning-rate", "1e-3",
            "--time", "1,10,100,1000,inf", "--cov", "full", "--x-train", "{D}/x.npy", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--y-test", "{D}/yt.csv",
            "--out-mean", "{D}/mean.npy", "--out-cov", "{D}/cov.csv", "--plot", "{D}/err.png");

    [Fact]
    public void ExperimentWithASeedIsByteIdentical() =>
        AssertTwiceTheSame("experiment kernels --seed 3", "experiment", "kernels", "--seed", "3", "--out", "{D}/report");
}
