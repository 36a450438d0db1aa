using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// A layer with both of its lives (as Neural Tangents' <c>init_fn, apply_fn, kernel_fn</c>,
/// Novak et al. 2020): its infinite-width kernel rule <see cref="Apply"/> (a pure map from one
/// <see cref="KernelState"/> to the next, docs/MATH.md §2) and its finite-width twin
/// <see cref="Initialize"/> (parameters drawn N(0, 1) and a forward/backward pass, docs/MATH.md §3).
/// Layers are immutable and can be shared between architectures.
/// </summary>
public abstract partial class Layer
{
    /// <summary>The kernel rule: the state after this layer, for one pair of inputs.</summary>
    /// <exception cref="InvalidOperationException">The layer needs information the state lacks
    /// (a 'standard' dense layer whose input width is unknown).</exception>
    public abstract KernelState Apply(KernelState state);

    /// <summary>The layer in the architecture spec language (docs/LAYERS.md); parses back to an equal layer.</summary>
    public abstract override string ToString();

    /// <summary>False when the layer has no NTK (sign: its derivative is a Dirac delta).</summary>
    public virtual bool HasNtk => true;

    /// <summary>The finite-width twin: draws the parameters (N(0, 1) in the 'ntk' parameterization,
    /// N(0, σ²/n_in) in the 'standard' one) for a network of the given width.</summary>
    /// <param name="inputWidth">Units coming in.</param>
    /// <param name="width">Width of dense layers that do not fix their own.</param>
    /// <param name="rng">Random source.</param>
    public abstract FiniteLayer Initialize(int inputWidth, int width, Random rng);

    /// <summary>True when the layer's output comes from a dense layer with fresh zero-mean weights,
    /// which makes it uncorrelated with any other branch of a <see cref="ParallelBranches"/> sum.</summary>
    internal virtual bool EndsWithDense => false;

    /// <summary>The output width given the input width (null = infinite/unknown).</summary>
    internal virtual int? OutputWidth(int? inputWidth) => inputWidth;

    /// <summary>Diagonal pass: records this layer's input diagonal (a slot), then maps it.</summary>
    internal abstract void Diagonal(DiagonalPass pass);

    /// <summary>Row pass: maps one row segment of the nngp/ntk tile, reading slots in diagonal-pass order.</summary>
    internal abstract void Row(RowPass pass);
}

/// <summary>The finite-width twin of a layer: parameters and a forward/backward pass on a batch (rows = samples).</summary>
public abstract class FiniteLayer
{
    /// <summary>Units going out.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>The trainable parameters (the matrices themselves, not copies), for finite differences and training;
    /// a frozen layer's parameters are not listed (docs/LAYERS.md, "Frozen layers").</summary>
    public abstract IEnumerable<Matrix> Parameters { get; }

    /// <summary>Forward pass of a batch h (n×n_in) to n×n_out; keeps what <see cref="Backward"/> needs.</summary>
    public abstract Matrix Forward(Matrix h);

    /// <summary>
    /// Backward pass over the batch of the last <see cref="Forward"/>: given δ = ∂(·)/∂(output) (n×n_out),
    /// returns ∂(·)/∂(input) and, into <paramref name="into"/>, adds what was asked for: the gradient of
    /// every parameter it holds (Σ over the batch; δ = ∂L/∂f for training) and this layer's contribution
    /// Σ_θ ∂f(x_a)/∂θ·∂f(x_b)/∂θ to the empirical NTK (δ = ∂f/∂output, one scalar f per sample; docs/MATH.md §3).
    /// </summary>
    public abstract Matrix Backward(Matrix delta, Backprop into);
}

/// <summary>
/// What a backward pass accumulates (<see cref="FiniteLayer.Backward"/>): the gradients of chosen
/// parameters (accumulators keyed by the parameter matrix itself, so that composite layers need no
/// bookkeeping) and/or the empirical NTK of the batch.
/// </summary>
public sealed class Backprop
{
    private readonly Dictionary<Matrix, Matrix>? _gradients;

    /// <summary>Asks for the NTK (n×n, accumulated into) and/or the gradients of <paramref name="parameters"/>
    /// (zeroed accumulators of their shapes are created; read them with <see cref="Gradient"/>).</summary>
    public Backprop(Matrix? ntk = null, IEnumerable<Matrix>? parameters = null)
    {
        Ntk = ntk;
        if (parameters is not null)
            _gradients = parameters.ToDictionary<Matrix, Matrix, Matrix>(m => m, m => new Matrix(m.Rows, m.Cols), ReferenceEqualityComparer.Instance);
    }

    /// <summary>The NTK accumulator, or null when not asked for.</summary>
    public Matrix? Ntk { get; }

    /// <summary>True when gradients are asked for.</summary>
    public bool WantsGradients => _gradients is not null;

    /// <summary>The gradient accumulator of a parameter, or null when its gradient is not asked for.</summary>
    public Matrix? Gradient(Matrix parameter) => _gradients is not null && _gradients.TryGetValue(parameter, out var g) ? g : null;

    /// <summary>Zeroes every gradient accumulator (between training steps).</summary>
    public void ClearGradients()
    {
        if (_gradients is null) return;
        foreach (var g in _gradients.Values) Array.Clear(g.Data);
    }
}

/// <summary>A recorded diagonal (one per layer, in traversal order): the layer's input variance
/// q(x) for every input, its square root, and the input width.</summary>
internal sealed record DiagonalSlot(double[] Cov, double[] Sqrt, int? Width);

/// <summary>State of the diagonal pass over one input set.</summary>
internal sealed class DiagonalPass(double[] cov, int? width)
{
    public double[] Cov = cov;
    public int? Width = width;
    public readonly List<DiagonalSlot> Slots = [];

    public void Record()
    {
        var sqrt = new double[Cov.Length];
        for (int i = 0; i < sqrt.Length; i++) sqrt[i] = Math.Sqrt(Math.Max(Cov[i], 0));
        Slots.Add(new DiagonalSlot((double[])Cov.Clone(), sqrt, Width));
    }
}

/// <summary>State of the fused row pass: one row i of X1 against columns [J0, J0+Len) of X2.</summary>
internal sealed class RowPass(IReadOnlyList<DiagonalSlot> slots1, IReadOnlyList<DiagonalSlot> slots2, int capacity, bool withNtk)
{
    public readonly IReadOnlyList<DiagonalSlot> Slots1 = slots1, Slots2 = slots2;
    public readonly double[] Nngp = new double[capacity], Ntk = new double[capacity];
    /// <summary>The tile's block of X1·X2ᵀ/d (capacity² values).</summary>
    public readonly double[] Tile = new double[capacity * capacity];
    public readonly bool WithNtk = withNtk;
    public int I, J0, Len, Slot;

    public Span<double> NngpRow => Nngp.AsSpan(0, Len);
    public Span<double> NtkRow => WithNtk ? Ntk.AsSpan(0, Len) : Span<double>.Empty;
}
