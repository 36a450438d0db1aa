using System.Buffers.Binary;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST: big-endian, magic 0x00 0x00 type rank,
/// then the axis lengths, then the values), gzipped when the name ends in <c>.gz</c>.
/// </summary>
public static class IdxFile
{
    /// <summary>
    /// Reads an IDX array: its shape and its values as a matrix with a row per entry of the first
    /// axis (the rest flattened in C order; a 1-D array is n×1).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="limit">Read at most this many entries of the first axis (default all).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">
    /// The file is not an IDX file; its shape overflows; its length is not exactly the header plus the
    /// data the shape gives (a gzipped file: it ends early or goes on after the data); or a float value is not finite.
    /// </exception>
    public static (int[] Shape, Matrix Values) Read(string path, int? limit = null)
    {
        using var s = DataStreams.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        DataStreams.ReadExactly(s, head, path, "the IDX magic number");
        if (head[0] != 0 || head[1] != 0)
            throw new DataFormatException(path,
                "this is not an IDX file (it must start with two zero bytes). MNIST files are named like 'train-images-idx3-ubyte' (or .gz); check that it was not decompressed twice or saved as text.");
        int type = head[2], rank = head[3];
        int size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        if (size == 0)
            throw new DataFormatException(path, $"IDX type code 0x{type:X2} is unknown (known: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double). The file is corrupt or not IDX.");
        if (rank == 0)
            throw new DataFormatException(path, "the IDX file has rank 0 (no axes). Expected idx1 labels or idx3 images.");
        var shape = new int[rank];
        Span<byte> dim = stackalloc byte[4];
        for (int k = 0; k < rank; k++)
        {
            DataStreams.ReadExactly(s, dim, path, $"the length of axis {k}");
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dim);
            if (d > int.MaxValue)
                throw new DataFormatException(path, $"axis {k} has length {d}, more than this reader supports ({int.MaxValue}); the file is corrupt.");
            shape[k] = (int)d;
        }
        // Checked sizes: the product of the non-zero axes times the value size must not overflow
        // (so no shape can wrap around to a small count), then the counts must fit one array.
        long nonZero = 1;
        bool empty = false;
        foreach (int d in shape)
        {
            if (d == 0) { empty = true; continue; }
            if (nonZero > long.MaxValue / d / size)
                throw new DataFormatException(path, $"the IDX shape {Npy.FormatShape(shape)} overflows 64-bit arithmetic; the file is corrupt.");
            nonZero *= d;
        }
        long total = empty ? 0 : nonZero, rest = 1;
        for (int k = 1; k < rank; k++) rest *= shape[k];   // ≤ nonZero or 0: no overflow
        long headerBytes = 4 + 4L * rank, dataBytes = total * size;
        long? fileLength = DataStreams.IsGzip(path) ? null : s.Length;
        if (fileLength is long len && len != headerBytes + dataBytes)
            throw new DataFormatException(path,
                $"the header gives a {Npy.FormatShape(shape)} array of {size}-byte values, so the file should have {headerBytes + dataBytes} bytes ({headerBytes} of header, {dataBytes} of data), but it has {len}. " +
                (len < headerBytes + dataBytes ? "The file is truncated; download it again." : "The header is wrong or data was appended; download the file again."));
        if (DataStreams.GzipBound(path) is long bound && dataBytes > bound)
            throw new DataFormatException(path,
                $"the header gives a {Npy.FormatShape(shape)} array ({dataBytes} bytes), more than this gzipped file can hold (at most {bound} bytes uncompressed); the file is corrupt.");
        int n = limit is int l ? Math.Min(Math.Max(l, 0), shape[0]) : shape[0];
        if (rest > Array.MaxLength || n * rest > Array.MaxLength)
            throw new DataFormatException(path, $"{n} records of {rest} values do not fit one .NET array; read fewer with a limit.");
        MemoryGuard.Require(8 * n * rest, $"Reading {n} records of {rest} values from '{path}' as doubles", "read fewer records with a limit");
        var m = new Matrix(n, (int)rest);
        var data = m.Data;
        const int Chunk = 1 << 16;
        var buf = new byte[Chunk * size];
        for (int start = 0; start < data.Length; start += Chunk)
        {
            int c = Math.Min(Chunk, data.Length - start);
            var b = buf.AsSpan(0, c * size);
            DataStreams.ReadExactly(s, b, path, $"values {start}..{start + c - 1} of the {Npy.FormatShape(shape)} array");
            Decode(b, data.AsSpan(start, c), type);
        }
        if (fileLength is null && n == shape[0] && DataStreams.CountRemaining(s) is > 0 and var extra)
            throw new DataFormatException(path,
                $"the header gives a {Npy.FormatShape(shape)} array of {dataBytes} bytes but the file holds {extra} more bytes after it. The header is wrong or data was appended; download the file again.");
        shape[0] = n;
        if (type is 0x0D or 0x0E) DataValidation.RequireFinite(m, path);   // integer types are always finite
        return (shape, m);
    }

    /// <summary>Converts big-endian IDX values to doubles; one loop per type keeps the byte case fast.</summary>
    private static void Decode(ReadOnlySpan<byte> b, Span<double> dst, int type)
    {
        switch (type)
        {
            case 0x08:
                for (int i = 0; i < dst.Length; i++) dst[i] = b[i];
                break;
            case 0x09:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)b[i];
                break;
            case 0x0B:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(b[(2 * i)..]);
                break;
            case 0x0C:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32BigEndian(b[(4 * i)..]);
                break;
            case 0x0D:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleBigEndian(b[(4 * i)..]);
                break;
            default:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadDoubleBigEndian(b[(8 * i)..]);
                break;
        }
    }
}

/// <summary>Reads MNIST-style image sets (MNIST, Fashion-MNIST) from a pair of IDX files.</summary>
public static class Mnist
{
    /// <summary>The Fashion-MNIST class names (labels 0..9).</summary>
    public static IReadOnlyList<string> FashionClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Reads images (idx3, n×H×W bytes) and labels (idx1, n bytes) into an <see cref="ImageSet"/>
    /// with C = 1 and pixels scaled to [0, 1] (divided by 255).
    /// </summary>
    /// <param name="imagesPath">e.g. <c>train-images-idx3-ubyte</c> or <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">e.g. <c>train-labels-idx1-ubyte</c>.</param>
    /// <param name="limit">Read only the first this many images (default all).</param>
    /// <param name="classNames">Optional class names (default "0".."9"; <see cref="FashionClassNames"/> for Fashion-MNIST).</param>
    /// <exception cref="DataFormatException">A file is malformed or not of the expected rank, the counts differ, or a label is not a class index.</exception>
    public static ImageSet Read(string imagesPath, string labelsPath, int? limit = null, IReadOnlyList<string>? classNames = null)
    {
        var (ishape, pixels) = IdxFile.Read(imagesPath, limit);
        if (ishape.Length != 3)
            throw new DataFormatException(imagesPath,
                $"expected an idx3 image file (n, height, width) but the file has {ishape.Length} axes {Npy.FormatShape(ishape)}. Did you swap the images and labels paths?");
        var (lshape, lab) = IdxFile.Read(labelsPath, limit);
        if (lshape.Length != 1)
            throw new DataFormatException(labelsPath,
                $"expected an idx1 label file (n) but the file has {lshape.Length} axes {Npy.FormatShape(lshape)}. Did you swap the images and labels paths?");
        if (lshape[0] != ishape[0])
            throw new DataFormatException(labelsPath,
                $"{lshape[0]} labels for {ishape[0]} images in '{imagesPath}'. Use the labels file that belongs to the images file (train with train, t10k with t10k).");
        foreach (ref double v in pixels.Data.AsSpan()) v /= 255.0;
        var labels = new int[lab.Rows];
        for (int i = 0; i < labels.Length; i++)
        {
            double v = lab.Data[i];
            if (v < 0 || v != Math.Floor(v) || v > int.MaxValue)
                throw new DataFormatException(labelsPath, i + 1, 1,
                    $"the label {DataValidation.FormatValue(v)} is not a class index (a non-negative integer). Use the labels file that belongs to the images file.");
            labels[i] = (int)v;
        }
        if (classNames is not null && labels.Length > 0 && labels.Max() >= classNames.Count)
            throw new DataFormatException(labelsPath, $"label {labels.Max()} has no name among the {classNames.Count} class names given.");
        classNames ??= Enumerable.Range(0, 10).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new ImageSet(ishape[1], ishape[2], 1, pixels, labels, classNames);
    }
}

/// <summary>
/// Reads the CIFAR-10 binary version (<c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c>,
/// <c>test_batch.bin</c>): records of one label byte and 3072 pixel bytes, stored channel-major
/// (1024 red, 1024 green, 1024 blue, each 32×32 row-major). Images come back in H, W, C order,
/// scaled to [0, 1].
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: 1 label + 3·32·32 pixels.</summary>
    public const int RecordSize = 1 + 3 * 32 * 32;

    /// <summary>The CIFAR-10 class names (labels 0..9).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Reads one or more batch files, concatenated in the order given.</summary>
    /// <param name="paths">The batch files (<c>.bin</c>, or <c>.bin.gz</c>).</param>
    /// <param name="limit">Read at most this many images in total (default all).</param>
    /// <exception cref="DataFormatException">A file is not a whole number of records, or a label is above 9.</exception>
    public static ImageSet Read(IReadOnlyList<string> paths, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) throw new ArgumentException("Give at least one CIFAR-10 batch file.", nameof(paths));
        int max = limit is int l ? Math.Max(l, 0) : int.MaxValue;
        // Uncompressed batches give the exact record count up front; gzipped ones grow the buffer.
        long estimate = 0;
        foreach (string path in paths)
            estimate += !DataStreams.IsGzip(path) && File.Exists(path) ? new FileInfo(path).Length / RecordSize : 10000;
        int capacity = (int)Math.Min(Math.Min(estimate, max), Array.MaxLength / 3072);
        var px = new double[(long)capacity * 3072];
        var labels = new List<int>(capacity);
        var rec = new byte[RecordSize];
        foreach (string path in paths)
        {
            if (labels.Count >= max) break;
            using var s = DataStreams.OpenRead(path);
            if (!DataStreams.IsGzip(path) && s.Length % RecordSize != 0)
                throw new DataFormatException(path,
                    $"the file has {s.Length} bytes, which is not a whole number of {RecordSize}-byte records ({s.Length / RecordSize} records and {s.Length % RecordSize} bytes over). A CIFAR-10 batch has 10000 records; the file is truncated, or it is the CIFAR-100 or Python version.");
            int index = 0;
            while (labels.Count < max)
            {
                int got = ReadUpTo(s, rec);
                if (got == 0) break;
                if (got < RecordSize)
                    throw new DataFormatException(path, index + 1, null,
                        $"the file ends inside record {index + 1}: it has {got} of {RecordSize} bytes. A CIFAR-10 batch is a whole number of {RecordSize}-byte records (10000 per file); the file is truncated, or it is the CIFAR-100 or Python version.");
                if (rec[0] > 9)
                    throw new DataFormatException(path, index + 1, 1,
                        $"label byte {rec[0]} is not a CIFAR-10 class (0..9). This may be a CIFAR-100 file (2 label bytes per record), which this reader does not read.");
                int i = labels.Count;
                if ((long)(i + 1) * 3072 > px.LongLength)
                {
                    long grown = Math.Min(Math.Max(2L * px.LongLength, 3072L * 16), (long)(Array.MaxLength / 3072) * 3072);
                    if (grown <= px.LongLength)
                        throw new DataFormatException(path, $"more than {i} images do not fit one .NET array; read fewer with a limit.");
                    Array.Resize(ref px, (int)grown);
                }
                // Channel-major (c, h, w) on disk -> (h, w, c) in memory.
                long o = (long)i * 3072;
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < 1024; p++)
                        px[o + p * 3 + c] = rec[1 + c * 1024 + p] / 255.0;
                labels.Add(rec[0]);
                index++;
            }
        }
        if (px.LongLength != (long)labels.Count * 3072) Array.Resize(ref px, labels.Count * 3072);
        var m = new Matrix(labels.Count, 3072, px);
        return new ImageSet(32, 32, 3, m, labels.ToArray(), ClassNames);
    }

    /// <summary>Reads one batch file.</summary>
    public static ImageSet Read(string path, int? limit = null) => Read([path], limit);

    /// <summary>
    /// Reads the extracted <c>cifar-10-batches-bin</c> directory: the five training batches and the test batch.
    /// </summary>
    /// <param name="directory">The folder holding <c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c> and <c>test_batch.bin</c>.</param>
    /// <param name="trainLimit">Read at most this many training images.</param>
    /// <param name="testLimit">Read at most this many test images.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static (ImageSet Train, ImageSet Test) ReadDirectory(string directory, int? trainLimit = null, int? testLimit = null)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"The CIFAR-10 folder '{directory}' does not exist. Extract cifar-10-binary.tar.gz and give the 'cifar-10-batches-bin' folder.");
        var train = Enumerable.Range(1, 5).Select(i => Path.Combine(directory, $"data_batch_{i}.bin")).ToArray();
        return (Read(train, trainLimit), Read(Path.Combine(directory, "test_batch.bin"), testLimit));
    }

    private static int ReadUpTo(Stream s, byte[] buf)
    {
        int total = 0;
        while (total < buf.Length)
        {
            int r = s.Read(buf, total, buf.Length - total);
            if (r == 0) break;
            total += r;
        }
        return total;
    }
}
