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

    /// <summary>The file format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string ManifestEntry = "model.json";
    private const string TrainEntry = "train_x.npy";
    private const string AlphaEntry = "alpha.npy";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Saves the model as a <c>.tgm</c> file (docs/MODELS.md "File format"): a zip with <c>model.json</c> (format name and
    /// version, the Tangent version, the spec, the preprocessing, the task, classes and names, and the SHA-256 of every
    /// other entry) and the arrays <c>train_x.npy</c> (training inputs after preprocessing) and <c>alpha.npy</c> (α).
    /// Written atomically: a reader never sees half a file and a failed save leaves the previous file.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var arrays = new (string Name, byte[] Bytes)[] { (TrainEntry, NpyBytes(_train)), (AlphaEntry, NpyBytes(_alpha)) };
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
            return FromManifest(m, path, Array(TrainEntry), Array(AlphaEntry));
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
        return new JsonObject
        {
            ["format"] = FormatName,
            ["formatVersion"] = FormatVersion,
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

    private static TabularModel FromManifest(JsonObject m, string path, Matrix train, Matrix alpha)
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
        if (train.Cols != features.Length || alpha.Rows != train.Rows || alpha.Cols != (labels?.Count ?? targets.Length)
            || (fs is not null && fs.Columns != features.Length) || (ts is not null && ts.Columns != targets.Length))
            throw Bad(path, $"its arrays disagree with the manifest (training inputs {train.Shape}, α {alpha.Shape}, {features.Length} features, {targets.Length} targets)");
        return new TabularModel(spec, task, features, targets, labels, fs, ts, train, alpha, ridge["absolute"]!.GetValue<double>());
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
