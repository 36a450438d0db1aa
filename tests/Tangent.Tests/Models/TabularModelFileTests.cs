using System.IO.Compression;
using System.Text.Json.Nodes;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>The <c>.tgm</c> file: round trips predict bit-identically; newer versions, edited entries and truncated files are refused.</summary>
public sealed class TabularModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-tgm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static TabularModel RegressionModel(out Matrix xs)
    {
        var x = TestData.Random(30, 3, 1, scale: 4);
        var y = Matrix.Build(30, 2, (i, j) => 5 + Math.Cos(x[i, 0]) + j * x[i, 2]);
        xs = TestData.Random(8, 3, 2, scale: 4);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Laplace(0.3), Ridge = Ridge.Relative(1e-2), StandardizeFeatures = true, StandardizeTarget = true };
        return TabularModel.Fit(spec, TabularModelTests.Regression(x, y));
    }

    [Fact]
    public void ClassicalRegressionRoundTripPredictsBitIdentically()
    {
        var model = RegressionModel(out var xs);
        model.Save(PathOf("m.tgm"));
        var loaded = TabularModel.Load(PathOf("m.tgm"));
        var a = model.PredictWithUncertainty(xs);
        var b = loaded.PredictWithUncertainty(xs);
        Assert.Equal(a.Mean.Data, b.Mean.Data);
        Assert.Equal(a.Variance!.Data, b.Variance!.Data);
        Assert.Equal(model.Spec, loaded.Spec);
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.TargetNames, loaded.TargetNames);
        Assert.Equal(model.RidgeValue, loaded.RidgeValue);
        Assert.Equal(TaskKind.Regression, loaded.Task);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk, double.PositiveInfinity)]
    [InlineData(KernelOutputs.Ntk, 10.0)]
    [InlineData(KernelOutputs.Nngp, double.PositiveInfinity)]
    public void ArchitectureClassificationRoundTripPredictsBitIdentically(KernelOutputs get, double time)
    {
        var (train, test) = TabularModelTests.Split(TabularModelTests.Classification(EmbeddedData.Iris()));
        var spec = new ModelSpec
        {
            Architecture = Architecture.Parse("dense(w=1.41421356237,b=0.05) erf dense(w=1.3)"), Get = get, Time = time,
            Ridge = Ridge.Relative(1e-3), StandardizeFeatures = true,
        };
        var model = TabularModel.Fit(spec, train);
        model.Save(PathOf("c.tgm"));
        var loaded = TabularModel.Load(PathOf("c.tgm"));
        var a = model.HasPredictiveVariance ? model.PredictWithUncertainty(test.X) : model.Predict(test.X);
        var b = loaded.HasPredictiveVariance ? loaded.PredictWithUncertainty(test.X) : loaded.Predict(test.X);
        Assert.Equal(a.Scores!.Data, b.Scores!.Data);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Variance?.Data, b.Variance?.Data);
        Assert.Equal(model.Labels!.Classes, loaded.Labels!.Classes);
        Assert.Equal(model.Spec.DescribeKernel(), loaded.Spec.DescribeKernel());
        Assert.Equal(TaskKind.Classification, loaded.Task);
    }

    [Fact]
    public void TheFileIsSelfDescribing()
    {
        RegressionModel(out _).Save(PathOf("m.tgm"));
        using var zip = ZipFile.OpenRead(PathOf("m.tgm"));
        Assert.Equal(["alpha.npy", "model.json", "train_x.npy"], zip.Entries.Select(e => e.FullName).Order());
        using var s = zip.GetEntry("model.json")!.Open();
        var m = JsonNode.Parse(s)!.AsObject();
        Assert.Equal("tangent-model", m["format"]!.GetValue<string>());
        Assert.Equal(1, m["formatVersion"]!.GetValue<int>());
        Assert.Equal("laplace", m["spec"]!["kernel"]!["kind"]!.GetValue<string>());
        Assert.Equal(3, m["featureScaler"]!["means"]!.AsArray().Count);
        Assert.Equal(64, m["entries"]!["alpha.npy"]!["sha256"]!.GetValue<string>().Length);
    }

    [Fact]
    public void ANewerFormatVersionIsRefusedSayingToUpgrade()
    {
        RegressionModel(out _).Save(PathOf("m.tgm"));
        Rewrite(PathOf("m.tgm"), "model.json", bytes =>
        {
            var m = JsonNode.Parse(bytes)!.AsObject();
            m["formatVersion"] = TabularModel.FormatVersion + 1;
            return System.Text.Encoding.UTF8.GetBytes(m.ToJsonString());
        });
        var e = Assert.Throws<NotSupportedException>(() => TabularModel.Load(PathOf("m.tgm")));
        Assert.Contains("m.tgm", e.Message);
        Assert.Contains($"version {TabularModel.FormatVersion + 1}", e.Message);
        Assert.Contains("Upgrade Tangent", e.Message);
    }

    [Fact]
    public void AnEditedArrayIsRefusedByItsChecksum()
    {
        RegressionModel(out _).Save(PathOf("m.tgm"));
        Rewrite(PathOf("m.tgm"), "alpha.npy", bytes =>
        {
            bytes[^1] ^= 0x01;   // flip a bit of the last coefficient
            return bytes;
        });
        var e = Assert.Throws<InvalidDataException>(() => TabularModel.Load(PathOf("m.tgm")));
        Assert.Contains("m.tgm", e.Message);
        Assert.Contains("checksum of alpha.npy", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsRefusedNamingTheFile()
    {
        RegressionModel(out _).Save(PathOf("m.tgm"));
        var bytes = File.ReadAllBytes(PathOf("m.tgm"));
        File.WriteAllBytes(PathOf("cut.tgm"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => TabularModel.Load(PathOf("cut.tgm")));
        Assert.Contains("cut.tgm", e.Message);
        Assert.Contains("Save the model again", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AMissingFileIsRefusedNamingIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TabularModel.Load(PathOf("none.tgm")));
        Assert.Contains("none.tgm", e.Message);
    }

    [Fact]
    public void ANonModelZipIsRefused()
    {
        using (var zip = ZipFile.Open(PathOf("other.tgm"), ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("model.json").Open();
            s.Write("{\"format\":\"something-else\"}"u8);
        }
        var e = Assert.Throws<InvalidDataException>(() => TabularModel.Load(PathOf("other.tgm")));
        Assert.Contains("not 'tangent-model'", e.Message);
    }

    /// <summary>Replaces one entry of a zip with <paramref name="change"/>(its bytes), keeping the others.</summary>
    private static void Rewrite(string path, string entry, Func<byte[], byte[]> change)
    {
        var contents = new List<(string Name, byte[] Bytes)>();
        using (var zip = ZipFile.OpenRead(path))
            foreach (var e in zip.Entries)
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                contents.Add((e.FullName, e.FullName == entry ? change(ms.ToArray()) : ms.ToArray()));
            }
        File.Delete(path);
        using var output = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in contents)
        {
            using var s = output.CreateEntry(name).Open();
            s.Write(bytes);
        }
    }
}
