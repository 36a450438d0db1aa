using System.Diagnostics;
using Tangent.Data;

namespace Tangent.Tests.Data;

public sealed class Uci90Tests
{
    private static void MakeSet(string root, string name, string data, string conx, string kfold, string? meta = null)
    {
        string d = Path.Combine(root, name);
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, name + "_R.dat"), data);
        File.WriteAllText(Path.Combine(d, "conxuntos.dat"), conx);
        File.WriteAllText(Path.Combine(d, "conxuntos_kfold.dat"), kfold);
        if (meta is not null) File.WriteAllText(Path.Combine(d, name + ".txt"), meta);
    }

    private const string Data = "\tf1\tf2\tclase\n1\t0.5\t-1\t0\n2\t1.5\t-2\t1\n3\t2.5\t-3\t2\n4\t3.5\t-4\t1\n";
    private const string Kfold = "0 1\n2 3\n1 2\n0 3\n2 3\n0 1\n0 3\n1 2\n";

    [Fact]
    public void SyntheticFolderLoadsFeaturesLabelsAndFolds()
    {
        using var t = new TempDir();
        MakeSet(t.Path, "toy", Data, "0 2 \n1 3\n", Kfold, "n_entradas= 2\nn_clases= 4\nfich1= toy_R.dat\n");
        Directory.CreateDirectory(t.File("not-a-set"));
        Assert.Equal(["toy"], Uci90.List(t.Path));
        var s = Uci90.Load(t.Path, "toy");
        Assert.Equal("toy", s.Name);
        Assert.Equal((4, 2), (s.Count, s.Features));
        Assert.Equal([0.5, -1, 1.5, -2, 2.5, -3, 3.5, -4], s.X.Data);
        Assert.Equal([0, 1, 2, 1], s.Labels);
        Assert.Equal(4, s.ClassCount); // from the metadata, above max label + 1
        Assert.Equal([0, 2], s.Validation.Train);
        Assert.Equal([1, 3], s.Validation.Test);
        Assert.Equal(4, s.Folds.Count);
        Assert.Equal([0, 3], s.Folds[3].Train);
        Assert.Equal([1, 2], s.Folds[3].Test);
        Assert.Single(Uci90.LoadAll(t.Path));
        Assert.Equal(4, s.ToClassification().ClassCount);
    }

    [Fact]
    public void BadFoldersGiveClearErrors()
    {
        using var t = new TempDir();
        MakeSet(t.Path, "idx", Data, "0 2\n1 9\n", Kfold);
        var e = Assert.Throws<DataFormatException>(() => Uci90.Load(t.File("idx")));
        Assert.Contains("conxuntos.dat', row 2, column 2: '9' is not a row index in 0..3", e.Message);
        MakeSet(t.Path, "lines", Data, "0 2\n", Kfold);
        Assert.Contains("expected 2 non-empty lines", Assert.Throws<DataFormatException>(() => Uci90.Load(t.File("lines"))).Message);
        MakeSet(t.Path, "meta", Data, "0\n1\n", Kfold, "n_entradas= 3\n");
        Assert.Contains("metadata says 3", Assert.Throws<DataFormatException>(() => Uci90.Load(t.File("meta"))).Message);
        MakeSet(t.Path, "label", Data.Replace("\t2\n", "\t2.5\n"), "0\n1\n", Kfold);
        Assert.Contains("row 4, column 4: the label 2.5", Assert.Throws<DataFormatException>(() => Uci90.Load(t.File("label"))).Message);
        Directory.CreateDirectory(t.File("nokfold"));
        File.WriteAllText(Path.Combine(t.File("nokfold"), "nokfold_R.dat"), Data);
        File.WriteAllText(Path.Combine(t.File("nokfold"), "conxuntos.dat"), "0\n1\n");
        Assert.Contains("conxuntos_kfold.dat", Assert.Throws<FileNotFoundException>(() => Uci90.Load(t.File("nokfold"))).Message);
        Assert.Contains("tar xJf", Assert.Throws<DirectoryNotFoundException>(() => Uci90.List(t.File("absent"))).Message);
    }

    [SkippableFact]
    public void RealArchiveIrisAndAbalone()
    {
        string? data = DataTestHelpers.SharedDataDirectory();
        Skip.If(data is null, "../shared/data (next to the repository root) is absent; this test reads uci90.txz from it.");
        string archive = Path.Combine(data!, "uci90.txz");
        Skip.IfNot(File.Exists(archive) && (File.Exists("/usr/bin/tar") || File.Exists("/bin/tar")), "uci90.txz or tar is absent.");
        using var t = new TempDir();
        var psi = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (string a in new[] { "-xJf", archive, "-C", t.Path, "uci90/iris", "uci90/abalone" }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Skip.If(p.ExitCode != 0, $"tar could not extract the archive: {err}");
        }
        string root = Path.Combine(t.Path, "uci90");
        Assert.Equal(["abalone", "iris"], Uci90.List(root));
        var iris = Uci90.Load(root, "iris");
        Assert.Equal((150, 4, 3), (iris.Count, iris.Features, iris.ClassCount));
        Assert.Equal(75, iris.Validation.Train.Length);
        Assert.Equal(75, iris.Validation.Test.Length);
        foreach (var f in iris.Folds)
        {
            Assert.Equal(150, f.Train.Length + f.Test.Length);
            Assert.Empty(f.Train.Intersect(f.Test));
        }
        Assert.Equal(-0.897674, iris.X[0, 0]);
        var abalone = Uci90.Load(root, "abalone");
        Assert.Equal((4177, 8, 3), (abalone.Count, abalone.Features, abalone.ClassCount));
    }
}
