namespace Tangent.Layers;

/// <summary>
/// The infinite-width kernel state of one pair of inputs (x1, x2) between two layers (docs/MATH.md §2):
/// the NNGP covariance q12, the NTK Θ, and the two diagonals q11 = K(x1, x1), q22 = K(x2, x2).
/// Layers map a state to the next state (<c>state with { ... }</c>), as Neural Tangents'
/// <c>Kernel.replace</c> does (Novak et al. 2020).
/// </summary>
/// <param name="Nngp">q12 = E[z(x1)·z(x2)] of the pre-activations.</param>
/// <param name="Ntk">Θ(x1, x2), the neural tangent kernel (Jacot et al. 2018).</param>
/// <param name="Cov1">q11, the variance at x1.</param>
/// <param name="Cov2">q22, the variance at x2.</param>
/// <param name="Width">Number of units feeding the next layer (the channel count), null when infinite.
/// Only the 'standard' parameterization reads it.</param>
/// <param name="IsGaussian">True when the signal is a zero-mean Gaussian pre-activation (the output of a
/// dense layer, or a sum of such outputs), the only input an activation's kernel rule is valid for
/// (docs/LAYERS.md, "Gaussian pre-activations"). False for the raw input, the output of an activation,
/// a concatenation, or a sum with such a branch; <see cref="Activation.Apply"/> then refuses. Hand-built
/// states default to true. <see cref="Architecture"/> checks the same thing once, statically, before any
/// computation, and rewrites what has an exact rule (consecutive activations, an activation after concat).</param>
public readonly record struct KernelState(double Nngp, double Ntk, double Cov1, double Cov2, int? Width = null, bool IsGaussian = true)
{
    /// <summary>
    /// The input state of docs/MATH.md §2: nngp = x1·x2/d, cov = ||x||²/d, ntk = 0, width d. The raw
    /// input is deterministic, not a Gaussian pre-activation (<see cref="IsGaussian"/> false).
    /// </summary>
    /// <exception cref="ArgumentException">The vectors have different lengths or are empty.</exception>
    public static KernelState FromInputs(ReadOnlySpan<double> x1, ReadOnlySpan<double> x2)
    {
        if (x1.Length != x2.Length)
            throw new ArgumentException($"Inputs have different lengths: {x1.Length} and {x2.Length}. Both must have the input dimension d.");
        if (x1.Length == 0) throw new ArgumentException("Inputs must have at least one feature (d ≥ 1).");
        double d = x1.Length;
        return new KernelState(Dot(x1, x2) / d, 0, Dot(x1, x1) / d, Dot(x2, x2) / d, x1.Length, IsGaussian: false);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}

/// <summary>Which kernel matrices to compute (flags: <c>Nngp | Ntk</c> asks for both).</summary>
[Flags]
public enum KernelOutputs
{
    /// <summary>The NNGP kernel K (the covariance of the infinite-width network at initialisation).</summary>
    Nngp = 1,
    /// <summary>The neural tangent kernel Θ.</summary>
    Ntk = 2,
    /// <summary>Both.</summary>
    Both = Nngp | Ntk,
}

/// <summary>How a dense layer scales its weights (docs/MATH.md §2).</summary>
public enum Parameterization
{
    /// <summary>z = (σw/√n_in)·W·h + σb·b with W, b ~ N(0, 1) (Jacot et al. 2018). The default.</summary>
    Ntk,
    /// <summary>z = W·h + b with W ~ N(0, σw²/n_in), b ~ N(0, σb²) (Sohl-Dickstein et al. 2020,
    /// arXiv 2001.07301, width scale s = 1). The NTK then grows with the input width.</summary>
    Standard,
}

/// <summary>How the outputs of parallel branches are merged.</summary>
public enum FanIn
{
    /// <summary>h = h₁ + h₂ + … (branches of equal width): the kernel states add.</summary>
    Sum,
    /// <summary>h = [h₁, h₂, …] along the channels (branches of equal width): the kernel of the
    /// concatenation is the mean of the branch kernels (each channel averaged with weight 1/n). The channel
    /// groups have different variances, so an activation that follows goes through each group separately
    /// (<see cref="Architecture"/> moves it into the branches).</summary>
    Concat,
}

/// <summary>
/// The kernel matrices asked for. <see cref="Nngp"/> and <see cref="Ntk"/> are never null: asking for
/// one that was not computed throws, naming the flag to ask for; <see cref="HasNngp"/> and
/// <see cref="HasNtk"/> say which are there.
/// </summary>
public sealed class KernelResult
{
    private readonly Numerics.Matrix? _nngp, _ntk;

    /// <summary>Wraps the computed matrices (null for one not asked for; at least one must be given).</summary>
    /// <exception cref="ArgumentException">Both are null.</exception>
    public KernelResult(Numerics.Matrix? nngp, Numerics.Matrix? ntk)
    {
        if (nngp is null && ntk is null) throw new ArgumentException("A kernel result holds at least one of the NNGP and the NTK.");
        _nngp = nngp;
        _ntk = ntk;
    }

    /// <summary>K(X1, X2), n1×n2.</summary>
    /// <exception cref="InvalidOperationException">The NNGP was not asked for.</exception>
    public Numerics.Matrix Nngp => _nngp ?? throw new InvalidOperationException("The NNGP was not computed: ask for KernelOutputs.Nngp (or Both).");

    /// <summary>Θ(X1, X2), n1×n2.</summary>
    /// <exception cref="InvalidOperationException">The NTK was not asked for.</exception>
    public Numerics.Matrix Ntk => _ntk ?? throw new InvalidOperationException("The NTK was not computed: ask for KernelOutputs.Ntk (or Both).");

    /// <summary>The NNGP if it was computed, else null (for code that passes an optional kernel on).</summary>
    public Numerics.Matrix? NngpOrNull => _nngp;

    /// <summary>The NTK if it was computed, else null.</summary>
    public Numerics.Matrix? NtkOrNull => _ntk;

    /// <summary>True when the NNGP was computed.</summary>
    public bool HasNngp => _nngp is not null;

    /// <summary>True when the NTK was computed.</summary>
    public bool HasNtk => _ntk is not null;

    /// <summary>The computed matrices with their names (for checks over whatever was asked for).</summary>
    public IEnumerable<(Numerics.Matrix Matrix, string Name)> Computed()
    {
        if (_nngp is not null) yield return (_nngp, "NNGP");
        if (_ntk is not null) yield return (_ntk, "NTK");
    }
}
