using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// Kernels of finite-width networks (docs/MATH.md §3): the empirical NNGP f(X1)·f(X2)ᵀ/m over the m
/// outputs, the empirical NTK J(X1)·J(X2)ᵀ over all parameters for output 0 (by backpropagation,
/// layer by layer), and their Monte-Carlo averages over independent initialisations, which converge
/// to the infinite-width kernels as the width grows.
/// </summary>
public static class EmpiricalKernels
{
    /// <summary>The empirical kernels of one network.</summary>
    /// <param name="network">An initialised network.</param>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for x1.</param>
    /// <param name="outputs">Which kernels.</param>
    public static KernelResult Compute(FiniteLayer network, Matrix x1, Matrix? x2 = null, KernelOutputs outputs = KernelOutputs.Both)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x1);
        var x = x2 is null ? x1 : Stack(x1, x2);
        int n1 = x1.Rows, n2 = x2?.Rows ?? x1.Rows, off = x2 is null ? 0 : n1;
        var f = network.Forward(x);
        Matrix? nngp = null, ntk = null;
        if (outputs.HasFlag(KernelOutputs.Nngp))
        {
            var g = LinearAlgebra.Multiply(f, f, Op.None, Op.Transpose);
            nngp = Matrix.Build(n1, n2, (i, j) => g[i, off + j] / f.Cols);
        }
        if (outputs.HasFlag(KernelOutputs.Ntk))
        {
            var delta = new Matrix(x.Rows, f.Cols);
            for (int i = 0; i < x.Rows; i++) delta[i, 0] = 1;
            var full = new Matrix(x.Rows, x.Rows);
            network.Backward(delta, new Backprop(ntk: full));
            ntk = Matrix.Build(n1, n2, (i, j) => full[i, off + j]);
        }
        return new KernelResult(nngp, ntk);
    }

    /// <summary>
    /// Monte-Carlo average of the empirical kernels over <paramref name="samples"/> networks of the
    /// given width (seeds seed, seed+1, …), in parallel.
    /// </summary>
    public static KernelResult MonteCarlo(Architecture architecture, Matrix x1, Matrix? x2, int width, int samples, int seed = 0,
        KernelOutputs outputs = KernelOutputs.Both)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        int n1 = x1.Rows, n2 = x2?.Rows ?? x1.Rows;
        var nngp = outputs.HasFlag(KernelOutputs.Nngp) ? new Matrix(n1, n2) : null;
        var ntk = outputs.HasFlag(KernelOutputs.Ntk) ? new Matrix(n1, n2) : null;
        var gate = new object();
        Parallel.For(0, samples, s =>
        {
            var net = architecture.Initialize(x1.Cols, width, new Random(seed + s));
            var k = Compute(net, x1, x2, outputs);
            lock (gate)
            {
                if (nngp is not null) Add(nngp, k.Nngp, 1.0 / samples);
                if (ntk is not null) Add(ntk, k.Ntk, 1.0 / samples);
            }
        });
        return new KernelResult(nngp, ntk);
    }

    private static void Add(Matrix acc, Matrix m, double scale)
    {
        for (int k = 0; k < acc.Data.Length; k++) acc.Data[k] += scale * m.Data[k];
    }

    private static Matrix Stack(Matrix a, Matrix b)
    {
        if (a.Cols != b.Cols) throw new ArgumentException($"X1 is {a.Shape} and X2 is {b.Shape}: both must have the same number of columns.");
        var m = new Matrix(a.Rows + b.Rows, a.Cols);
        a.Data.CopyTo(m.Data, 0);
        b.Data.CopyTo(m.Data, a.Data.Length);
        return m;
    }
}
