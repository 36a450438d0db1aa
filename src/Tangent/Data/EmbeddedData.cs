using System.IO.Compression;

namespace Tangent.Data;

/// <summary>
/// Small classic data sets carried inside the library (gzipped resources), so examples and tests
/// run without downloads. Sources and licences are listed in docs/DATA.md: iris, wine, breast
/// cancer (Wisconsin diagnostic) and optical digits are UCI data sets (CC BY 4.0) in the form
/// scikit-learn ships them (BSD-3); diabetes is from Efron, Hastie, Johnstone and Tibshirani,
/// "Least Angle Regression", Annals of Statistics 32(2), 2004.
/// Each call parses a fresh copy.
/// </summary>
public static class EmbeddedData
{
    /// <summary>The diabetes feature names, in column order.</summary>
    public static IReadOnlyList<string> DiabetesFeatureNames { get; } = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

    /// <summary>Fisher's iris: 150 samples, 4 features (sepal/petal length/width, cm), 3 classes.</summary>
    public static ClassificationData Iris() => Classification("iris.csv.gz", "iris");

    /// <summary>Wine recognition: 178 samples, 13 chemical features, 3 cultivars.</summary>
    public static ClassificationData Wine() => Classification("wine_data.csv.gz", "wine");

    /// <summary>Breast cancer Wisconsin (diagnostic): 569 samples, 30 features, 2 classes (malignant = 0, benign = 1).</summary>
    public static ClassificationData BreastCancer() => Classification("breast_cancer.csv.gz", "breast_cancer");

    /// <summary>Optical recognition of handwritten digits: 1797 images of 8×8 pixels (values 0-16) as 64 features, 10 classes.</summary>
    public static ClassificationData Digits() => Classification("digits.csv.gz", "digits");

    /// <summary>
    /// Diabetes (Efron et al. 2004): 442 patients, 10 raw (unscaled) baseline features
    /// (<see cref="DiabetesFeatureNames"/>), target a measure of disease progression one year later (442×1).
    /// Standardise the features (<see cref="Standardizer"/>) before using them with a kernel.
    /// </summary>
    public static RegressionData Diabetes()
    {
        var opts = new CsvReadOptions { Header = CsvHeader.Absent, Delimiter = CsvDelimiter.Whitespace };
        var x = Parse("diabetes_data_raw.csv.gz", (r, src) => CsvFile.Parse(r, src, opts).Values);
        var y = Parse("diabetes_target.csv.gz", (r, src) => CsvFile.Parse(r, src, opts).Values);
        CsvFile.RequireSameRows("diabetes_data_raw", x, "diabetes_target", y);
        return new RegressionData("diabetes", x, y, DiabetesFeatureNames);
    }

    private static ClassificationData Classification(string resource, string name) =>
        Parse(resource, (r, src) => TabularFile.ParseClassification(r, src, name));

    private static T Parse<T>(string resource, Func<TextReader, string, T> parse)
    {
        string full = "Tangent.Data.Embedded." + resource;
        using var s = typeof(EmbeddedData).Assembly.GetManifestResourceStream(full)
            ?? throw new InvalidOperationException($"The embedded resource '{full}' is missing from the Tangent assembly; the build is broken.");
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        using var r = new StreamReader(gz, AtomicFile.Utf8NoBom);
        return parse(r, "embedded:" + resource);
    }
}
