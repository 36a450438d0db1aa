using Tangent.Data;

namespace Tangent.Tests.Cli;

public class DatasetCommandTests
{
    [Theory]
    [InlineData("breast-cancer", 569, 30, "label")]
    [InlineData("digits", 1797, 64, "label")]
    [InlineData("diabetes", 442, 10, "progression")]
    public void AnEmbeddedSetIsWrittenAsACsvWithItsTargetLast(string name, int rows, int features, string target)
    {
        var dir = Directory.CreateTempSubdirectory("tangent-dataset-");
        try
        {
            string path = Path.Combine(dir.FullName, name + ".csv");
            var (code, output, err) = CliRunner.Run("dataset", name, "--out", path);
            Assert.True(code == 0, err);
            Assert.Contains($"{rows} rows", output);
            var lines = File.ReadAllLines(path);
            Assert.Equal(rows + 1, lines.Length);
            var header = lines[0].Split(',');
            Assert.Equal(features + 1, header.Length);
            Assert.Equal(target, header[^1]);
            // The features read back equal the embedded matrix.
            var x = name == "diabetes" ? EmbeddedData.Diabetes().X : name == "digits" ? EmbeddedData.Digits().X : EmbeddedData.BreastCancer().X;
            var first = lines[1].Split(',');
            for (int j = 0; j < features; j++) Assert.Equal(x[0, j], double.Parse(first[j], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void AnUnknownSetIsRefusedWithTheNearestName()
    {
        var (code, _, err) = CliRunner.Run("dataset", "digts", "--out", Path.Combine(Path.GetTempPath(), "never-written.csv"));
        Assert.Equal(2, code);
        Assert.Contains("unknown data set 'digts'", err);
        Assert.Contains("did you mean 'digits'?", err);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "never-written.csv")));
    }
}
