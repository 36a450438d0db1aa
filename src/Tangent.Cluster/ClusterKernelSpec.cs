using System.Globalization;
using Tangent.Kernels;
using Tangent.Layers;

namespace Tangent.Cluster;

/// <summary>
/// A kernel as plain data that travels to the silos: a network's architecture spec text (docs/LAYERS.md; <see cref="Architecture.ToString"/>
/// prints it back exactly), its image shape and nngp/ntk, or a classical kernel's parameters. <see cref="ToKernel"/> rebuilds the kernel.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class ClusterKernelSpec
{
    /// <summary>The architecture spec of a network's kernel; null for a classical kernel.</summary>
    [Id(0)] public string? Architecture { get; init; }

    /// <summary>With <see cref="Architecture"/>: nngp or ntk.</summary>
    [Id(1)] public string? Get { get; init; }

    /// <summary>With <see cref="Architecture"/>: the image shape (height, width, channels) of the inputs, or null for vectors.</summary>
    [Id(2)] public int[]? ImageShape { get; init; }

    /// <summary>The classical kernel's kind (linear, gaussian, laplace, polynomial); null for a network's kernel.</summary>
    [Id(3)] public string? Classical { get; init; }

    /// <summary>The classical kernel's γ.</summary>
    [Id(4)] public double Gamma { get; init; }

    /// <summary>The polynomial kernel's c.</summary>
    [Id(5)] public double Coef0 { get; init; }

    /// <summary>The polynomial kernel's degree.</summary>
    [Id(6)] public int Degree { get; init; }

    /// <summary>The classical kernel's block of rows.</summary>
    [Id(7)] public int BlockRows { get; init; }

    /// <summary>The spec of <paramref name="kernel"/>: a <see cref="NeuralKernel"/> or a <see cref="ClassicalKernel"/>.</summary>
    /// <exception cref="NotSupportedException">Another kind of kernel, or one whose spec does not rebuild it exactly.</exception>
    public static ClusterKernelSpec From(IKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var spec = kernel switch
        {
            NeuralKernel n => new ClusterKernelSpec
            {
                Architecture = n.Architecture.ToString(),
                Get = n.Get == KernelOutputs.Nngp ? "nngp" : "ntk",
                ImageShape = n.Architecture.InputShape is { } s ? [s.Height, s.Width, s.Channels] : null,
            },
            ClassicalKernel c => new ClusterKernelSpec
            {
                Classical = c.Kind.ToString().ToLowerInvariant(), Gamma = c.Gamma, Coef0 = c.Coef0, Degree = c.Degree, BlockRows = c.BlockRows,
            },
            _ => throw new NotSupportedException($"The kernel {kernel.Describe()} ({kernel.GetType().Name}) cannot be sent to a cluster; only a network's kernel (--arch) or a classical kernel (--kernel) can."),
        };
        if (spec.ToKernel().Describe() != kernel.Describe())
            throw new NotSupportedException($"The kernel {kernel.Describe()} does not survive the trip to the cluster (it comes back as {spec.ToKernel().Describe()}); compute it without --cluster.");
        return spec;
    }

    /// <summary>Rebuilds the kernel.</summary>
    /// <exception cref="FormatException">The architecture spec does not parse.</exception>
    /// <exception cref="InvalidDataException">Neither an architecture nor a classical kernel, or an unknown kind.</exception>
    public IKernel ToKernel()
    {
        if (Architecture is not null)
        {
            var a = Layers.Architecture.Parse(Architecture);
            if (ImageShape is { Length: 3 } s) a = a.WithInputShape(new ImageShape(s[0], s[1], s[2]));
            var get = Get switch
            {
                "nngp" => KernelOutputs.Nngp,
                "ntk" => KernelOutputs.Ntk,
                _ => throw new InvalidDataException($"A cluster kernel spec has get '{Get}'; it must be nngp or ntk."),
            };
            return new NeuralKernel(a, get);
        }
        var kind = Classical switch
        {
            "linear" => KernelKind.Linear,
            "gaussian" => KernelKind.Gaussian,
            "laplace" => KernelKind.Laplace,
            "polynomial" => KernelKind.Polynomial,
            _ => throw new InvalidDataException($"A cluster kernel spec has neither an architecture nor a known classical kernel ('{Classical}')."),
        };
        return new ClassicalKernel(kind, Gamma, Coef0, Degree) { BlockRows = BlockRows };
    }

    /// <inheritdoc/>
    public override string ToString() => Architecture is not null
        ? $"{Get} of {Architecture}" + (ImageShape is { Length: 3 } s ? string.Create(CultureInfo.InvariantCulture, $" on {s[0]}x{s[1]}x{s[2]} images") : "")
        : Classical ?? "?";
}
