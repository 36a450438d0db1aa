using System.CommandLine;
using Tangent.Kernels;
using Tangent.Layers;

namespace Tangent.Cli;

/// <summary>The options that choose a classical kernel: --kernel, --gamma, --coef0, --degree.</summary>
internal sealed class KernelOptions
{
    public Option<string> Kernel { get; }
    public Option<double?> Gamma { get; } = CliOptions.OptionalNumber("--gamma", "γ > 0 of the Gaussian, Laplace and polynomial kernels (default 1/d, d = number of features).", NumberRange.Positive);
    public Option<double> Coef0 { get; } = CliOptions.Number("--coef0", "c of the polynomial kernel (γ·x·x' + c)^p, a finite number.", 1.0, NumberRange.Finite);
    public Option<int> Degree { get; } = CliOptions.Int("--degree", "p ≥ 1 of the polynomial kernel.", 3, 1);
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

    /// <summary>Refuses options that the chosen kernel would silently ignore.</summary>
    private static void RejectGiven(ParseResult r, string chosen, params Option[] options)
    {
        foreach (var o in options)
            if (r.GetResult(o) is { Implicit: false })
                throw new CliError($"{o.Name} does not apply to {chosen}.", "drop it: --gamma is for gaussian, laplace and polynomial; --coef0 and --degree for polynomial.");
    }

    /// <summary>True for --kernel none (linear regression).</summary>
    public bool IsNone(ParseResult r) => r.GetValue(Arch) is null && r.GetValue(Kernel)?.Trim().ToLowerInvariant() == "none";

    /// <summary>Checks the kernel options before any input is read (the same checks as <see cref="Resolve"/>).</summary>
    public void Validate(ParseResult r) => Resolve(r, features: 1);

    /// <summary>The kernel, or null for "none".</summary>
    public IKernel? Resolve(ParseResult r, int features, ImageShape? imageShape = null)
    {
        string? arch = r.GetValue(Arch);
        string? kernelName = r.GetValue(Kernel);
        if (arch is not null && kernelName is not null)
            throw new ArgumentException("Give either --kernel (a classical kernel) or --arch (a network's kernel), not both.");
        if (arch is not null)
        {
            RejectGiven(r, "--arch", Gamma, Coef0, Degree);
            var a = Architecture.Parse(arch);
            var get = ParseGet(r.GetValue(Get));
            if (get == KernelOutputs.Ntk && !a.HasNtk)
                throw new CliError($"--get ntk: '{arch}' has no NTK (sign's derivative is a Dirac delta).", "use --get nngp, or a smooth stand-in for sign such as erf(b=10).");
            return new NeuralKernel(imageShape is { } shape ? a.WithInputShape(shape) : a, get);
        }
        if (kernelName is null)
            throw new ArgumentException("Choose a kernel: --kernel linear|gaussian|laplace|polynomial" + (_allowNone ? "|none" : "") + ", or --arch SPEC with --get nngp|ntk.");
        string name = kernelName.Trim().ToLowerInvariant();
        string[] known = _allowNone ? ["linear", "gaussian", "laplace", "polynomial", "none"] : ["linear", "gaussian", "laplace", "polynomial"];
        if (name == "none" && !_allowNone)
            throw new CliError("--kernel none (linear regression without a kernel) is for 'tangent regress'; this command computes a kernel matrix.",
                "choose --kernel linear|gaussian|laplace|polynomial, or --arch SPEC.");
        if (!known.Contains(name) && name is not ("rbf" or "laplacian" or "poly"))
            throw new CliError($"--kernel: unknown kernel '{kernelName}'; use {string.Join(", ", known)}.",
                ParseErrors.Nearest(name, known) is { } near ? $"did you mean --kernel {near}? (or --arch SPEC for a network's kernel)" : "or --arch SPEC for a network's kernel.");
        if (r.GetResult(Get) is { Implicit: false })
            throw new CliError($"--get applies only to a network's kernel (--arch), not to --kernel {kernelName}.", "drop --get, or give --arch SPEC instead of --kernel.");
        if (name is "none" or "linear") RejectGiven(r, $"--kernel {name}", Gamma, Coef0, Degree);
        else if (name is not ("polynomial" or "poly")) RejectGiven(r, $"--kernel {name}", Coef0, Degree);
        double gamma = r.GetValue(Gamma) ?? 1.0 / Math.Max(features, 1);
        return name switch
        {
            "none" => null,
            "linear" => ClassicalKernel.Linear(),
            "gaussian" or "rbf" => ClassicalKernel.Gaussian(gamma),
            "laplace" or "laplacian" => ClassicalKernel.Laplace(gamma),
            "polynomial" or "poly" => ClassicalKernel.Polynomial(gamma, r.GetValue(Coef0), r.GetValue(Degree)),
            _ => throw new CliError($"--kernel: unknown kernel '{kernelName}'."),
        };
    }
}
