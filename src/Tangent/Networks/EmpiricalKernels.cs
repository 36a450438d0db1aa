using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// Monte-Carlo averages of the empirical kernels of finite-width networks over independent
/// initialisations (docs/MATH.md §3), which converge to the infinite-width kernels as the width grows.
/// The empirical kernels of one network are <see cref="Network.Nngp"/> and <see cref="Network.Ntk"/>.
/// </summary>
public static class EmpiricalKernels
{
    /// <summary>
    /// Monte-Carlo average of the empirical kernels over <paramref name="samples"/> networks of the
    /// given width (seeds seed, seed+1, …), in parallel: each is a <see cref="Network"/> whose last layer
    /// also has <paramref name="width"/> units, its NNGP f·fᵀ/m averaged over those m outputs and its NTK
    /// that of output 0, both unbiased for the finite-width expectation.
    /// </summary>
    /// <param name="architecture">Any architecture <see cref="Network.Create"/> accepts (image ones with their input shape).</param>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for x1.</param>
    /// <param name="width">Width of the networks (dense units, conv channels).</param>
    /// <param name="samples">Number of networks.</param>
    /// <param name="seed">Seed of the first network.</param>
    /// <param name="outputs">Which kernels.</param>
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
            var net = Network.Create(architecture, x1.Cols, width, outputs: width, seed: seed + s);
            var kNngp = nngp is null ? null : net.Nngp(x1, x2);
            var kNtk = ntk is null ? null : net.Ntk(x1, x2);
            lock (gate)
            {
                if (nngp is not null) Add(nngp, kNngp!, 1.0 / samples);
                if (ntk is not null) Add(ntk, kNtk!, 1.0 / samples);
            }
        });
        return new KernelResult(nngp, ntk);
    }

    private static void Add(Matrix acc, Matrix m, double scale)
    {
        for (int k = 0; k < acc.Data.Length; k++) acc.Data[k] += scale * m.Data[k];
    }
}
