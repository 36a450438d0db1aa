using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;

namespace Tangent.Models;

/// <summary>
/// Everything that defines a kernel model before it sees data (docs/USER-GUIDE.md): the kernel (a classical
/// kernel, or an architecture and which of its kernels), the ridge, the training time, and the
/// preprocessing fitted with the model. Exactly one of <see cref="Kernel"/> and <see cref="Architecture"/>
/// is set. Selection (<c>ModelSelection</c>) varies these fields; <c>TabularModel.Fit</c> fits one.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>A classical kernel (Gaussian, Laplace, polynomial, linear), or null when <see cref="Architecture"/> is set.</summary>
    public ClassicalKernel? Kernel { get; init; }

    /// <summary>A network architecture whose infinite-width kernel is used, or null when <see cref="Kernel"/> is set.</summary>
    public Architecture? Architecture { get; init; }

    /// <summary>With an architecture: the NNGP (exact Bayesian inference / last layer trained) or the NTK (every layer trained).</summary>
    public KernelOutputs Get { get; init; } = KernelOutputs.Ntk;

    /// <summary>The ridge λ added to the kernel's diagonal (for a GP: the observation-noise variance in the kernel's units).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Training time t of gradient flow on the MSE (architectures only); ∞ = kernel regression.</summary>
    public double Time { get; init; } = double.PositiveInfinity;

    /// <summary>Standardize the features (mean 0, std 1, fitted on the training data and stored with the model).</summary>
    public bool StandardizeFeatures { get; init; }

    /// <summary>Standardize numeric targets (regression), fitted on the training targets; predictions are mapped back.</summary>
    public bool StandardizeTarget { get; init; }

    /// <summary>Checks that exactly one kernel source is given and the numbers are in range.</summary>
    /// <exception cref="ArgumentException">Neither or both of a kernel and an architecture, a time below 0 or NaN, a time with a classical kernel,
    /// or <see cref="Get"/> not exactly one of NNGP and NTK.</exception>
    public void Validate()
    {
        if ((Kernel is null) == (Architecture is null))
            throw new ArgumentException("A model needs exactly one kernel source: a classical kernel or an architecture.");
        if (!(Time >= 0)) throw new ArgumentException($"The training time must be ≥ 0 or ∞, got {Time}.");
        if (Kernel is not null && !double.IsPositiveInfinity(Time))
            throw new ArgumentException("A finite training time needs an architecture (the gradient-flow dynamics of its NTK or NNGP); a classical kernel gives kernel regression (t = ∞).");
        if (Get is not (KernelOutputs.Nngp or KernelOutputs.Ntk))
            throw new ArgumentException($"Get must be exactly one of Nngp and Ntk, got {Get}.");
    }

    /// <summary>The kernel in words, for reports: the classical kernel's description or "ntk of ARCH".</summary>
    public string DescribeKernel() => Kernel is not null ? Kernel.Describe() : $"{(Get == KernelOutputs.Nngp ? "nngp" : "ntk")} of {Architecture}";
}
