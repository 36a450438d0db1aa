using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; see the NumPy
/// "NEP 1" format description). Reads float64/float32/float16, signed and unsigned integers and
/// booleans in either byte order, C or Fortran order, any rank; writes float64 or float32 in C
/// order, little-endian, atomically. Names ending in <c>.gz</c> are gzipped.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a <c>.npy</c> file with its shape.</summary>
    /// <param name="path">The file (<c>.npy</c> or <c>.npy.gz</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not a valid numeric <c>.npy</c> file.</exception>
    public static NpyArray Read(string path)
    {
        using var s = DataStreams.OpenRead(path);
        return Read(s, path);
    }

    /// <summary>Reads a <c>.npy</c> file as a matrix (1-D: n×1; N-D: n×(product of the other axes)).</summary>
    /// <inheritdoc cref="Read(string)" path="/param"/>
    public static Matrix ReadMatrix(string path) => Read(path).Values;

    /// <summary>Reads a <c>.npy</c> array from a stream.</summary>
    /// <param name="stream">The stream, positioned at the magic string.</param>
    /// <param name="source">A name for messages (usually the path).</param>
    /// <exception cref="DataFormatException">The content is not a valid numeric <c>.npy</c> array.</exception>
    public static NpyArray Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> pre = stackalloc byte[8];
        DataStreams.ReadExactly(stream, pre, source, "the .npy preamble");
        if (!pre[..6].SequenceEqual(Magic))
            throw new DataFormatException(source,
                "this is not a NumPy .npy file (it does not start with \\x93NUMPY). Save arrays with numpy.save, or use a .csv file.");
        int major = pre[6], minor = pre[7];
        int headerLen;
        if (major == 1)
        {
            Span<byte> l = stackalloc byte[2];
            DataStreams.ReadExactly(stream, l, source, "the header length");
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(l);
        }
        else if (major is 2 or 3)
        {
            Span<byte> l = stackalloc byte[4];
            DataStreams.ReadExactly(stream, l, source, "the header length");
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(l);
            if (len > 1 << 24)
                throw new DataFormatException(source, $"the .npy header claims {len} bytes, which is not plausible. The file is corrupt.");
            headerLen = (int)len;
        }
        else
        {
            throw new DataFormatException(source,
                $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are). Save it again with numpy.save from a current NumPy.");
        }
        var hb = new byte[headerLen];
        DataStreams.ReadExactly(stream, hb, source, "the .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);
        var (descr, fortran, shape) = ParseHeader(header, source);
        var (type, size, bigEndian) = ParseDescr(descr, source);

        long count = 1;
        foreach (int d in shape) count *= d;
        if (count > Array.MaxLength)
            throw new DataFormatException(source, $"the array {FormatShape(shape)} has {count} entries, more than one .NET array holds ({Array.MaxLength}). Split it into smaller files.");
        int rows = shape.Length == 0 ? 1 : shape[0];
        long rest = shape.Length <= 1 ? 1 : Product(shape, 1);
        if (rest > Array.MaxLength)
            throw new DataFormatException(source, $"the array {FormatShape(shape)} has {rest} entries per row, more than one .NET array holds. Reshape it.");
        int cols = (int)rest;
        var data = new double[count];
        ReadValues(stream, data, type, size, bigEndian, source);
        if (fortran && shape.Length > 1) data = FortranToC(data, shape);
        return new NpyArray(shape, new Matrix(rows, cols, data), type);
    }

    private static long Product(int[] shape, int from)
    {
        long p = 1;
        for (int i = from; i < shape.Length; i++) p *= shape[i];
        return p;
    }

    /// <summary>Reorders Fortran-order (column-major) data of the given shape into C order (row-major).</summary>
    internal static double[] FortranToC(double[] f, int[] shape)
    {
        int r = shape.Length;
        var c = new double[f.Length];
        if (f.Length == 0) return c;
        // Fortran strides: stride[k] = prod(shape[0..k-1]). Walk C order with an odometer.
        var fStride = new long[r];
        fStride[0] = 1;
        for (int k = 1; k < r; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
        var idx = new int[r];
        long off = 0;
        for (long ci = 0; ci < c.LongLength; ci++)
        {
            c[ci] = f[off];
            for (int k = r - 1; k >= 0; k--)
            {
                idx[k]++;
                off += fStride[k];
                if (idx[k] < shape[k]) break;
                off -= fStride[k] * shape[k];
                idx[k] = 0;
            }
        }
        return c;
    }

    private static void ReadValues(Stream s, double[] data, NpyElementType type, int size, bool bigEndian, string source)
    {
        if (type == NpyElementType.Float64 && !bigEndian && BitConverter.IsLittleEndian)
        {
            DataStreams.ReadExactly(s, MemoryMarshal.AsBytes(data.AsSpan()), source, $"the array data ({data.Length} float64 values)");
            return;
        }
        const int Chunk = 1 << 16;
        var buf = new byte[Chunk * size];
        for (int start = 0; start < data.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, data.Length - start);
            var b = buf.AsSpan(0, n * size);
            DataStreams.ReadExactly(s, b, source, $"the array data (values {start}..{start + n - 1} of {data.Length})");
            var dst = data.AsSpan(start, n);
            for (int i = 0; i < n; i++)
                dst[i] = Decode(b.Slice(i * size, size), type, bigEndian);
        }
    }

    private static double Decode(ReadOnlySpan<byte> b, NpyElementType type, bool be) => type switch
    {
        NpyElementType.Float64 => be ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
        NpyElementType.Float32 => be ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
        NpyElementType.Float16 => (double)(be ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b)),
        NpyElementType.Int8 => (sbyte)b[0],
        NpyElementType.UInt8 => b[0],
        NpyElementType.Bool => b[0] != 0 ? 1.0 : 0.0,
        NpyElementType.Int16 => be ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
        NpyElementType.UInt16 => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
        NpyElementType.Int32 => be ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
        NpyElementType.UInt32 => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
        NpyElementType.Int64 => be ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
        NpyElementType.UInt64 => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
        _ => throw new InvalidOperationException(type.ToString()),
    };

    private static (NpyElementType Type, int Size, bool BigEndian) ParseDescr(string descr, string source)
    {
        if (descr.Length < 2)
            throw new DataFormatException(source, $"the dtype '{descr}' is not understood. Save a numeric array (e.g. arr.astype('float64')).");
        char order = descr[0];
        bool be = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        if (order is not ('<' or '>' or '|' or '='))
            throw new DataFormatException(source, $"the dtype '{descr}' has no byte-order mark. Save a numeric array (e.g. arr.astype('float64')).");
        (NpyElementType, int)? t = descr[1..] switch
        {
            "f8" => (NpyElementType.Float64, 8),
            "f4" => (NpyElementType.Float32, 4),
            "f2" => (NpyElementType.Float16, 2),
            "i1" => (NpyElementType.Int8, 1),
            "i2" => (NpyElementType.Int16, 2),
            "i4" => (NpyElementType.Int32, 4),
            "i8" => (NpyElementType.Int64, 8),
            "u1" => (NpyElementType.UInt8, 1),
            "u2" => (NpyElementType.UInt16, 2),
            "u4" => (NpyElementType.UInt32, 4),
            "u8" => (NpyElementType.UInt64, 8),
            "b1" => (NpyElementType.Bool, 1),
            _ => null,
        };
        if (t is null)
            throw new DataFormatException(source,
                $"the dtype '{descr}' is not supported (supported: float64, float32, float16, int8-64, uint8-64, bool). Convert it with arr.astype('float64') before numpy.save.");
        return (t.Value.Item1, t.Value.Item2, be);
    }

    private static (string Descr, bool Fortran, int[] Shape) ParseHeader(string header, string source)
    {
        string h = header.Trim();
        DataFormatException Bad(string what) => new(source,
            $"the .npy header is not understood ({what}): {Shorten(h)}. Save the array with numpy.save.");
        if (!h.StartsWith('{') || !h.EndsWith('}')) throw Bad("it is not a Python dict");
        int di = h.IndexOf("'descr'", StringComparison.Ordinal);
        int fi = h.IndexOf("'fortran_order'", StringComparison.Ordinal);
        int si = h.IndexOf("'shape'", StringComparison.Ordinal);
        if (di < 0 || fi < 0 || si < 0) throw Bad("a key 'descr', 'fortran_order' or 'shape' is missing");
        // descr: a quoted string; a list here means a structured dtype.
        int p = SkipToValue(h, di + 7);
        if (p >= h.Length || (h[p] != '\'' && h[p] != '"'))
            throw new DataFormatException(source,
                "the array has a structured (record) dtype. Only plain numeric arrays are supported; save each field as its own array.");
        int q = h.IndexOf(h[p], p + 1);
        if (q < 0) throw Bad("unterminated 'descr'");
        string descr = h[(p + 1)..q];
        p = SkipToValue(h, fi + 15);
        bool fortran;
        if (string.CompareOrdinal(h, p, "True", 0, 4) == 0) fortran = true;
        else if (string.CompareOrdinal(h, p, "False", 0, 5) == 0) fortran = false;
        else throw Bad("'fortran_order' is neither True nor False");
        p = SkipToValue(h, si + 7);
        if (p >= h.Length || h[p] != '(') throw Bad("'shape' is not a tuple");
        int e = h.IndexOf(')', p);
        if (e < 0) throw Bad("unterminated 'shape'");
        var parts = h[(p + 1)..e].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i].TrimEnd('L');
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                throw Bad($"shape entry '{parts[i]}' is not a non-negative integer");
            if (v > int.MaxValue)
                throw new DataFormatException(source, $"axis {i} has length {v}, more than this reader supports ({int.MaxValue}). Split the array.");
            shape[i] = (int)v;
        }
        return (descr, fortran, shape);
    }

    private static int SkipToValue(string h, int p)
    {
        while (p < h.Length && (h[p] == ' ' || h[p] == ':')) p++;
        return p;
    }

    private static string Shorten(string s) => s.Length > 120 ? s[..120] + "..." : s;

    /// <summary>Formats a shape as NumPy does: <c>()</c>, <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    public static string FormatShape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
    }

    /// <summary>
    /// Writes a matrix as a 2-D <c>.npy</c> array (C order, little-endian), atomically.
    /// </summary>
    /// <param name="path">The destination (<c>.npy</c>, or <c>.npy.gz</c> to gzip it).</param>
    /// <param name="matrix">The values.</param>
    /// <param name="elementType"><see cref="NpyElementType.Float64"/> (default, exact) or <see cref="NpyElementType.Float32"/> (rounded to nearest).</param>
    /// <param name="shape">
    /// Optional shape to store instead of (rows, cols), e.g. <c>[n]</c> for a vector or <c>[n, H, W, C]</c>
    /// for images; its product must equal the number of entries.
    /// </param>
    /// <exception cref="ArgumentException">The shape does not fit the matrix, or the element type is not writable.</exception>
    public static void Write(string path, Matrix matrix, NpyElementType elementType = NpyElementType.Float64, IReadOnlyList<int>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int[] shp = CheckWrite(matrix, elementType, shape);
        DataStreams.WriteAtomic(path, s => Write(s, matrix, elementType, shp));
    }

    /// <summary>Writes a matrix as a <c>.npy</c> array to a stream (see <see cref="Write(string, Matrix, NpyElementType, IReadOnlyList{int}?)"/>).</summary>
    /// <param name="stream">The destination stream.</param>
    /// <param name="matrix">The values.</param>
    /// <param name="elementType">Float64 or Float32.</param>
    /// <param name="shape">Optional shape (default (rows, cols)).</param>
    public static void Write(Stream stream, Matrix matrix, NpyElementType elementType = NpyElementType.Float64, IReadOnlyList<int>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(matrix);
        int[] shp = CheckWrite(matrix, elementType, shape);
        string descr = elementType == NpyElementType.Float64 ? "<f8" : "<f4";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {FormatShape(shp)}, }}";
        // Pad with spaces so that the data starts at a multiple of 64 bytes; the header ends in '\n'.
        int version = dict.Length + 1 + 10 + 63 <= ushort.MaxValue ? 1 : 2;
        int pre = version == 1 ? 10 : 12;
        int total = (pre + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - pre - 1) + "\n";
        var head = new byte[pre];
        Magic.CopyTo(head, 0);
        head[6] = (byte)version;
        head[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), (uint)header.Length);
        stream.Write(head);
        stream.Write(Encoding.Latin1.GetBytes(header));
        if (elementType == NpyElementType.Float64 && BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(matrix.Data.AsSpan()));
            return;
        }
        const int Chunk = 1 << 16;
        var buf = new byte[Chunk * (elementType == NpyElementType.Float64 ? 8 : 4)];
        for (int start = 0; start < matrix.Data.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, matrix.Data.Length - start);
            var src = matrix.Data.AsSpan(start, n);
            if (elementType == NpyElementType.Float64)
            {
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteDoubleLittleEndian(buf.AsSpan(i * 8), src[i]);
                stream.Write(buf, 0, n * 8);
            }
            else
            {
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(i * 4), (float)src[i]);
                stream.Write(buf, 0, n * 4);
            }
        }
    }

    private static int[] CheckWrite(Matrix matrix, NpyElementType elementType, IReadOnlyList<int>? shape)
    {
        if (elementType is not (NpyElementType.Float64 or NpyElementType.Float32))
            throw new ArgumentException($"Writing {elementType} is not supported; write Float64 (exact) or Float32.", nameof(elementType));
        if (shape is null) return [matrix.Rows, matrix.Cols];
        long p = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"The shape {FormatShape(shape)} has a negative axis.", nameof(shape));
            p *= d;
        }
        if (p != matrix.Data.Length)
            throw new ArgumentException(
                $"The shape {FormatShape(shape)} holds {p} values but the matrix {matrix.Shape} has {matrix.Data.Length}. Give a shape whose product is {matrix.Data.Length}.",
                nameof(shape));
        return shape.ToArray();
    }
}
