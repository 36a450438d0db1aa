using System.CommandLine;
using Tangent.Kernels;

namespace Tangent.Cli;

/// <summary>The options that choose a classical kernel: --kernel, --gamma, --coef0, --degree.</summary>
internal sealed class KernelOptions
{
    public Option<string> Kernel { get; }
    public Option<double?> Gamma { get; } = new("--gamma") { Description = "γ of the Gaussian, Laplace and polynomial kernels (default 1/d, d = number of features)." };
    public Option<double> Coef0 { get; } = new("--coef0") { Description = "c of the polynomial kernel (γ·x·x' + c)^p.", DefaultValueFactory = _ => 1.0 };
    public Option<int> Degree { get; } = new("--degree") { Description = "p of the polynomial kernel.", DefaultValueFactory = _ => 3 };

    public KernelOptions(bool allowNone, bool required)
    {
        string names = "linear, gaussian, laplace, polynomial" + (allowNone ? ", or none (linear regression)" : "");
        Kernel = new Option<string>("--kernel") { Description = $"Kernel: {names}.", Required = required };
    }

    public void AddTo(Command c)
    {
        c.Options.Add(Kernel);
        c.Options.Add(Gamma);
        c.Options.Add(Coef0);
        c.Options.Add(Degree);
    }

    /// <summary>The kernel, or null for "none".</summary>
    public ClassicalKernel? Resolve(ParseResult r, int features)
    {
        string name = (r.GetValue(Kernel) ?? "").Trim().ToLowerInvariant();
        double gamma = r.GetValue(Gamma) ?? 1.0 / Math.Max(features, 1);
        return name switch
        {
            "none" => null,
            "linear" => ClassicalKernel.Linear(),
            "gaussian" or "rbf" => ClassicalKernel.Gaussian(gamma),
            "laplace" or "laplacian" => ClassicalKernel.Laplace(gamma),
            "polynomial" or "poly" => ClassicalKernel.Polynomial(gamma, r.GetValue(Coef0), r.GetValue(Degree)),
            _ => throw new ArgumentException($"Unknown kernel '{name}'. Use linear, gaussian, laplace, polynomial (or none with regress, or --arch for a network's kernel)."),
        };
    }
}
