using System.Buffers;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Parallel branches fed the same input and multiplied elementwise, h = h₁∘h₂∘… (Neural Tangents
/// <c>FanOut</c> + <c>parallel</c> + <c>FanInProd</c>; spec <c>product{A | B}</c>). For independent
/// branches (all but one end with a dense layer, whose fresh zero-mean weights make its output independent
/// of the others in infinite width) the moments factor: nngp = Π_b K_b, cov = Π_b cov_b and, by the
/// product rule with disjoint parameters, Θ = Σ_b Θ_b·Π_{c≠b} K_c (docs/LAYERS.md, "Dropout, layer_norm,
/// sum pooling, product"). A product of Gaussians is not Gaussian: an activation right after a product is
/// refused (insert a dense layer). Branches act on vectors only (no conv or pooling inside).
/// </summary>
public sealed class ProductFanIn : Layer
{
    /// <summary>Creates the product of branches.</summary>
    /// <exception cref="ArgumentException">No branch; more than one branch not ending with a dense layer;
    /// a branch with image layers.</exception>
    public ProductFanIn(IEnumerable<Layer> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        Branches = branches.ToArray();
        if (Branches.Count == 0) throw new ArgumentException("product needs at least one branch.", nameof(branches));
        foreach (var b in Branches) ArgumentNullException.ThrowIfNull(b, nameof(branches));
        if (Branches.Count(b => !b.EndsWithDense) > 1)
            throw new ArgumentException(
                $"product{{…}} multiplies its branches, and the kernel of a product is the product of the kernels only for independent branches: " +
                $"end all but one branch with a dense layer (e.g. product{{dense | dense erf dense}}). " +
                $"Branches not ending with dense: {string.Join(", ", Branches.Where(b => !b.EndsWithDense).Select(b => "'" + b + "'"))}.", nameof(branches));
        if (Branches.FirstOrDefault(ConvolutionalKernel.HasImageLayers) is { } image)
            throw new ArgumentException(
                $"product{{…}}: branch '{image}' has image layers (conv, pooling, flatten), which the product does not support; put the product after the readout (flatten or global_avg_pool).", nameof(branches));
    }

    /// <summary>The branches.</summary>
    public IReadOnlyList<Layer> Branches { get; }

    /// <inheritdoc />
    public override bool HasNtk => Branches.All(b => b.HasNtk);

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        double n = 1, c1 = 1, c2 = 1, t = 0;
        foreach (var b in Branches)
        {
            var s = b.Apply(state);
            t = t * s.Nngp + n * s.Ntk;   // Θ of the product so far: (Π K)' = Θ_new·Π K + K_new·Θ_so_far
            n *= s.Nngp; c1 *= s.Cov1; c2 *= s.Cov2;
        }
        return state with { Nngp = n, Ntk = t, Cov1 = c1, Cov2 = c2, Width = OutputWidth(state.Width), IsGaussian = false };
    }

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth)
    {
        var widths = Branches.Select(b => b.OutputWidth(inputWidth)).ToArray();
        if (widths.Any(w => w is null)) return null;
        if (widths.Distinct().Count() > 1)
            throw new InvalidOperationException($"{this}: the branches end with different widths ({string.Join(", ", widths)}); an elementwise product needs equal widths.");
        return widths[0];
    }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        var input = pass.Cov;
        int? width = pass.Width;
        var acc = new double[input.Length];
        Array.Fill(acc, 1.0);
        foreach (var b in Branches)
        {
            pass.Cov = (double[])input.Clone();
            pass.Width = width;
            b.Diagonal(pass);
            for (int i = 0; i < acc.Length; i++) acc[i] *= pass.Cov[i];
        }
        pass.Cov = acc;
        pass.Width = OutputWidth(width);
    }

    /// <inheritdoc />
    internal override void Row(RowPass pass)
    {
        int len = pass.Len;
        var pool = ArrayPool<double>.Shared;
        double[] n0 = pool.Rent(len), t0 = pool.Rent(len), nAcc = pool.Rent(len), tAcc = pool.Rent(len);
        try
        {
            pass.NngpRow.CopyTo(n0); pass.NtkRow.CopyTo(t0);
            Array.Fill(nAcc, 1.0, 0, len); Array.Clear(tAcc, 0, len);
            foreach (var b in Branches)
            {
                n0.AsSpan(0, len).CopyTo(pass.Nngp); if (pass.WithNtk) t0.AsSpan(0, len).CopyTo(pass.Ntk);
                b.Row(pass);
                for (int j = 0; j < len; j++)
                {
                    tAcc[j] = tAcc[j] * pass.Nngp[j] + nAcc[j] * pass.Ntk[j];
                    nAcc[j] *= pass.Nngp[j];
                }
            }
            for (int j = 0; j < len; j++) { pass.Nngp[j] = nAcc[j]; pass.Ntk[j] = tAcc[j]; }
        }
        finally { pool.Return(n0); pool.Return(t0); pool.Return(nAcc); pool.Return(tAcc); }
    }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng)
    {
        var parts = Branches.Select(b => b.Initialize(inputWidth, width, rng)).ToList();
        if (parts.Select(p => p.OutputWidth).Distinct().Count() > 1)
            throw new InvalidOperationException($"{this}: the finite branches have different widths ({string.Join(", ", parts.Select(p => p.OutputWidth))}); an elementwise product needs equal widths.");
        return new FiniteProduct(parts);
    }

    /// <inheritdoc />
    public override string ToString() => "product{" + string.Join(" | ", Branches) + "}";

    private sealed class FiniteProduct(List<FiniteLayer> parts) : FiniteLayer
    {
        private List<Matrix> _outs = [];

        public override int OutputWidth => parts[0].OutputWidth;
        public override IEnumerable<Matrix> Parameters => parts.SelectMany(p => p.Parameters);

        public override Matrix Forward(Matrix h)
        {
            _outs = parts.Select(p => p.Forward(h)).ToList();
            var y = new Matrix(h.Rows, OutputWidth);
            Array.Fill(y.Data, 1.0);
            foreach (var o in _outs)
                for (int k = 0; k < y.Data.Length; k++) y.Data[k] *= o.Data[k];
            return y;
        }

        /// <summary>∂(Π_c h_c)/∂h_b = Π_{c≠b} h_c: each branch gets δ times the other branches' outputs.</summary>
        public override Matrix Backward(Matrix delta, Backprop into)
        {
            if (_outs.Count != parts.Count) throw new InvalidOperationException("Backward before Forward.");
            Matrix? dIn = null;
            for (int b = 0; b < parts.Count; b++)
            {
                var d = new Matrix(delta.Rows, delta.Cols);
                for (int k = 0; k < d.Data.Length; k++)
                {
                    double v = delta.Data[k];
                    for (int c = 0; c < parts.Count; c++) if (c != b) v *= _outs[c].Data[k];
                    d.Data[k] = v;
                }
                var di = parts[b].Backward(d, into);
                if (dIn is null) dIn = di;
                else for (int k = 0; k < di.Data.Length; k++) dIn.Data[k] += di.Data[k];
            }
            return dIn!;
        }
    }
}
