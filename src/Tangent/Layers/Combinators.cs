using System.Buffers;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>Serial composition: the kernel rule is the fold k ← fᵢ(k) (Neural Tangents <c>stax.serial</c>).</summary>
public sealed class Serial : Layer
{
    /// <summary>Composes layers, first applied first.</summary>
    public Serial(IEnumerable<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = layers.ToArray();
        foreach (var l in Layers) ArgumentNullException.ThrowIfNull(l, nameof(layers));
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <inheritdoc />
    public override bool HasNtk => Layers.All(l => l.HasNtk);

    /// <inheritdoc />
    internal override bool EndsWithDense => Layers.Count > 0 && Layers[^1].EndsWithDense;

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        foreach (var l in Layers) state = l.Apply(state);
        return state;
    }

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth)
    {
        foreach (var l in Layers) inputWidth = l.OutputWidth(inputWidth);
        return inputWidth;
    }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass) { foreach (var l in Layers) l.Diagonal(pass); }

    /// <inheritdoc />
    internal override void Row(RowPass pass) { foreach (var l in Layers) l.Row(pass); }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng)
    {
        var parts = new List<FiniteLayer>();
        foreach (var l in Layers)
        {
            var f = l.Initialize(inputWidth, width, rng);
            parts.Add(f);
            inputWidth = f.OutputWidth;
        }
        return new FiniteSerial(parts, inputWidth);
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(" ", Layers.Select(l => l is Serial ? "{" + l + "}" : l.ToString()));

    private sealed class FiniteSerial(List<FiniteLayer> parts, int outWidth) : FiniteLayer
    {
        public override int OutputWidth => outWidth;
        public override IEnumerable<Matrix> Parameters => parts.SelectMany(p => p.Parameters);
        public override Matrix Forward(Matrix h) { foreach (var p in parts) h = p.Forward(h); return h; }
        public override Matrix Backward(Matrix delta, Backprop into)
        {
            for (int i = parts.Count - 1; i >= 0; i--) delta = parts[i].Backward(delta, into);
            return delta;
        }
    }
}

/// <summary>The body applied <see cref="Count"/> times (independent parameters in the finite twin).</summary>
public sealed class Repeat : Layer
{
    /// <summary>Repeats <paramref name="body"/> <paramref name="count"/> times.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 1.</exception>
    public Repeat(int count, Layer body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"repeat: the count must be ≥ 1, got {count}.");
        Count = count; Body = body;
    }

    /// <summary>How many times.</summary>
    public int Count { get; }
    /// <summary>The repeated layer.</summary>
    public Layer Body { get; }

    /// <inheritdoc />
    public override bool HasNtk => Body.HasNtk;

    /// <inheritdoc />
    internal override bool EndsWithDense => Body.EndsWithDense;

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        for (int i = 0; i < Count; i++) state = Body.Apply(state);
        return state;
    }

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth)
    {
        for (int i = 0; i < Count; i++) inputWidth = Body.OutputWidth(inputWidth);
        return inputWidth;
    }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass) { for (int i = 0; i < Count; i++) Body.Diagonal(pass); }

    /// <inheritdoc />
    internal override void Row(RowPass pass) { for (int i = 0; i < Count; i++) Body.Row(pass); }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng) =>
        new Serial(Enumerable.Repeat(Body, Count)).Initialize(inputWidth, width, rng);

    /// <inheritdoc />
    public override string ToString() => $"repeat({Count}){{{Body}}}";
}

/// <summary>
/// Parallel branches (named ParallelBranches to stay clear of System.Threading.Tasks.Parallel) fed the same input and merged by <see cref="FanIn"/> (Neural Tangents
/// <c>FanOut</c> + <c>parallel</c> + <c>FanInSum</c>/<c>FanInConcat</c>): sum adds the branch
/// states; concat (equal branch widths) averages them.
/// </summary>
public sealed class ParallelBranches : Layer
{
    /// <summary>Creates parallel branches.</summary>
    /// <exception cref="ArgumentException">Fewer than one branch.</exception>
    public ParallelBranches(FanIn fanIn, IEnumerable<Layer> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        Branches = branches.ToArray();
        if (Branches.Count == 0) throw new ArgumentException("parallel needs at least one branch.", nameof(branches));
        FanIn = fanIn;
        // The sum's kernel is the sum of the branch kernels only when the branches are uncorrelated;
        // a branch that ends with a dense layer (fresh zero-mean weights) is uncorrelated with any other.
        if (fanIn == FanIn.Sum && Branches.Count(b => !b.EndsWithDense) > 1)
            throw new ArgumentException(
                $"parallel{{…}} sums its branches, and the kernel of a sum is the sum of the kernels only for uncorrelated branches: " +
                $"end all but one branch with a dense layer (as in a residual block, parallel{{identity | dense relu dense}}), or use concat{{…}}. " +
                $"Branches not ending with dense: {string.Join(", ", Branches.Where(b => !b.EndsWithDense).Select(b => "'" + b + "'"))}.");
    }

    /// <summary>How the branches merge.</summary>
    public FanIn FanIn { get; }
    /// <summary>The branches.</summary>
    public IReadOnlyList<Layer> Branches { get; }

    /// <inheritdoc />
    public override bool HasNtk => Branches.All(b => b.HasNtk);

    /// <inheritdoc />
    internal override bool EndsWithDense => Branches.All(b => b.EndsWithDense);

    private double Scale => FanIn == FanIn.Sum ? 1 : 1.0 / Branches.Count;

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        double n = 0, t = 0, c1 = 0, c2 = 0;
        bool gaussian = true;
        foreach (var b in Branches)
        {
            var s = b.Apply(state);
            n += s.Nngp; t += s.Ntk; c1 += s.Cov1; c2 += s.Cov2;
            gaussian &= s.IsGaussian;
        }
        double k = Scale;
        // A sum of jointly Gaussian fields is Gaussian; concatenated channel groups have different
        // variances, so the mean kernel is no Gaussian pre-activation (unless there is one group).
        if (FanIn == FanIn.Concat && Branches.Count > 1) gaussian = false;
        return state with { Nngp = k * n, Ntk = k * t, Cov1 = k * c1, Cov2 = k * c2, Width = OutputWidth(state.Width), IsGaussian = gaussian };
    }

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth)
    {
        var widths = Branches.Select(b => b.OutputWidth(inputWidth)).ToArray();
        if (widths.Any(w => w is null)) return null;
        if (widths.Distinct().Count() > 1)
            throw new InvalidOperationException($"{this}: the branches end with different widths ({string.Join(", ", widths)}); give them equal widths.");
        return FanIn == FanIn.Sum ? widths[0] : widths.Sum();
    }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        pass.Record();
        var input = pass.Cov;
        int? width = pass.Width;
        var acc = new double[input.Length];
        foreach (var b in Branches)
        {
            pass.Cov = (double[])input.Clone();
            pass.Width = width;
            b.Diagonal(pass);
            for (int i = 0; i < acc.Length; i++) acc[i] += pass.Cov[i];
        }
        double k = Scale;
        for (int i = 0; i < acc.Length; i++) acc[i] *= k;
        pass.Cov = acc;
        pass.Width = OutputWidth(width);
    }

    /// <inheritdoc />
    internal override void Row(RowPass pass)
    {
        pass.Slot++;
        int len = pass.Len;
        var pool = ArrayPool<double>.Shared;
        double[] n0 = pool.Rent(len), t0 = pool.Rent(len), nAcc = pool.Rent(len), tAcc = pool.Rent(len);
        try
        {
            pass.NngpRow.CopyTo(n0); pass.NtkRow.CopyTo(t0);
            Array.Clear(nAcc, 0, len); Array.Clear(tAcc, 0, len);
            foreach (var b in Branches)
            {
                n0.AsSpan(0, len).CopyTo(pass.Nngp); if (pass.WithNtk) t0.AsSpan(0, len).CopyTo(pass.Ntk);
                b.Row(pass);
                for (int j = 0; j < len; j++) { nAcc[j] += pass.Nngp[j]; tAcc[j] += pass.Ntk[j]; }
            }
            double k = Scale;
            for (int j = 0; j < len; j++) { pass.Nngp[j] = k * nAcc[j]; pass.Ntk[j] = k * tAcc[j]; }
        }
        finally { pool.Return(n0); pool.Return(t0); pool.Return(nAcc); pool.Return(tAcc); }
    }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng)
    {
        var parts = Branches.Select(b => b.Initialize(inputWidth, width, rng)).ToList();
        if (parts.Select(p => p.OutputWidth).Distinct().Count() > 1)
            throw new InvalidOperationException($"{this}: the finite branches have different widths ({string.Join(", ", parts.Select(p => p.OutputWidth))}).");
        return new FiniteParallel(FanIn, parts);
    }

    /// <inheritdoc />
    public override string ToString() =>
        (FanIn == FanIn.Sum ? "parallel" : "concat") + "{" + string.Join(" | ", Branches) + "}";

    private sealed class FiniteParallel(FanIn fanIn, List<FiniteLayer> parts) : FiniteLayer
    {
        private readonly int _w = parts[0].OutputWidth;
        public override int OutputWidth => fanIn == FanIn.Sum ? _w : _w * parts.Count;
        public override IEnumerable<Matrix> Parameters => parts.SelectMany(p => p.Parameters);

        public override Matrix Forward(Matrix h)
        {
            var outs = parts.Select(p => p.Forward(h)).ToList();
            var y = new Matrix(h.Rows, OutputWidth);
            for (int b = 0; b < outs.Count; b++)
                for (int i = 0; i < h.Rows; i++)
                    for (int j = 0; j < _w; j++)
                    {
                        if (fanIn == FanIn.Sum) y[i, j] += outs[b][i, j];
                        else y[i, b * _w + j] = outs[b][i, j];
                    }
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            Matrix? dIn = null;
            for (int b = 0; b < parts.Count; b++)
            {
                // Inside a network's pass a branch may overwrite the δ it gets (FiniteScope): all but the last get a copy.
                var d = fanIn != FanIn.Sum ? delta.SelectColumns(Enumerable.Range(b * _w, _w).ToArray())
                    : b < parts.Count - 1 && FiniteScope.Active ? delta.Clone() : delta;
                var di = parts[b].Backward(d, into);
                if (dIn is null) dIn = di;
                else for (int k = 0; k < di.Data.Length; k++) dIn.Data[k] += di.Data[k];
            }
            return dIn!;
        }
    }
}
