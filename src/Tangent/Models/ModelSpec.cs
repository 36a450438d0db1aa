using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;

namespace Tangent.Models;

/// <summary>Which classifier a model is (docs/SELECTION.md, "Support-vector machines").</summary>
public enum ClassifierKind
{
    /// <summary>Kernel regression on the targets (the one-hot code for classes, decoded by argmax), or the infinite
    /// ensemble at a finite time: the model of regression and the default for classification.</summary>
    KernelRegression,
    /// <summary>A kernel support-vector classifier (C-SVC, <see cref="SupportVectorClassifier"/>) with box bound
    /// <see cref="ModelSpec.C"/>; classification only.</summary>
    Svm,
}

/// <summary>
/// Everything that defines a kernel model before it sees data (docs/USER-GUIDE.md): the kernel (a classical
/// kernel, or an architecture and which of its kernels), the ridge, the training time, and the
/// preprocessing fitted with the model, and for classification the classifier on top of the kernel (kernel
/// regression or an SVM, <see cref="Model"/>). Exactly one of <see cref="Kernel"/> and <see cref="Architecture"/>
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

    /// <summary>The classifier: kernel regression (the default, and the only one for regression targets) or an SVM.</summary>
    public ClassifierKind Model { get; init; }

    /// <summary>The SVM's box bound C (its soft-margin penalty), finite and &gt; 0; default 1 (scikit-learn's). Used only when
    /// <see cref="Model"/> is <see cref="ClassifierKind.Svm"/>.</summary>
    public double C { get; init; } = 1;

    /// <summary>Standardize the features (mean 0, std 1, fitted on the training data and stored with the model).</summary>
    public bool StandardizeFeatures { get; init; }

    /// <summary>Standardize numeric targets (regression), fitted on the training targets; predictions are mapped back.</summary>
    public bool StandardizeTarget { get; init; }

    /// <summary>Checks that exactly one kernel source is given and the numbers are in range.</summary>
    /// <exception cref="ArgumentException">Neither or both of a kernel and an architecture, a time below 0 or NaN, a time with a classical kernel,
    /// <see cref="Get"/> not exactly one of NNGP and NTK, C not finite and &gt; 0, or an SVM with a finite time or a ridge.
    /// (Whether the data are classes is checked where the data are seen: an SVM of regression targets is refused there.)</exception>
    public void Validate()
    {
        if ((Kernel is null) == (Architecture is null))
            throw new ArgumentException("A model needs exactly one kernel source: a classical kernel or an architecture.");
        if (!(Time >= 0)) throw new ArgumentException($"The training time must be ≥ 0 or ∞, got {Time}.");
        if (Kernel is not null && !double.IsPositiveInfinity(Time))
            throw new ArgumentException("A finite training time needs an architecture (the gradient-flow dynamics of its NTK or NNGP); a classical kernel gives kernel regression (t = ∞).");
        if (Get is not (KernelOutputs.Nngp or KernelOutputs.Ntk))
            throw new ArgumentException($"Get must be exactly one of Nngp and Ntk, got {Get}.");
        if (!(C > 0) || !double.IsFinite(C))
            throw new ArgumentException($"The SVM's C must be a finite number > 0, got {C.ToString(System.Globalization.CultureInfo.InvariantCulture)}; e.g. C = 1.");
        if (Model is not (ClassifierKind.KernelRegression or ClassifierKind.Svm))
            throw new ArgumentException($"Model must be KernelRegression or Svm, got {Model}.");
        if (Model == ClassifierKind.Svm && !double.IsPositiveInfinity(Time))
            throw new ArgumentException("An SVM classifies with the kernel itself; a finite training time applies to kernel regression (Model = KernelRegression).");
        if (Model == ClassifierKind.Svm && Ridge.Value != 0)
            throw new ArgumentException("An SVM has no ridge (its regularisation is C); remove the ridge or use Model = KernelRegression.");
    }

    /// <summary>The kernel in words, for reports: the classical kernel's description or "ntk of ARCH".</summary>
    public string DescribeKernel() => Kernel is not null ? Kernel.Describe() : $"{(Get == KernelOutputs.Nngp ? "nngp" : "ntk")} of {Architecture}";
}
