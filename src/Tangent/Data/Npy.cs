using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; see the NumPy
/// "NEP 1" format description). Reads float64/float32/float16, signed and unsigned integers and
/// booleans in either byte order, C or Fortran order, up to <see cref="MaxRank"/> axes; writes
/// float64 or float32 in C order, little-endian, atomically. Names ending in <c>.gz</c> are gzipped.
/// Reading checks every header field as NumPy does (exact keys, a tuple of non-negative axes,
/// sizes in checked 64-bit arithmetic), requires a file's data to be exactly the size the header
/// gives, and refuses NaN and ±infinity unless asked not to (docs/DATA.md, "Validation").
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The most axes an array may have (NumPy 2's limit; NumPy 1 allowed 32).</summary>
    public const int MaxRank = 64;

    /// <summary>Reads a <c>.npy</c> file with its shape.</summary>
    /// <param name="path">The file (<c>.npy</c> or <c>.npy.gz</c>).</param>
    /// <param name="allowNonFinite">Accept NaN and ±infinity (default false: they are refused, naming the entry, see <see cref="DataValidation.RequireFinite"/>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">
    /// The file is not a valid numeric <c>.npy</c> file: a malformed header, a shape whose size overflows,
    /// data that is not exactly the size the header gives, or (unless allowed) a value that is not finite.
    /// </exception>
    /// <exception cref="InsufficientMemoryException">The values, as doubles, do not fit in the memory available (<see cref="MemoryGuard"/>).</exception>
    public static NpyArray Read(string path, bool allowNonFinite = false)
    {
        using var s = DataStreams.OpenRead(path);
        return Read(s, path, allowNonFinite, wholeFile: true, DataStreams.GzipBound(path));
    }

    /// <summary>Reads a <c>.npy</c> file as a matrix (1-D: n×1; N-D: n×(product of the other axes)).</summary>
    /// <inheritdoc cref="Read(string, bool)" path="/param"/>
    public static Matrix ReadMatrix(string path, bool allowNonFinite = false) => Read(path, allowNonFinite).Values;

    /// <summary>
    /// Reads a <c>.npy</c> array from a stream. Unlike a file, a stream may go on after the array
    /// (as with <c>numpy.load</c> on an open file holding several arrays).
    /// </summary>
    /// <param name="stream">The stream, positioned at the magic string.</param>
    /// <param name="source">A name for messages (usually the path).</param>
    /// <param name="allowNonFinite">Accept NaN and ±infinity (default false).</param>
    /// <exception cref="DataFormatException">The content is not a valid numeric <c>.npy</c> array.</exception>
    public static NpyArray Read(Stream stream, string source, bool allowNonFinite = false) =>
        Read(stream, source, allowNonFinite, wholeFile: false, maxPayload: null);

    private static NpyArray Read(Stream stream, string source, bool allowNonFinite, bool wholeFile, long? maxPayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        source ??= "<stream>";
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
            if (len > MaxHeaderLength)
                throw new DataFormatException(source, $"the .npy header claims {len} bytes, more than any NumPy header needs ({MaxHeaderLength}). The file is corrupt.");
            headerLen = (int)len;
        }
        else
        {
            throw new DataFormatException(source,
                $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are). Save it again with numpy.save from a current NumPy.");
        }
        if (stream.CanSeek && headerLen > stream.Length - stream.Position)
            throw new DataFormatException(source,
                $"the .npy header claims {headerLen} bytes but only {Math.Max(0, stream.Length - stream.Position)} follow. The file is truncated or corrupt; save it again with numpy.save.");
        var hb = new byte[headerLen];
        DataStreams.ReadExactly(stream, hb, source, "the .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);
        var (descr, fortran, shape) = new HeaderParser(header, source).Parse();
        var (type, size, bigEndian) = ParseDescr(descr, source);

        // Checked sizes, as NumPy checks them: the product of the non-zero axes times the item size
        // must not overflow (so a shape cannot wrap around to a small count), then each count must fit.
        long nonZero = 1;
        bool empty = false;
        foreach (int d in shape)
        {
            if (d == 0) { empty = true; continue; }
            if (nonZero > long.MaxValue / d / size)
                throw new DataFormatException(source,
                    $"the shape {FormatShape(shape)} of {TypeName(type)} values overflows 64-bit arithmetic ({size} bytes per value). NumPy refuses such a header too: the file is corrupt.");
            nonZero *= d;
        }
        long count = empty ? 0 : nonZero;
        if (count > Array.MaxLength)
            throw new DataFormatException(source, $"the array {FormatShape(shape)} has {count} entries, more than one .NET array holds ({Array.MaxLength}). Split it into smaller files.");
        int rows = shape.Length == 0 ? 1 : shape[0];
        long rest = 1;
        for (int i = 1; i < shape.Length; i++) rest *= shape[i];   // ≤ nonZero or 0: no overflow
        if (rest > Array.MaxLength)
            throw new DataFormatException(source, $"the array {FormatShape(shape)} has {rest} entries per row, more than one .NET array holds. Reshape it.");
        long need = count * size;
        if (stream.CanSeek)
        {
            long remaining = Math.Max(0, stream.Length - stream.Position);
            if (remaining < need || (wholeFile && remaining != need))
                throw WrongLength(source, shape, type, need, remaining);
        }
        else if (maxPayload is long max && need > max)
            throw new DataFormatException(source,
                $"the header gives a {FormatShape(shape)} array of {TypeName(type)} ({need} bytes), more than this gzipped file can hold (at most {max} bytes uncompressed). The file is corrupt; save it again with numpy.save.");

        bool reorder = fortran && shape.Length > 1;
        MemoryGuard.Require(count * 8 * (reorder ? 2 : 1), $"Reading the {FormatShape(shape)} {TypeName(type)} array of '{source}' as doubles",
            "read a smaller array (split the file)");
        var data = new double[count];
        ReadValues(stream, data, type, size, bigEndian, source, shape, need);
        if (wholeFile && !stream.CanSeek && DataStreams.CountRemaining(stream) is > 0 and var extra)
            throw WrongLength(source, shape, type, need, need + extra);
        if (reorder) data = FortranToC(data, shape);
        var values = new Matrix(rows, (int)rest, data);
        if (!allowNonFinite) DataValidation.RequireFinite(values, source, shape);
        return new NpyArray(shape, values, type);
    }

    /// <summary>Header lengths above this are refused as corrupt (NumPy itself refuses headers above 10,000 bytes unless told otherwise).</summary>
    private const int MaxHeaderLength = 1 << 24;

    private static DataFormatException WrongLength(string source, int[] shape, NpyElementType type, long expected, long actual) =>
        new(source, actual < expected
            ? $"the file ends early: the header gives a {FormatShape(shape)} array of {TypeName(type)}, which needs {expected} bytes of data, but the file has {actual}. The file is truncated; save it again with numpy.save."
            : $"the header gives a {FormatShape(shape)} array of {TypeName(type)}, which needs exactly {expected} bytes of data, but the file has {actual}. {actual - expected} bytes more than the header describes: the header's shape or dtype is wrong, or data was appended, so Tangent does not guess which values are meant; save it again with numpy.save.");

    private static string TypeName(NpyElementType type) => type.ToString().ToLowerInvariant();

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

    private static void ReadValues(Stream s, double[] data, NpyElementType type, int size, bool bigEndian, string source, int[] shape, long need)
    {
        if (type == NpyElementType.Float64 && !bigEndian && BitConverter.IsLittleEndian)
        {
            ReadData(s, MemoryMarshal.AsBytes(data.AsSpan()), 0, source, shape, type, need);
            return;
        }
        const int Chunk = 1 << 16;
        var buf = new byte[Chunk * size];
        for (int start = 0; start < data.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, data.Length - start);
            var b = buf.AsSpan(0, n * size);
            ReadData(s, b, (long)start * size, source, shape, type, need);
            var dst = data.AsSpan(start, n);
            for (int i = 0; i < n; i++)
                dst[i] = Decode(b.Slice(i * size, size), type, bigEndian);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> (data bytes from offset <paramref name="done"/> on) or reports the data length.</summary>
    private static void ReadData(Stream s, Span<byte> buffer, long done, string source, int[] shape, NpyElementType type, long need)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0) throw WrongLength(source, shape, type, need, done + total);
            total += r;
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

    /// <summary>
    /// Parses the header: a Python dict literal with exactly the keys 'descr' (a dtype string),
    /// 'fortran_order' (True or False) and 'shape' (a tuple of non-negative integers), as NumPy's
    /// reader requires; anything else is a <see cref="DataFormatException"/> naming what is wrong.
    /// </summary>
    private sealed class HeaderParser(string header, string source)
    {
        private readonly string _h = header;
        private int _p;

        public (string Descr, bool Fortran, int[] Shape) Parse()
        {
            string? descr = null;
            bool? fortran = null;
            int[]? shape = null;
            Skip();
            Expect('{', "it is not a Python dict");
            while (true)
            {
                Skip();
                if (Peek() == '}') { _p++; break; }
                string key = String("a quoted key");
                Skip();
                Expect(':', $"no ':' after the key '{key}'");
                Skip();
                switch (key)
                {
                    case "descr":
                        if (descr is not null) throw Bad("the key 'descr' appears twice");
                        if (Peek() is '[' or '{')
                            throw new DataFormatException(source,
                                "the array has a structured (record) dtype. Only plain numeric arrays are supported; save each field as its own array.");
                        descr = String("'descr' is not a quoted dtype string");
                        break;
                    case "fortran_order":
                        if (fortran is not null) throw Bad("the key 'fortran_order' appears twice");
                        if (Word("True")) fortran = true;
                        else if (Word("False")) fortran = false;
                        else throw Bad("'fortran_order' is neither True nor False");
                        break;
                    case "shape":
                        if (shape is not null) throw Bad("the key 'shape' appears twice");
                        shape = Shape();
                        break;
                    default:
                        throw Bad($"the key '{key}' is not one of 'descr', 'fortran_order', 'shape'");
                }
                Skip();
                if (Peek() == ',') { _p++; continue; }
                Skip();
                Expect('}', "entries are not separated by ','");
                break;
            }
            Skip();
            if (_p < _h.Length) throw Bad("there is text after the closing '}'");
            if (descr is null || fortran is null || shape is null)
                throw Bad($"the key '{(descr is null ? "descr" : fortran is null ? "fortran_order" : "shape")}' is missing");
            return (descr, fortran.Value, shape);
        }

        private int[] Shape()
        {
            Expect('(', "'shape' is not a tuple");
            var dims = new List<int>();
            bool comma = false;
            while (true)
            {
                Skip();
                if (Peek() == ')') { _p++; break; }
                if (dims.Count > 0 && !comma) throw Bad("'shape' entries are not separated by ','");
                dims.Add(Dimension(dims.Count));
                if (dims.Count > MaxRank)
                    throw new DataFormatException(source, $"the shape has more than {MaxRank} axes (NumPy's limit). The file is corrupt.");
                Skip();
                comma = Peek() == ',';
                if (comma) _p++;
            }
            // Python: (5) is the integer 5, not a tuple; NumPy refuses it as a shape.
            if (dims.Count == 1 && !comma) throw Bad("'shape' (n) is not a tuple; a 1-D shape is written (n,)");
            return dims.ToArray();
        }

        private int Dimension(int axis)
        {
            int start = _p;
            if (Peek() == '-')
                throw new DataFormatException(source, $"axis {axis} of 'shape' has a negative length. The file is corrupt; save it again with numpy.save.");
            while (_p < _h.Length && char.IsAsciiDigit(_h[_p])) _p++;
            if (_p == start) throw Bad($"shape entry {axis} is not a non-negative integer");
            string digits = _h[start.._p];
            if (Peek() == 'L') _p++;   // Python 2 long literals, as old NumPy wrote them
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
                throw new DataFormatException(source,
                    $"axis {axis} has length {Shorten(digits)}, more than this reader supports ({int.MaxValue}). The file is corrupt, or split the array.");
            return v;
        }

        private string String(string what)
        {
            char q = Peek();
            if (q is not ('\'' or '"')) throw Bad(what);
            int end = _h.IndexOf(q, _p + 1);
            if (end < 0) throw Bad("a string is not terminated");
            string s = _h[(_p + 1)..end];
            _p = end + 1;
            return s;
        }

        private bool Word(string w)
        {
            if (string.CompareOrdinal(_h, _p, w, 0, w.Length) != 0) return false;
            int after = _p + w.Length;
            if (after < _h.Length && (char.IsAsciiLetterOrDigit(_h[after]) || _h[after] == '_')) return false;
            _p = after;
            return true;
        }

        private void Expect(char c, string what)
        {
            if (Peek() != c) throw Bad(what);
            _p++;
        }

        private char Peek() => _p < _h.Length ? _h[_p] : '\0';

        private void Skip()
        {
            while (_p < _h.Length && char.IsWhiteSpace(_h[_p])) _p++;
        }

        private DataFormatException Bad(string what) => new(source,
            $"the .npy header is not understood ({what}): {Shorten(_h.Trim())}. Save the array with numpy.save.");
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
        WriteHeader(stream, shp, elementType);
        WriteValues(stream, matrix.Data, elementType);
    }

    /// <summary>The header of a C-order float64/float32 array of <paramref name="shape"/> (version 1, or 2 when it is long; data 64-byte aligned).</summary>
    internal static void WriteHeader(Stream stream, int[] shape, NpyElementType elementType)
    {
        string descr = elementType == NpyElementType.Float64 ? "<f8" : "<f4";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {FormatShape(shape)}, }}";
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
    }

    /// <summary>The values, little-endian float64 (copied as they are on a little-endian machine) or float32, in chunks.</summary>
    internal static void WriteValues(Stream stream, double[] values, NpyElementType elementType)
    {
        if (elementType == NpyElementType.Float64 && BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        const int Chunk = 1 << 16;
        var buf = new byte[Chunk * (elementType == NpyElementType.Float64 ? 8 : 4)];
        for (int start = 0; start < values.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, values.Length - start);
            var src = values.AsSpan(start, n);
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
