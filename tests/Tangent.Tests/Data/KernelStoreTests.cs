using System.Buffers.Binary;
using System.Text.Json;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public class KernelStoreTests
{
    private static readonly IKernel Gaussian = ClassicalKernel.Gaussian(0.3);
    private static readonly IKernel Ntk = new NeuralKernel(Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5)"), KernelOutputs.Ntk);

    private static Matrix Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, 4, (_, _) => rng.NextDouble() * 2 - 1);
    }

    private static KernelStore Make(string path, IKernel k, Matrix x1, Matrix? x2, int chunk, string kind = "test", Precision dtype = Precision.Float64) =>
        KernelStore.OpenOrCreate(path, KernelStoreWriter.Metadata(k, kind, x1, x2, chunk, dtype));

    private static KernelStore Run(string path, IKernel k, Matrix x1, Matrix? x2, int chunk, StoreShard? shard = null, ComputeOptions? options = null,
        Precision dtype = Precision.Float64)
    {
        var store = Make(path, k, x1, x2, chunk, dtype: dtype);
        KernelStoreWriter.Fill(store, k, x1, x2, shard ?? StoreShard.All, options ?? ComputeOptions.Default);
        return store;
    }

    /// <summary>Every file of the store, by relative path, leaving out temporary files.</summary>
    private static SortedDictionary<string, byte[]> Files(string store)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories))
            if (!f.EndsWith(".tmp", StringComparison.Ordinal))
                files[Path.GetRelativePath(store, f)] = File.ReadAllBytes(f);
        return files;
    }

    private static void SameFiles(string expected, string actual)
    {
        var a = Files(expected);
        var b = Files(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"file {name} differs");
    }

    [Theory]
    [InlineData(false, true, 23, 0, 8)]
    [InlineData(false, false, 19, 13, 8)]
    [InlineData(true, true, 21, 0, 5)]
    [InlineData(true, false, 11, 17, 4)]
    [InlineData(false, true, 7, 0, 16)]
    public void StoreEqualsTheInMemoryKernelBitForBit(bool neural, bool symmetric, int n1, int n2, int chunk)
    {
        using var dir = new TempDir();
        var k = neural ? Ntk : Gaussian;
        var x1 = Inputs(n1, 1);
        var x2 = symmetric ? null : Inputs(n2, 2);
        var store = Run(dir.File("K.zarr"), k, x1, x2, chunk);
        var expected = k.Compute(x1, x2, ComputeOptions.Default);
        var stored = KernelStore.Open(dir.File("K.zarr")).ReadAll();
        if (!neural) DataTestHelpers.BitwiseEqual(expected, stored);
        else
        {
            // The network kernel's vectorised row pass may round an entry differently by its place in the row (one ulp),
            // so the store equals the one-shot kernel to rounding and, bit for bit, the kernel computed chunk by chunk.
            Assert.True(expected.MaxAbsDifference(stored) <= 1e-14 * expected.Data.Max(Math.Abs), $"store differs from the kernel by {expected.MaxAbsDifference(stored)}");
            DataTestHelpers.BitwiseEqual(ChunkByChunk(k, x1, x2, chunk), stored);
        }
        Assert.True(store.Verify().Ok);
        Assert.True(store.Info().Complete);
    }

    /// <summary>The kernel assembled from blocks computed one by one, as the store does (diagonal blocks of K(X, X) as symmetric kernels).</summary>
    private static Matrix ChunkByChunk(IKernel k, Matrix x1, Matrix? x2, int chunk)
    {
        var other = x2 ?? x1;
        var m = new Matrix(x1.Rows, other.Rows);
        for (int r0 = 0; r0 < x1.Rows; r0 += chunk)
            for (int c0 = 0; c0 < other.Rows; c0 += chunk)
            {
                int rows = Math.Min(chunk, x1.Rows - r0), cols = Math.Min(chunk, other.Rows - c0);
                Matrix block;
                if (x2 is null && r0 == c0) block = k.Compute(x1.SliceRows(r0, rows), null, ComputeOptions.Default);
                else if (x2 is null && c0 < r0) block = k.Compute(x1.SliceRows(c0, cols), x1.SliceRows(r0, rows), ComputeOptions.Default).Transpose();
                else block = k.Compute(x1.SliceRows(r0, rows), other.SliceRows(c0, cols), ComputeOptions.Default);
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++)
                        m[r0 + i, c0 + j] = block[i, j];
            }
        return m;
    }

    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void ResumedRunAfterAKillEndsIdenticalToAnUninterruptedRun(Precision dtype)
    {
        using var dir = new TempDir();
        var x = Inputs(30, 3);
        var f32 = new ComputeOptions { Precision = dtype };
        KernelStore Run(string path, IKernel k, Matrix x1, Matrix? x2, int chunk, ComputeOptions? options = null) =>
            KernelStoreTests.Run(path, k, x1, x2, chunk, null, options ?? f32, dtype);
        Run(dir.File("ref.zarr"), Ntk, x, null, 7);

        string path = dir.File("K.zarr");
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var stop = new SyncProgress(_ => { if (++reports == 3) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Run(path, Ntk, x, null, 7, options: f32 with { Progress = stop, CancellationToken = cts.Token }));
        var store = KernelStore.Open(path);
        int total = store.ComputedChunks.Count;
        Assert.Equal(total - 3, store.MissingChunks(StoreShard.All).Count);

        // What a kill leaves: a truncated chunk (its checksum still there), a chunk without a checksum, a temporary file.
        var truncated = store.ChunkAt(0, 0);
        File.WriteAllBytes(store.ChunkPath(truncated), File.ReadAllBytes(store.ChunkPath(truncated))[..100]);
        var unsummed = store.ChunkAt(0, 1);
        File.Delete(store.ChecksumPath(unsummed));
        File.WriteAllText(TemporaryFiles.TemporaryPathFor(store.ChunkPath(store.ChunkAt(2, 3))), "half");
        var missing = store.MissingChunks(StoreShard.All);
        Assert.Contains(truncated, missing);
        Assert.Contains(unsummed, missing);

        Run(path, Ntk, x, null, 7);
        SameFiles(dir.File("ref.zarr"), path);
        Assert.True(KernelStore.Open(path).Verify().Ok);
        Assert.Equal(0, KernelStoreWriter.Fill(KernelStore.Open(path), Ntk, x, null, StoreShard.All, ComputeOptions.Default));
        Assert.Equal(dtype, KernelStore.Open(path).Metadata.Dtype);
    }

    [Theory]
    [InlineData(true, 17, 0, 5)]
    [InlineData(false, 11, 9, 4)]
    public void AFloat32StoreHoldsTheFloat64KernelRoundedToFloat32BitForBit(bool symmetric, int n1, int n2, int chunk)
    {
        using var dir = new TempDir();
        var x1 = Inputs(n1, 21);
        var x2 = symmetric ? null : Inputs(n2, 22);
        var store = Run(dir.File("K.zarr"), Gaussian, x1, x2, chunk, dtype: Precision.Float32);
        var expected = Gaussian.Compute(x1, x2, ComputeOptions.Default);
        var stored = KernelStore.Open(dir.File("K.zarr")).ReadAll();
        DataTestHelpers.BitwiseEqual(Matrix.Build(expected.Rows, expected.Cols, (i, j) => (float)expected[i, j]), stored);
        Assert.True(store.Verify().Ok);
        Assert.Equal(4L * chunk * chunk, new FileInfo(store.ChunkPath(store.ChunkAt(0, 0))).Length);
        Assert.Contains("\"dtype\": \"<f4\"", File.ReadAllText(dir.File("K.zarr/.zarray")));
        Assert.Contains("\"dtype\": \"float32\"", File.ReadAllText(dir.File("K.zarr/.zattrs")));
        var c = store.ChunkAt(0, 0);
        var bytes = File.ReadAllBytes(store.ChunkPath(c));
        Assert.Equal((float)expected[0, 1], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4)));
        Assert.True(float.IsNaN(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(bytes.Length - 4))) || (c.Rows == chunk && c.Cols == chunk));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), File.ReadAllText(store.ChecksumPath(c)).Trim());
    }

    [Fact]
    public void AStoreOfTheOtherDtypeIsRefusedNamingTheFixAndLeftAsIs()
    {
        using var dir = new TempDir();
        var x = Inputs(12, 8);
        string path = dir.File("K.zarr");
        Run(path, Gaussian, x, null, 5, dtype: Precision.Float32);
        var before = Files(path);
        var e = Assert.Throws<InvalidOperationException>(() => Make(path, Gaussian, x, null, 5));
        Assert.Equal($"The store '{path}' holds float32 entries but float64 was asked for; it is left as is. Give --dtype float32 to continue it, or a new --out path.", e.Message);
        var other = Assert.Throws<InvalidOperationException>(() => Make(path, Gaussian, Inputs(12, 9), null, 5));   // more than the dtype differs: what differs first
        Assert.Contains("fingerprint", other.Message);
        var after = Files(path);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (name, b) in before) Assert.Equal(b, after[name]);
        Assert.Equal(Precision.Float32, Make(path, Gaussian, x, null, 5, dtype: Precision.Float32).Metadata.Dtype);
    }

    [Fact]
    public void AnEntryBeyondFloat32IsRefusedNotStoredAsInfinity()
    {
        using var dir = new TempDir();
        var x = Inputs(3, 4);
        var store = Make(dir.File("K.zarr"), Gaussian, x, null, 4, dtype: Precision.Float32);
        var c = store.ChunkAt(0, 0);
        var values = new double[c.Rows * c.Cols];
        values[4] = 1e39;
        var e = Assert.Throws<InvalidOperationException>(() => store.WriteChunk(c, values));
        Assert.Contains("Entry (row 2, column 2)", e.Message);
        Assert.Contains("beyond float32", e.Message);
        Assert.Contains("--dtype float64", e.Message);
        Assert.False(File.Exists(store.ChunkPath(c)));
        values[4] = 3e38;   // within range: stored
        store.WriteChunk(c, values);
        Assert.Equal((double)(float)3e38, store.ReadChunk(c)[4]);
    }

    [Theory]
    [InlineData("float64", Precision.Float64)]
    [InlineData(" Float32 ", Precision.Float32)]
    [InlineData("f4", Precision.Float32)]
    public void DtypeParsesItsNames(string text, Precision expected) => Assert.Equal(expected, KernelStore.ParseDtype(text));

    [Fact]
    public void DtypeRefusesOtherNamesWithTheFix() =>
        Assert.Equal("The dtype 'float16' is not float64 or float32; give --dtype float64 (the default) or --dtype float32.",
            Assert.Throws<FormatException>(() => KernelStore.ParseDtype("float16")).Message);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ShardsInAnyOrderFillTheStoreAsOneRunDoes(bool symmetric)
    {
        using var dir = new TempDir();
        var x1 = Inputs(26, 4);
        var x2 = symmetric ? null : Inputs(15, 5);
        Run(dir.File("ref.zarr"), Gaussian, x1, x2, 6);
        string path = dir.File("K.zarr");
        int written = 0;
        foreach (int i in new[] { 2, 0, 1 })
        {
            var store = Make(path, Gaussian, x1, x2, 6);
            Assert.False(store.Info().Complete);
            written += KernelStoreWriter.Fill(store, Gaussian, x1, x2, new StoreShard(i, 3), ComputeOptions.Default);
            Assert.Empty(store.MissingChunks(new StoreShard(i, 3)));
        }
        var done = KernelStore.Open(path);
        Assert.Equal(done.Chunks.Count, written);   // no chunk written twice
        Assert.True(done.Info().Complete);
        SameFiles(dir.File("ref.zarr"), path);
    }

    [Fact]
    public void ShardsSplitTheChunksWithoutOverlap()
    {
        using var dir = new TempDir();
        var store = Make(dir.File("K.zarr"), Gaussian, Inputs(40, 6), null, 5);
        var shards = Enumerable.Range(0, 4).Select(i => store.MissingChunks(new StoreShard(i, 4))).ToList();
        var all = shards.SelectMany(s => s).ToList();
        Assert.Equal(store.ComputedChunks.Count, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(shards, s => Assert.InRange(s.Count, store.ComputedChunks.Count / 4, store.ComputedChunks.Count / 4 + 1));
    }

    [Fact]
    public void VerifyFindsACorruptedChunkAndARerunRepairsIt()
    {
        using var dir = new TempDir();
        var x = Inputs(20, 7);
        var store = Run(dir.File("K.zarr"), Gaussian, x, null, 8);
        var bad = store.ChunkAt(1, 2);
        var bytes = File.ReadAllBytes(store.ChunkPath(bad));
        bytes[17] ^= 0x40;
        File.WriteAllBytes(store.ChunkPath(bad), bytes);
        var v = store.Verify();
        Assert.False(v.Ok);
        Assert.Equal([bad], v.Corrupt);
        Assert.Empty(v.Missing);
        Assert.Contains(store.ChunkAt(1, 2), store.MissingChunks(StoreShard.All));   // recomputed, with its mirror (2, 1), by the next run
        KernelStoreWriter.Fill(store, Gaussian, x, null, StoreShard.All, ComputeOptions.Default);
        Assert.True(store.Verify().Ok);
        DataTestHelpers.BitwiseEqual(Gaussian.Compute(x, null, ComputeOptions.Default), store.ReadAll());
    }

    [Fact]
    public void AStoreOfOtherInputsKernelOrKindIsRefusedAndLeftAsIs()
    {
        using var dir = new TempDir();
        var x = Inputs(12, 8);
        string path = dir.File("K.zarr");
        Run(path, Gaussian, x, null, 5);
        var before = Files(path);
        var other = Inputs(12, 9);
        var e1 = Assert.Throws<InvalidOperationException>(() => Make(path, Gaussian, other, null, 5));
        Assert.Contains("fingerprint", e1.Message);
        var e2 = Assert.Throws<InvalidOperationException>(() => Make(path, ClassicalKernel.Gaussian(0.5), x, null, 5));
        Assert.Contains("gaussian", e2.Message);
        var e3 = Assert.Throws<InvalidOperationException>(() => Make(path, Gaussian, x, null, 5, kind: "ntk"));
        Assert.Contains("kind", e3.Message);
        var e4 = Assert.Throws<InvalidOperationException>(() => Make(path, Gaussian, x, null, 4));
        Assert.Contains("chunk 5 vs 4", e4.Message);
        Assert.Throws<InvalidOperationException>(() => KernelStoreWriter.Fill(KernelStore.Open(path), Gaussian, other, null, StoreShard.All, ComputeOptions.Default));
        var after = Files(path);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (name, b) in before) Assert.Equal(b, after[name]);
    }

    [Fact]
    public void JobsCreatingTheSameStoreAtOnceAllOpenIt()
    {
        using var dir = new TempDir();
        var x = Inputs(9, 13);
        var stores = new KernelStore[8];
        Parallel.For(0, stores.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => stores[i] = Make(dir.File("K.zarr"), Gaussian, x, null, 4));
        Assert.All(stores, s => Assert.Equal(stores[0].Path, s.Path));
        Assert.Equal(["K.zarr"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));   // no temporary folder left
    }

    [Fact]
    public void AFolderThatIsNotAStoreIsRefusedAndNotTouched()
    {
        using var dir = new TempDir();
        string path = dir.File("mine.zarr");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "notes.txt"), "mine");
        var e = Assert.Throws<IOException>(() => Make(path, Gaussian, Inputs(5, 1), null, 4));
        Assert.Contains("not a Tangent kernel store", e.Message);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName));
        string empty = dir.File("empty.zarr");
        Directory.CreateDirectory(empty);
        Assert.Throws<IOException>(() => Make(empty, Gaussian, Inputs(5, 1), null, 4));
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
        File.WriteAllText(dir.File("file.zarr"), "x");
        Assert.Throws<IOException>(() => Make(dir.File("file.zarr"), Gaussian, Inputs(5, 1), null, 4));
        Assert.Equal(["empty.zarr", "file.zarr", "mine.zarr"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ZArrayHasTheFieldsOfTheZarrV2SpecAndChunksAreLittleEndianCOrder()
    {
        using var dir = new TempDir();
        var x1 = Inputs(10, 10);
        var x2 = Inputs(7, 11);
        var store = Run(dir.File("K.zarr"), Gaussian, x1, x2, 4);
        string text = File.ReadAllText(dir.File("K.zarr/.zarray"));
        Assert.Contains("\"dtype\": \"<f8\"", text);   // written as is, not escaped
        using var doc = JsonDocument.Parse(text);
        var z = doc.RootElement;
        Assert.Equal(["chunks", "compressor", "dimension_separator", "dtype", "fill_value", "filters", "order", "shape", "zarr_format"],
            z.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2, z.GetProperty("zarr_format").GetInt32());
        Assert.Equal([10, 7], z.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([4, 4], z.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("<f8", z.GetProperty("dtype").GetString());
        Assert.Equal(JsonValueKind.Null, z.GetProperty("compressor").ValueKind);
        Assert.Equal(JsonValueKind.Null, z.GetProperty("filters").ValueKind);
        Assert.Equal("NaN", z.GetProperty("fill_value").GetString());
        Assert.Equal("C", z.GetProperty("order").GetString());
        Assert.Equal(".", z.GetProperty("dimension_separator").GetString());
        using var attrs = JsonDocument.Parse(File.ReadAllText(dir.File("K.zarr/.zattrs")));
        var t = attrs.RootElement.GetProperty("tangent");
        Assert.Equal(KernelStore.FormatName, t.GetProperty("format").GetString());
        Assert.Equal(KernelStoreWriter.Fingerprint(x1, x2), t.GetProperty("fingerprint").GetString());
        Assert.Equal(Gaussian.Describe(), t.GetProperty("description").GetString());

        // 3×2 chunks, keys ROW.COL; every file holds the full 4×4 chunk, the part past the edge is NaN.
        Assert.Equal(6, store.Chunks.Count);
        var k = Gaussian.Compute(x1, x2, ComputeOptions.Default);
        foreach (var c in store.Chunks)
        {
            var bytes = File.ReadAllBytes(dir.File("K.zarr/" + $"{c.Row}.{c.Col}"));
            Assert.Equal(4 * 4 * 8, bytes.Length);
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                {
                    double v = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * (4 * i + j)));
                    int r = 4 * c.Row + i, col = 4 * c.Col + j;
                    if (r < 10 && col < 7) Assert.Equal(k[r, col], v);
                    else Assert.True(double.IsNaN(v));
                }
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
                File.ReadAllText(dir.File($"K.zarr/checksums/{c.Row}.{c.Col}.sha256")).Trim());
        }
    }

    [SkippableTheory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void PythonZarrOpensTheStoreAsIs(Precision dtype)
    {
        string? py = null;
        foreach (var p in new[] { "/usr/bin/python3", "python3" })
            try
            {
                if (Python.Run(p, "import zarr, numpy; print('ok')", "", out var o) && o.Trim() == "ok") { py = p; break; }
            }
            catch (System.ComponentModel.Win32Exception) { }
        Skip.If(py is null, "python3 with zarr is not installed (pip install zarr, or apt-get install python3-zarr); the check that python's zarr opens a store is skipped.");
        using var dir = new TempDir();
        var x = Inputs(13, 12);
        Run(dir.File("K.zarr"), Ntk, x, null, 5, dtype: dtype);
        // Python must read exactly what Tangent wrote (Tangent's own reader gives the reference; the store's
        // agreement with the in-memory kernel is the business of the other tests).
        var k = KernelStore.Open(dir.File("K.zarr")).ReadAll();
        Assert.True(k.MaxAbsDifference(Ntk.Compute(x, null, ComputeOptions.Default)) < (dtype == Precision.Float32 ? 1e-6 : 1e-12) * k.Data.Max(Math.Abs));
        string script = $"import zarr, numpy as np\na = zarr.open({JsonSerializer.Serialize(dir.File("K.zarr"))}, mode='r')[:]\nprint(a.dtype, a.shape[0], a.shape[1], ' '.join(repr(float(v)) for v in np.asarray(a).ravel()))\n";
        Assert.True(Python.Run(py!, script, "", out var output), output);
        var parts = output.Trim().Split(' ');
        Assert.Equal([KernelStore.DtypeName(dtype), "13", "13"], parts[..3]);
        var values = parts[3..].Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        DataTestHelpers.BitwiseEqual(k, new Matrix(13, 13, values));
    }

    [Theory]
    [InlineData("0/3", 0, 3)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 0 / 1 ", 0, 1)]
    public void ShardParsesIOfN(string text, int i, int n) => Assert.Equal(new StoreShard(i, n), StoreShard.Parse(text));

    [Theory]
    [InlineData("3/3")]
    [InlineData("1/0")]
    [InlineData("-1/3")]
    [InlineData("1")]
    [InlineData("a/b")]
    public void ShardRefusesWhatIsNotIOfN(string text)
    {
        var e = Assert.Throws<FormatException>(() => StoreShard.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void ChunkSizeShrinksToFitTheMemoryBudget()
    {
        Assert.Equal(KernelStore.DefaultChunkSize, KernelStore.ChooseChunkSize(null));
        int c = KernelStore.ChooseChunkSize(8L << 20);
        Assert.True(KernelStore.InFlightBytes(c) <= 4L << 20);
        Assert.True(KernelStore.InFlightBytes(2 * c) > 4L << 20);
        Assert.Equal(16, KernelStore.ChooseChunkSize(1));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }
}
