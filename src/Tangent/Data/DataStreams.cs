using System.IO.Compression;

namespace Tangent.Data;

/// <summary>Opens data files for reading and writing, with transparent gzip for names ending in <c>.gz</c>.</summary>
internal static class DataStreams
{
    /// <summary>True when the path names a gzip file (<c>.gz</c>, any case).</summary>
    public static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The path without a trailing <c>.gz</c>.</summary>
    public static string WithoutGz(string path) => IsGzip(path) ? path[..^3] : path;

    /// <summary>Opens a file for reading (decompressing <c>.gz</c>), with a clear error when it is missing.</summary>
    public static Stream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
            throw new DataFormatException(path, "this is a directory, not a file. Give the path of a data file.");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Data file '{path}' does not exist (full path '{Path.GetFullPath(path)}'). Check the path and the working directory.", path);
        Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (IsGzip(path)) s = new NamedGzipStream(new GZipStream(s, CompressionMode.Decompress), path);
        return s;
    }

    /// <summary>
    /// The largest ratio of uncompressed to compressed size that deflate can reach (about 1032:1),
    /// so a gzipped file whose header claims more data than this allows is corrupt.
    /// </summary>
    public const long MaxDeflateRatio = 1032;

    /// <summary>
    /// For a gzipped file, the most bytes it can decompress to (<see cref="MaxDeflateRatio"/> times
    /// its size, plus slack); null for a plain file or when the size cannot be read.
    /// </summary>
    public static long? GzipBound(string path)
    {
        if (!IsGzip(path)) return null;
        try
        {
            long length = new FileInfo(path).Length;
            return length > long.MaxValue / MaxDeflateRatio - 1024 ? long.MaxValue : length * MaxDeflateRatio + 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads to the end of the stream and returns how many bytes were left (0 when it was at its end);
    /// used to refuse files with data after the last expected byte.
    /// </summary>
    public static long CountRemaining(Stream s)
    {
        if (s.CanSeek) return Math.Max(0, s.Length - s.Position);
        var buf = new byte[1 << 16];
        long total = 0;
        int r;
        while ((r = s.Read(buf, 0, buf.Length)) > 0) total += r;
        return total;
    }

    /// <summary>Writes a file atomically (<see cref="AtomicFile"/>), compressing it when the name ends in <c>.gz</c>.</summary>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        if (!IsGzip(path))
        {
            AtomicFile.Write(path, write);
            return;
        }
        AtomicFile.Write(path, s =>
        {
            using var gz = new GZipStream(s, CompressionLevel.Optimal, leaveOpen: true);
            write(gz);
        });
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or reports how many were missing.</summary>
    public static void ReadExactly(Stream s, Span<byte> buffer, string path, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0)
                throw new DataFormatException(path,
                    $"the file ends early: {what} needs {buffer.Length} more bytes but only {total} were there. The file is truncated or not of this format; download or write it again.");
            total += r;
        }
    }
}

/// <summary>A decompressing stream that turns the runtime's gzip errors into a <see cref="DataFormatException"/> naming the file.</summary>
internal sealed class NamedGzipStream(Stream inner, string path) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try { return inner.Read(buffer); }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"the file is named .gz but is not valid gzip data ({e.Message.TrimEnd('.')}). Decompress or re-download it, or drop the .gz from its name if it is not compressed.");
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
