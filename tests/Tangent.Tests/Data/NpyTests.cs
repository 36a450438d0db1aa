using System.Buffers.Binary;
using System.Text;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class NpyTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 5)]
    [InlineData(0, 3)]
    public void Float642DRoundTripIsBitExact(int r, int c)
    {
        using var t = new TempDir();
        var m = DataTestHelpers.Random(r, c, 3);
        if (m.Data.Length > 0) m.Data[0] = -0.0;
        string p = t.File("m.npy");
        Npy.Write(p, m);
        var a = Npy.Read(p);
        Assert.Equal([r, c], a.Shape);
        Assert.Equal(NpyElementType.Float64, a.ElementType);
        DataTestHelpers.BitwiseEqual(m, a.Values);
        Assert.Equal(0, (File.ReadAllBytes(p).Length - (long)r * c * 8) % 64); // header padded to 64 bytes
    }

    [Fact]
    public void Float32RoundTripRoundsToNearestFloat()
    {
        using var t = new TempDir();
        var m = DataTestHelpers.Random(6, 7, 4);
        string p = t.File("m.npy");
        Npy.Write(p, m, NpyElementType.Float32);
        var a = Npy.Read(p);
        Assert.Equal(NpyElementType.Float32, a.ElementType);
        for (int i = 0; i < m.Data.Length; i++) Assert.Equal((double)(float)m.Data[i], a.Values.Data[i]);
        long header = new FileInfo(p).Length - m.Data.Length * 4;
        Assert.True(header > 0 && header % 64 == 0, $"header of {header} bytes");
    }

    [Fact]
    public void OneDIsAColumnAnd4DIsNByRestWithShape()
    {
        using var t = new TempDir();
        var v = Matrix.Column(1, 2, 3);
        string p1 = t.File("v.npy");
        Npy.Write(p1, v, shape: [3]);
        var a1 = Npy.Read(p1);
        Assert.Equal([3], a1.Shape);
        Assert.Equal("(3,)", a1.ShapeText);
        Assert.Equal((3, 1), (a1.Values.Rows, a1.Values.Cols));
        Assert.Equal([1.0, 2, 3], a1.Values.Data);

        var img = Matrix.Build(2, 3 * 4 * 2, (i, j) => i * 100 + j);
        string p4 = t.File("img.npy.gz");
        Npy.Write(p4, img, NpyElementType.Float32, [2, 3, 4, 2]);
        var a4 = Npy.Read(p4);
        Assert.Equal([2, 3, 4, 2], a4.Shape);
        Assert.Equal(4, a4.Rank);
        DataTestHelpers.BitwiseEqual(img, a4.Values);

        var e = Assert.Throws<ArgumentException>(() => Npy.Write(t.File("bad.npy"), img, shape: [2, 3, 4]));
        Assert.Contains("holds 24 values but the matrix 2×24 has 48", e.Message);
        Assert.Throws<ArgumentException>(() => Npy.Write(t.File("bad.npy"), img, NpyElementType.Int32));
    }

    /// <summary>Builds a .npy file by hand: any version, dtype, order and shape.</summary>
    private static byte[] Handmade(string descr, bool fortran, string shape, byte[] data, int major = 1)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        var h = Encoding.Latin1.GetBytes(dict);
        if (major == 1) { var l = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(l, (ushort)h.Length); ms.Write(l); }
        else { var l = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(l, (uint)h.Length); ms.Write(l); }
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static NpyArray ReadBytes(byte[] b) => Npy.Read(new MemoryStream(b), "mem.npy");

    [Fact]
    public void ReadsIntegerAndOtherDtypesAndVersions2And3()
    {
        var i4 = new byte[12];
        for (int k = 0; k < 3; k++) BinaryPrimitives.WriteInt32LittleEndian(i4.AsSpan(4 * k), k - 1);
        Assert.Equal([-1.0, 0, 1], ReadBytes(Handmade("<i4", false, "(3,)", i4)).Values.Data);
        var i8 = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(i8, long.MinValue);
        BinaryPrimitives.WriteInt64LittleEndian(i8.AsSpan(8), 1L << 40);
        Assert.Equal([(double)long.MinValue, 1099511627776.0], ReadBytes(Handmade("<i8", false, "(1, 2)", i8, major: 2)).Values.Data);
        var u1 = ReadBytes(Handmade("|u1", false, "(2, 2)", [0, 255, 7, 128], major: 3));
        Assert.Equal(NpyElementType.UInt8, u1.ElementType);
        Assert.Equal([0.0, 255, 7, 128], u1.Values.Data);
        var be = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(be, Math.PI);
        Assert.Equal(Math.PI, ReadBytes(Handmade(">f8", false, "()", be)).Values[0, 0]);
        Assert.Equal([1.0, 0], ReadBytes(Handmade("|b1", false, "(2,)", [1, 0])).Values.Data);
    }

    [Fact]
    public void FortranOrderIsConvertedToCOrder()
    {
        // A 2×3 matrix [[0,1,2],[3,4,5]] stored column-major: 0,3,1,4,2,5.
        double[] f = [0, 3, 1, 4, 2, 5];
        var bytes = new byte[48];
        for (int k = 0; k < 6; k++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * k), f[k]);
        var a = ReadBytes(Handmade("<f8", true, "(2, 3)", bytes));
        Assert.Equal([0.0, 1, 2, 3, 4, 5], a.Values.Data);
        // 3-D: element (i, j, k) of shape (2, 3, 4) has C index 12i + 4j + k and Fortran index i + 2j + 6k.
        var c = new double[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) c[12 * i + 4 * j + k] = 12 * i + 4 * j + k;
        var fdata = new double[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) fdata[i + 2 * j + 6 * k] = c[12 * i + 4 * j + k];
        Assert.Equal(c, Npy.FortranToC(fdata, [2, 3, 4]));
    }

    [Fact]
    public void BadFilesGiveClearErrors()
    {
        Assert.Contains("not a NumPy .npy file", Assert.Throws<DataFormatException>(() => ReadBytes(Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n"))).Message);
        Assert.Contains("'<c16' is not supported", Assert.Throws<DataFormatException>(() => ReadBytes(Handmade("<c16", false, "(1,)", new byte[16]))).Message);
        Assert.Contains("'|O' is not supported", Assert.Throws<DataFormatException>(() => ReadBytes(Handmade("|O", false, "(1,)", new byte[8]))).Message);
        var trunc = Assert.Throws<DataFormatException>(() => ReadBytes(Handmade("<f8", false, "(2, 2)", new byte[24])));
        Assert.Contains("ends early", trunc.Message);
        Assert.Contains("mem.npy", trunc.Message);
        var v9 = Handmade("<f8", false, "(1,)", new byte[8]);
        v9[6] = 9;
        Assert.Contains("version 9.0 is not supported", Assert.Throws<DataFormatException>(() => ReadBytes(v9)).Message);
        var structured = Encoding.Latin1.GetBytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }\n");
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)structured.Length, 0]);
        ms.Write(structured);
        Assert.Contains("structured", Assert.Throws<DataFormatException>(() => ReadBytes(ms.ToArray())).Message);
        Assert.Contains("not exist", Assert.Throws<FileNotFoundException>(() => Npy.Read("/nonexistent/x.npy")).Message);
    }
}
