using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

public sealed partial class TabularModel
{
    /// <summary>The format name written in <c>model.json</c>.</summary>
    public const string FormatName = "tangent-model";

    /// <summary>The newest file format version this library writes and reads: 1 for kernel regression, 2 for SVMs
    /// (docs/MODELS.md "The model file"). A model is written with the lowest version that holds it, so a kernel-regression
    /// file stays readable by a Tangent that reads version 1 only.</summary>
    public const int FormatVersion = 2;

    /// <summary>The version that added SVM models (<see cref="ClassifierKind.Svm"/>): the <c>svm</c> manifest section and the
    /// <c>support.npy</c> and <c>dual_coef.npy</c> entries.</summary>
    private const int SvmFormatVersion = 2;

    private const string ManifestEntry = "model.json";
    private const string TrainEntry = "train_x.npy";
    private const string AlphaEntry = "alpha.npy";
    private const string SupportEntry = "support.npy";
    private const string DualEntry = "dual_coef.npy";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Saves the model as a <c>.tgm</c> file (docs/MODELS.md "File format"): a zip with <c>model.json</c> (format name and
    /// version, the Tangent version, the spec, the preprocessing, the task, classes and names, and the SHA-256 of every
    /// other entry) and the arrays <c>train_x.npy</c> (training inputs after preprocessing) and <c>alpha.npy</c> (α); an SVM
    /// (format version 2) keeps the support vectors' inputs and coefficients there, its intercepts and classes in the
    /// manifest, and <c>support.npy</c> (the support vectors' training rows) and <c>dual_coef.npy</c>.
    /// Written atomically: a reader never sees half a file and a failed save leaves the previous file.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var arrays = new List<(string Name, byte[] Bytes)> { (TrainEntry, NpyBytes(_train)), (AlphaEntry, NpyBytes(_alpha)) };
        if (Svm is { } svm)
        {
            arrays.Add((SupportEntry, NpyBytes(Matrix.Build(svm.SupportIndices.Count, 1, (i, _) => svm.SupportIndices[i]))));
            arrays.Add((DualEntry, NpyBytes(svm.DualCoefficients)));
        }
        var manifest = Manifest();
        var entries = new JsonObject();
        foreach (var (name, bytes) in arrays)
            entries[name] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)), ["bytes"] = bytes.Length };
        manifest["entries"] = entries;
        // JsonNode's own writer, not JsonSerializer: no reflection, so saving works in trimmed and native-AOT apps
        // (a .NET 10 file-based app is one by default, examples/README.md); the bytes are the same.
        var json = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString(Indented));
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Put(zip, ManifestEntry, json);
            foreach (var (name, bytes) in arrays) Put(zip, name, bytes);
        });
    }

    /// <summary>
    /// Loads a model saved by <see cref="Save"/>. The loaded model predicts bit-identically to the saved one.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or not a Tangent model, an entry is missing, or its checksum does not match
    /// (the message names the file and the entry).</exception>
    /// <exception cref="NotSupportedException">The file has a newer format version than this library reads.</exception>
    public static TabularModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist; save one with `tangent fit --save {Path.GetFileName(path)}` or TabularModel.Save.", path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var json = Entry(zip, path, ManifestEntry);
            JsonObject m;
            try { m = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException("empty"); }
            catch (JsonException e) { throw Bad(path, $"its {ManifestEntry} is not valid JSON ({e.Message})"); }
            if (Str(m, "format", path) != FormatName) throw Bad(path, $"its format is '{m["format"]}', not '{FormatName}'");
            int version = Int(m, "formatVersion", path);
            if (version > FormatVersion)
                throw new NotSupportedException($"Model file '{path}' has format version {version} (written by Tangent {m["tangentVersion"]}); this Tangent {LibraryVersion} reads up to version {FormatVersion}. Upgrade Tangent to read it.");
            if (version < 1) throw Bad(path, $"its format version is {version}");
            var entries = m["entries"] as JsonObject ?? throw Bad(path, "its manifest has no 'entries'");
            Matrix Array(string name)
            {
                var bytes = Entry(zip, path, name);
                string expected = (entries[name] as JsonObject)?["sha256"]?.GetValue<string>() ?? throw Bad(path, $"its manifest has no checksum for {name}");
                if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), expected, StringComparison.OrdinalIgnoreCase))
                    throw Bad(path, $"the checksum of {name} does not match the manifest (the file is corrupted or was edited)");
                using var ms = new MemoryStream(bytes);
                return Npy.Read(ms, $"{path}:{name}").Values;
            }
            bool svm = version >= SvmFormatVersion && m["svm"] is JsonObject;
            return FromManifest(m, path, Array(TrainEntry), Array(AlphaEntry), svm ? Array(SupportEntry) : null, svm ? Array(DualEntry) : null);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("Model file", StringComparison.Ordinal))
        {
            throw Bad(path, $"it is truncated or not a zip ({e.Message})");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw Bad(path, $"its manifest is malformed ({e.Message})");
        }
    }

    /// <summary>The version of this library, as written into model files.</summary>
    public static string LibraryVersion => typeof(TabularModel).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    private JsonObject Manifest()
    {
        var spec = new JsonObject
        {
            ["kernel"] = Spec.Kernel is { } k
                ? new JsonObject { ["kind"] = k.Kind.ToString().ToLowerInvariant(), ["gamma"] = k.Gamma, ["coef0"] = k.Coef0, ["degree"] = k.Degree, ["text"] = k.Describe() }
                : null,
            ["architecture"] = Spec.Architecture?.ToString(),
            ["get"] = Spec.Get == KernelOutputs.Nngp ? "nngp" : "ntk",
            ["ridge"] = new JsonObject { ["value"] = Spec.Ridge.Value, ["relative"] = Spec.Ridge.RelativeToMeanDiagonal, ["absolute"] = RidgeValue },
            ["time"] = double.IsPositiveInfinity(Spec.Time) ? "inf" : Spec.Time.ToString("R", CultureInfo.InvariantCulture),
            ["standardizeFeatures"] = Spec.StandardizeFeatures,
            ["standardizeTarget"] = Spec.StandardizeTarget,
        };
        if (Svm is not null)
        {
            spec["model"] = "svm";
            spec["c"] = Spec.C;
        }
        var manifest = new JsonObject
        {
            ["format"] = FormatName,
            ["formatVersion"] = Svm is null ? 1 : SvmFormatVersion,
            ["tangentVersion"] = LibraryVersion,
            ["kernelDescription"] = Spec.DescribeKernel(),
            ["spec"] = spec,
            ["task"] = Task == TaskKind.Classification ? "classification" : "regression",
            ["classes"] = Labels is null ? null : new JsonArray(Labels.Classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["featureNames"] = new JsonArray(FeatureNames.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["targetNames"] = new JsonArray(TargetNames.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["featureScaler"] = Scaler(FeatureScaler),
            ["targetScaler"] = Scaler(TargetScaler),
            ["trainCount"] = TrainCount,
        };
        if (Svm is { } svm)
        {
            var settings = SvmSettings!;
            JsonArray Numbers<T>(IEnumerable<T> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            manifest["svm"] = new JsonObject
            {
                ["strategy"] = svm.Strategy == MultiClassStrategy.OneVsOne ? "ovo" : "ovr",
                ["classCount"] = svm.ClassCount,
                ["presentClasses"] = Numbers(svm.PresentClasses),
                ["pairs"] = new JsonArray(svm.Pairs.Select(p => (JsonNode?)Numbers(new[] { p.A, p.B })).ToArray()),
                // −∞ (a one-vs-rest class absent from training) is not a JSON number: written as null.
                ["intercepts"] = new JsonArray(svm.Intercepts.Select(v => double.IsFinite(v) ? (JsonNode?)JsonValue.Create(v) : null).ToArray()),
                ["iterations"] = Numbers(svm.Iterations),
                ["converged"] = svm.Converged,
                ["tolerance"] = settings.Tolerance,
                ["shrinking"] = settings.Shrinking,
                ["maxIterations"] = settings.MaxIterations,
                ["cacheMegabytes"] = settings.CacheMegabytes,
                ["balancedClassWeights"] = settings.BalancedClassWeights,
                ["classWeights"] = settings.ClassWeights is { } w ? Numbers(w) : null,
            };
        }
        return manifest;
    }

    private static JsonObject? Scaler(FittedStandardizer? s) => s is null ? null : new JsonObject
    {
        ["means"] = new JsonArray(s.Means.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        ["scales"] = new JsonArray(s.Scales.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        ["constant"] = new JsonArray(s.ConstantColumns.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
    };

    private static FittedStandardizer? ReadScaler(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        double[] D(string key) => o[key]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        return new FittedStandardizer(D("means"), D("scales"), o["constant"]!.AsArray().Select(v => v!.GetValue<bool>()).ToArray());
    }

    private static TabularModel FromManifest(JsonObject m, string path, Matrix train, Matrix alpha, Matrix? support, Matrix? dual)
    {
        var s = m["spec"] as JsonObject ?? throw Bad(path, "its manifest has no 'spec'");
        ClassicalKernel? kernel = null;
        if (s["kernel"] is JsonObject k)
        {
            var kind = Enum.Parse<KernelKind>(k["kind"]!.GetValue<string>(), ignoreCase: true);
            kernel = new ClassicalKernel(kind, k["gamma"]!.GetValue<double>(), k["coef0"]!.GetValue<double>(), k["degree"]!.GetValue<int>());
        }
        var archText = s["architecture"]?.GetValue<string>();
        var ridge = s["ridge"]!.AsObject();
        string time = s["time"]!.GetValue<string>();
        var spec = new ModelSpec
        {
            Kernel = kernel,
            Architecture = archText is null ? null : Architecture.Parse(archText),
            Get = s["get"]!.GetValue<string>() == "nngp" ? KernelOutputs.Nngp : KernelOutputs.Ntk,
            Ridge = new Ridge(ridge["value"]!.GetValue<double>(), ridge["relative"]!.GetValue<bool>()),
            Time = time == "inf" ? double.PositiveInfinity : double.Parse(time, CultureInfo.InvariantCulture),
            StandardizeFeatures = s["standardizeFeatures"]!.GetValue<bool>(),
            StandardizeTarget = s["standardizeTarget"]!.GetValue<bool>(),
        };
        if (support is not null)
            spec = spec with { Model = ClassifierKind.Svm, C = s["c"]!.GetValue<double>() };
        spec.Validate();
        var task = Str(m, "task", path) switch
        {
            "regression" => TaskKind.Regression,
            "classification" => TaskKind.Classification,
            var t => throw Bad(path, $"its task is '{t}', not regression or classification"),
        };
        string[] Names(string key) => (m[key] as JsonArray ?? throw Bad(path, $"its manifest has no '{key}'")).Select(v => v!.GetValue<string>()).ToArray();
        var features = Names("featureNames");
        var targets = Names("targetNames");
        var labels = task == TaskKind.Classification ? new LabelEncoder(Names("classes")) : null;
        var fs = ReadScaler(m["featureScaler"]);
        var ts = ReadScaler(m["targetScaler"]);
        if (support is not null)
        {
            if (labels is null || train.Cols != features.Length || (fs is not null && fs.Columns != features.Length) || support.Cols != 1 || support.Rows != train.Rows)
                throw Bad(path, $"its SVM arrays disagree with the manifest (support vectors {train.Shape}, {support.Rows} support rows, {features.Length} features, task {task.ToString().ToLowerInvariant()})");
            var (svm, settings) = ReadSvm(m["svm"]!.AsObject(), spec.C, Int(m, "trainCount", path), support, dual!, alpha);
            if (svm.ClassCount != labels.Count) throw Bad(path, $"its SVM has {svm.ClassCount} classes but the manifest lists {labels.Count}");
            return new TabularModel(spec, task, features, targets, labels, fs, null, train, alpha, 0, svm, settings, svm.TrainingRows);
        }
        if (train.Cols != features.Length || alpha.Rows != train.Rows || alpha.Cols != (labels?.Count ?? targets.Length)
            || (fs is not null && fs.Columns != features.Length) || (ts is not null && ts.Columns != targets.Length))
            throw Bad(path, $"its arrays disagree with the manifest (training inputs {train.Shape}, α {alpha.Shape}, {features.Length} features, {targets.Length} targets)");
        return new TabularModel(spec, task, features, targets, labels, fs, ts, train, alpha, ridge["absolute"]!.GetValue<double>());
    }

    /// <summary>The SVM and its settings from the manifest's <c>svm</c> section and the arrays (the shapes are checked by
    /// <see cref="SupportVectorModel.Restore"/>, which throws <see cref="ArgumentException"/>: reported as a malformed manifest).</summary>
    private static (SupportVectorModel Svm, SupportVectorClassifier Settings) ReadSvm(JsonObject o, double c, int trainCount, Matrix support, Matrix dual, Matrix weights)
    {
        int[] Ints(JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var strategy = o["strategy"]!.GetValue<string>() switch
        {
            "ovo" => MultiClassStrategy.OneVsOne,
            "ovr" => MultiClassStrategy.OneVsRest,
            var v => throw new FormatException($"unknown SVM strategy '{v}'"),
        };
        var pairs = o["pairs"]!.AsArray().Select(p => Ints(p) is [var a, var b] ? (a, b) : throw new FormatException("an SVM pair is not two classes")).ToArray();
        var intercepts = o["intercepts"]!.AsArray().Select(v => v is null ? double.NegativeInfinity : v.GetValue<double>()).ToArray();
        var rows = new int[support.Rows];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = support[i, 0] is var v && v == Math.Floor(v) && v >= 0 && v < trainCount ? (int)v : throw new FormatException($"support row {v} is not a training row index below {trainCount}");
        var svm = SupportVectorModel.Restore(o["classCount"]!.GetValue<int>(), trainCount, strategy, Ints(o["presentClasses"]), pairs, rows, dual, weights,
            intercepts, Ints(o["iterations"]), o["converged"]!.GetValue<bool>());
        var settings = new SupportVectorClassifier
        {
            C = c,
            Tolerance = o["tolerance"]!.GetValue<double>(),
            Shrinking = o["shrinking"]!.GetValue<bool>(),
            MultiClass = strategy,
            MaxIterations = o["maxIterations"]!.GetValue<int>(),
            CacheMegabytes = o["cacheMegabytes"]!.GetValue<double>(),
            BalancedClassWeights = o["balancedClassWeights"]!.GetValue<bool>(),
            ClassWeights = o["classWeights"] is JsonArray w ? w.Select(v => v!.GetValue<double>()).ToArray() : null,
        };
        return (svm, settings);
    }

    private static byte[] NpyBytes(Matrix m)
    {
        using var ms = new MemoryStream();
        Npy.Write(ms, m);
        return ms.ToArray();
    }

    private static void Put(ZipArchive zip, string name, byte[] bytes)
    {
        var e = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var s = e.Open();
        s.Write(bytes);
    }

    private static byte[] Entry(ZipArchive zip, string path, string name)
    {
        var e = zip.GetEntry(name) ?? throw Bad(path, $"it has no entry {name}");
        using var s = e.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static string Str(JsonObject m, string key, string path) =>
        m[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Bad(path, $"its manifest has no text '{key}'");

    private static int Int(JsonObject m, string key, string path) =>
        m[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw Bad(path, $"its manifest has no integer '{key}'");

    private static InvalidDataException Bad(string path, string what) =>
        new($"Model file '{path}' cannot be read: {what}. Save the model again (TabularModel.Save or `tangent fit --save`).");
}
