using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// The NNGP or the NTK of an architecture as an <see cref="IKernel"/>, so that every solver and
/// model that takes a classical kernel takes a network's kernel too.
/// </summary>
public sealed class NeuralKernel : IKernel
{
    /// <summary>Wraps an architecture; <paramref name="get"/> must be <see cref="KernelOutputs.Nngp"/> or <see cref="KernelOutputs.Ntk"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="get"/> is Both or nothing.</exception>
    /// <exception cref="NotSupportedException">The NTK of an architecture that has none (sign).</exception>
    public NeuralKernel(Architecture architecture, KernelOutputs get)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (get is not (KernelOutputs.Nngp or KernelOutputs.Ntk))
            throw new ArgumentException("A neural kernel is either the NNGP or the NTK; ask for one of them.", nameof(get));
        if (get == KernelOutputs.Ntk && !architecture.HasNtk)
            throw new NotSupportedException($"The architecture '{architecture}' has no NTK (the derivative of sign is a Dirac delta); use the NNGP.");
        Architecture = architecture;
        Get = get;
    }

    /// <summary>The architecture.</summary>
    public Architecture Architecture { get; }

    /// <summary>Which kernel.</summary>
    public KernelOutputs Get { get; }

    /// <summary>Parses a spec (docs/LAYERS.md) and picks the kernel.</summary>
    public static NeuralKernel Parse(string spec, KernelOutputs get) => new(Architecture.Parse(spec), get);

    /// <inheritdoc />
    public Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        Compute(x1, x2, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <inheritdoc />
    public Matrix Compute(Matrix x1, Matrix? x2, ComputeOptions options)
    {
        var r = Architecture.ComputeKernels(x1, x2, Get, options);
        return (Get == KernelOutputs.Nngp ? r.Nngp : r.Ntk)!;
    }

    /// <inheritdoc />
    public double[] Diagonal(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (Get == KernelOutputs.Nngp) return Architecture.NngpDiagonal(x);
        var d = new double[x.Rows];
        for (int i = 0; i < x.Rows; i++) d[i] = Compute(x.SliceRows(i, 1))[0, 0];
        return d;
    }

    /// <inheritdoc />
    public string Describe() => $"{(Get == KernelOutputs.Nngp ? "nngp" : "ntk")} of {Architecture}";
}
