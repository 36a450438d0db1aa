using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>A continuous hyperparameter of the GP evidence, always in log space.</summary>
public enum EvidenceParameter
{
    /// <summary>log σ²: the observation-noise variance (the absolute ridge λ).</summary>
    Noise,
    /// <summary>log γ of a Gaussian, Laplace or polynomial kernel.</summary>
    Gamma,
    /// <summary>log of a common factor on every layer's σw² (0 at the spec's values; the ratios between layers are kept).</summary>
    WeightVariance,
    /// <summary>log of a common factor on every layer's σb² (only when some layer has a bias).</summary>
    BiasVariance,
}

/// <summary>The log marginal likelihood at one point and its gradient in log space.</summary>
/// <param name="LogLikelihood">log p(Y|X) = −½ tr(Yᵀα) − (k/2) log|K + σ²I| − (nk/2) log 2π, α = (K + σ²I)⁻¹Y.</param>
/// <param name="Gradient">∂ log p / ∂θ for each parameter θ of <see cref="GpEvidence.Parameters"/> (in log space); empty when not asked for.</param>
/// <param name="Noise">The absolute noise variance σ² used (a relative ridge converted at this kernel).</param>
public sealed record EvidenceValue(double LogLikelihood, IReadOnlyDictionary<EvidenceParameter, double> Gradient, double Noise);

/// <summary>
/// The Gaussian-process log marginal likelihood (the evidence) of a model and its gradient with respect to the
/// continuous hyperparameters in log space (docs/SELECTION.md; Rasmussen &amp; Williams 2006, eqs. 2.30 and 5.9):
/// ∂ log p/∂θ = ½ tr((ααᵀ − k·K_y⁻¹) ∂K_y/∂θ), K_y = K + σ²I. Exact for the noise (∂K_y/∂ log σ² = σ²I) and for γ of the
/// Gaussian and Laplace kernels (K = exp(−γ·r) so ∂K/∂ log γ = K ∘ ln K); by central differences of the kernel matrix
/// (step h in log space, error O(h²)) for the polynomial kernel's γ and for the architecture's σw², σb² factors.
/// The k output columns are independent GPs with the same kernel; for classification that is the one-hot code (0/1)
/// and the likelihood is summed over the class columns.
/// </summary>
public static class GpEvidence
{
    /// <summary>The central-difference step in log space (1e-3: truncation error ~1e-7 relative, rounding well below).</summary>
    public const double LogStep = 1e-3;

    /// <summary>The parameters differentiated for <paramref name="spec"/>: the noise; γ for a Gaussian, Laplace or polynomial
    /// kernel; the σw² factor for an architecture, and the σb² factor when some layer has a bias.</summary>
    public static IReadOnlyList<EvidenceParameter> Parameters(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = new List<EvidenceParameter> { EvidenceParameter.Noise };
        if (spec.Kernel is { } k) { if (k.Kind != KernelKind.Linear) p.Add(EvidenceParameter.Gamma); }
        else
        {
            p.Add(EvidenceParameter.WeightVariance);
            if (ArchitectureScaling.HasBias(spec.Architecture!)) p.Add(EvidenceParameter.BiasVariance);
        }
        return p;
    }

    /// <summary>The evidence of <paramref name="spec"/> on <paramref name="train"/> after the spec's preprocessing (fitted on <paramref name="train"/>).</summary>
    /// <exception cref="ArgumentException">An NTK model or a finite time (the evidence is that of the GP prior at t = ∞).</exception>
    /// <exception cref="NotPositiveDefiniteException">K + σ²I is not positive definite (add noise: a ridge).</exception>
    public static EvidenceValue Evaluate(ModelSpec spec, LabeledData train, bool withGradient = true, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(train);
        var prepared = ModelSelection.Prepared.From(spec, train);
        return Evaluate(spec, prepared.X, prepared.Y, withGradient, options);
    }

    /// <summary>The evidence of <paramref name="spec"/>'s kernel on inputs <paramref name="x"/> and targets <paramref name="y"/> as given (no preprocessing).</summary>
    /// <exception cref="ArgumentException">An NTK model, a finite time, or shapes that disagree.</exception>
    /// <exception cref="NotPositiveDefiniteException">K + σ²I is not positive definite (add noise: a ridge).</exception>
    public static EvidenceValue Evaluate(ModelSpec spec, Matrix x, Matrix y, bool withGradient = true, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        spec.Validate();
        ModelSelection.RequireGaussianProcess(spec);
        Validate.TrainingPair(x, y);
        options ??= ComputeOptions.Default;
        var provider = options.Provider;
        var k = ModelSelection.KernelMatrix(spec, x, options);
        double noise = spec.Ridge.ValueFor(k);
        int n = k.Rows, cols = y.Cols;
        var ky = k.Clone();
        ky.AddToDiagonal(noise);
        var chol = Cholesky.Compute(ky, provider);
        var alpha = chol.Solve(y);
        double fit = 0;
        for (int i = 0; i < y.Data.Length; i++) fit += y.Data[i] * alpha.Data[i];
        double lml = -0.5 * fit - 0.5 * cols * chol.LogDeterminant() - 0.5 * n * cols * Math.Log(2 * Math.PI);
        var gradient = new Dictionary<EvidenceParameter, double>();
        if (!withGradient) return new EvidenceValue(lml, gradient, noise);

        // W = ααᵀ − k·K_y⁻¹; ∂L/∂θ = ½ Σ_ij W_ij (∂K_y/∂θ)_ij.
        var inverse = chol.Solve(Matrix.Identity(n));
        var w = LinearAlgebra.Multiply(alpha, alpha.Transpose(), provider: provider);
        for (int i = 0; i < w.Data.Length; i++) w.Data[i] -= cols * inverse.Data[i];
        double traceW = 0;
        for (int i = 0; i < n; i++) traceW += w[i, i];
        foreach (var p in Parameters(spec))
        {
            gradient[p] = p switch
            {
                EvidenceParameter.Noise => 0.5 * noise * traceW,
                _ => 0.5 * Contract(w, KernelDerivative(spec, p, k, x, options with { Progress = null })),
            };
        }
        return new EvidenceValue(lml, gradient, noise);
    }

    /// <summary>∂K/∂θ for a kernel parameter θ in log space (exact for Gaussian/Laplace γ, else central differences).</summary>
    internal static Matrix KernelDerivative(ModelSpec spec, EvidenceParameter p, Matrix k, Matrix x, ComputeOptions options)
    {
        if (p == EvidenceParameter.Gamma && spec.Kernel!.Kind is KernelKind.Gaussian or KernelKind.Laplace)
        {
            var d = new Matrix(k.Rows, k.Cols);
            for (int i = 0; i < d.Data.Length; i++) d.Data[i] = k.Data[i] > 0 ? k.Data[i] * Math.Log(k.Data[i]) : 0;
            return d;
        }
        var plus = ModelSelection.KernelMatrix(Shift(spec, p, LogStep), x, options);
        var minus = ModelSelection.KernelMatrix(Shift(spec, p, -LogStep), x, options);
        for (int i = 0; i < plus.Data.Length; i++) plus.Data[i] = (plus.Data[i] - minus.Data[i]) / (2 * LogStep);
        return plus;
    }

    /// <summary>The spec with parameter <paramref name="p"/> moved by <paramref name="delta"/> in log space (noise: the absolute ridge).</summary>
    internal static ModelSpec Shift(ModelSpec spec, EvidenceParameter p, double delta) => p switch
    {
        EvidenceParameter.Noise => spec with { Ridge = spec.Ridge with { Value = spec.Ridge.Value * Math.Exp(delta) } },
        EvidenceParameter.Gamma => spec with { Kernel = new ClassicalKernel(spec.Kernel!.Kind, spec.Kernel.Gamma * Math.Exp(delta), spec.Kernel.Coef0, spec.Kernel.Degree) { BlockRows = spec.Kernel.BlockRows } },
        EvidenceParameter.WeightVariance => spec with { Architecture = ArchitectureScaling.ScaleVariances(spec.Architecture!, Math.Exp(delta), 1) },
        _ => spec with { Architecture = ArchitectureScaling.ScaleVariances(spec.Architecture!, 1, Math.Exp(delta)) },
    };

    private static double Contract(Matrix a, Matrix b)
    {
        double s = 0;
        for (int i = 0; i < a.Data.Length; i++) s += a.Data[i] * b.Data[i];
        return s;
    }
}
