using System.Diagnostics;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

/// <summary>Checks the .npy reader and writer against NumPy itself, where /usr/bin/python3 has it.</summary>
public sealed class NumpyCrossCheckTests
{
    private const string Python = "/usr/bin/python3";

    private static (int Code, string Output) RunPython(string script, string workDir)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(); return (-1, "timeout"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static bool HasNumpy(string dir) => File.Exists(Python) && RunPython("import numpy\n", dir).Code == 0;

    [SkippableFact]
    public void NumpyWritesWeRead()
    {
        using var t = new TempDir();
        Skip.IfNot(HasNumpy(t.Path), $"{Python} with numpy is not available; the cross-check needs it.");
        const string script = """
import numpy as np
from numpy.lib import format as fmt
def save(name, arr, version=None):
    with open(name, 'wb') as f:
        fmt.write_array(f, arr, version=version)
base = lambda shape: (np.arange(int(np.prod(shape))).reshape(shape) * 0.5 - 3)
save('f8.npy', base((4, 5)))
save('f4.npy', base((4, 5)).astype('<f4'))
save('f8_1d.npy', base((7,)))
save('f8_4d.npy', base((2, 3, 4, 2)))
save('f8_fortran.npy', np.asfortranarray(base((3, 4, 2))))
save('f8_v2.npy', base((3, 2)), version=(2, 0))
save('f8_v3.npy', base((3, 2)), version=(3, 0))
save('f8_be.npy', base((3, 2)).astype('>f8'))
save('i4.npy', (np.arange(6).reshape(2, 3) - 3).astype('<i4'))
save('i8.npy', (np.arange(6).reshape(2, 3) - 3).astype('<i8'))
save('u1.npy', (np.arange(6).reshape(2, 3) * 40).astype('|u1'))
save('scalar.npy', np.float64(2.5))
print('OK')
""";
        var (code, output) = RunPython(script, t.Path);
        Assert.True(code == 0, output);
        static double Base(int i) => i * 0.5 - 3;
        void Check(string file, int[] shape, Func<int, double> value, NpyElementType type)
        {
            var a = Npy.Read(t.File(file));
            Assert.Equal(shape, a.Shape);
            Assert.Equal(type, a.ElementType);
            for (int i = 0; i < a.Values.Data.Length; i++) Assert.Equal(value(i), a.Values.Data[i]);
            Assert.Equal(shape.Aggregate(1, (x, y) => x * y), a.Values.Data.Length);
            Assert.Equal(shape.Length == 0 ? 1 : shape[0], a.Values.Rows);
        }
        Check("f8.npy", [4, 5], Base, NpyElementType.Float64);
        Check("f4.npy", [4, 5], i => (float)Base(i), NpyElementType.Float32);
        Check("f8_1d.npy", [7], Base, NpyElementType.Float64);
        Check("f8_4d.npy", [2, 3, 4, 2], Base, NpyElementType.Float64);
        Check("f8_fortran.npy", [3, 4, 2], Base, NpyElementType.Float64);
        Check("f8_v2.npy", [3, 2], Base, NpyElementType.Float64);
        Check("f8_v3.npy", [3, 2], Base, NpyElementType.Float64);
        Check("f8_be.npy", [3, 2], Base, NpyElementType.Float64);
        Check("i4.npy", [2, 3], i => i - 3, NpyElementType.Int32);
        Check("i8.npy", [2, 3], i => i - 3, NpyElementType.Int64);
        Check("u1.npy", [2, 3], i => i * 40, NpyElementType.UInt8);
        Check("scalar.npy", [], _ => 2.5, NpyElementType.Float64);
        Assert.Equal((7, 1), (Npy.ReadMatrix(t.File("f8_1d.npy")).Rows, Npy.ReadMatrix(t.File("f8_1d.npy")).Cols));
        Assert.Equal((2, 24), (Npy.ReadMatrix(t.File("f8_4d.npy")).Rows, Npy.ReadMatrix(t.File("f8_4d.npy")).Cols));
    }

    [SkippableFact]
    public void WeWriteNumpyReads()
    {
        using var t = new TempDir();
        Skip.IfNot(HasNumpy(t.Path), $"{Python} with numpy is not available; the cross-check needs it.");
        var m = Matrix.Build(2, 24, (i, j) => (i * 24 + j) * 0.1 - 1);
        Npy.Write(t.File("f8.npy"), m);
        Npy.Write(t.File("f4_4d.npy"), m, NpyElementType.Float32, [2, 3, 4, 2]);
        Npy.Write(t.File("v.npy"), Matrix.Column(1, 2, 3), shape: [3]);
        const string script = """
import numpy as np
a = np.load('f8.npy')
assert a.dtype == np.dtype('<f8') and a.shape == (2, 24), (a.dtype, a.shape)
assert np.array_equal(a, (np.arange(48).reshape(2, 24) * 0.1 - 1))
b = np.load('f4_4d.npy')
assert b.dtype == np.dtype('<f4') and b.shape == (2, 3, 4, 2) and b.flags['C_CONTIGUOUS']
assert np.array_equal(b, (np.arange(48).reshape(2, 3, 4, 2) * 0.1 - 1).astype(np.float32))
v = np.load('v.npy')
assert v.shape == (3,) and list(v) == [1.0, 2.0, 3.0]
print('OK')
""";
        var (code, output) = RunPython(script, t.Path);
        Assert.True(code == 0, output);
        Assert.Contains("OK", output);
    }
}
