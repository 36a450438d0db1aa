using System.CommandLine;
using Tangent.Kernels;
using Tangent.Layers;

namespace Tangent.Cli;

/// <summary>The options that choose a classical kernel: --kernel, --gamma, --coef0, --degree.</summary>
internal sealed class KernelOptions
{
    public Option<string> Kernel { get; }
    public Option<double?> Gamma { get; } = new("--gamma") { Description = "γ of the Gaussian, Laplace and polynomial kernels (default 1/d, d = number of features)." };
    public Option<double> Coef0 { get; } = new("--coef0") { Description = "c of the polynomial kernel (γ·x·x' + c)^p.", DefaultValueFactory = _ => 1.0 };
    public Option<int> Degree { get; } = new("--degree") { Description = "p of the polynomial kernel.", DefaultValueFactory = _ => 3 };
    public Option<string?> Arch { get; } = new("--arch") { Description = "A network architecture (docs/LAYERS.md), e.g. \"dense(w=1.5,b=0.1) relu dense(w=1.5)\": use its infinite-width kernel instead of --kernel." };
    public Option<string> Get { get; } = new("--get") { Description = "With --arch: nngp or ntk.", DefaultValueFactory = _ => "ntk" };

    private readonly bool _allowNone;

    public KernelOptions(bool allowNone)
    {
        _allowNone = allowNone;
        string names = "linear, gaussian, laplace, polynomial" + (allowNone ? ", or none (linear regression)" : "");
        Kernel = new Option<string>("--kernel") { Description = $"Kernel: {names}. Give either --kernel or --arch." };
    }

    public void AddTo(Command c)
    {
        c.Options.Add(Kernel);
        c.Options.Add(Gamma);
        c.Options.Add(Coef0);
        c.Options.Add(Degree);
        c.Options.Add(Arch);
        c.Options.Add(Get);
    }

    /// <summary>Parses --get: nngp or ntk.</summary>
    public static KernelOutputs ParseGet(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "nngp" => KernelOutputs.Nngp,
        "ntk" => KernelOutputs.Ntk,
        _ => throw new ArgumentException($"--get must be nngp or ntk, not '{value}'."),
    };

    /// <summary>The kernel, or null for "none".</summary>
    public IKernel? Resolve(ParseResult r, int features, Convolution.ImageShape? imageShape = null)
    {
        string? arch = r.GetValue(Arch);
        string? kernelName = r.GetValue(Kernel);
        if (arch is not null && kernelName is not null)
            throw new ArgumentException("Give either --kernel (a classical kernel) or --arch (a network's kernel), not both.");
        if (arch is not null)
        {
            var a = Architecture.Parse(arch);
            return new NeuralKernel(imageShape is { } shape ? a.WithInputShape(shape) : a, ParseGet(r.GetValue(Get)));
        }
        if (kernelName is null)
            throw new ArgumentException("Choose a kernel: --kernel linear|gaussian|laplace|polynomial" + (_allowNone ? "|none" : "") + ", or --arch SPEC with --get nngp|ntk.");
        string name = kernelName.Trim().ToLowerInvariant();
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
