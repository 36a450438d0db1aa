using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>Finite-width twins of the image layers (docs/MATH.md §3): rows are images, columns H·W·C features in H, W, C order.</summary>
internal static class FiniteImageLayers
{
    /// <summary>Gathers the window patches of every image: (n·P_out) × (|F|·C), zeros where the window covers padding.</summary>
    private static Matrix Patches(Matrix h, WindowGeometry g, int c)
    {
        int n = h.Rows, po = g.OutPixels, f = g.WindowSize;
        var m = new Matrix(n * po, f * c);
        for (int a = 0; a < n; a++)
        {
            var x = h.Row(a);
            for (int o = 0; o < po; o++)
            {
                var dst = m.Row(a * po + o);
                for (int k = 0; k < f; k++)
                {
                    int ip = g.Index[o * f + k];
                    if (ip >= 0) x.Slice(ip * c, c).CopyTo(dst.Slice(k * c, c));
                }
            }
        }
        return m;
    }

    /// <summary>Scatters patch gradients back onto the images (the adjoint of <see cref="Patches"/>).</summary>
    private static Matrix Scatter(Matrix dPatches, WindowGeometry g, int c, int n)
    {
        int po = g.OutPixels, f = g.WindowSize, pin = g.InHeight * g.InWidth;
        var d = new Matrix(n, pin * c);
        for (int a = 0; a < n; a++)
        {
            var dst = d.Row(a);
            for (int o = 0; o < po; o++)
            {
                var src = dPatches.Row(a * po + o);
                for (int k = 0; k < f; k++)
                {
                    int ip = g.Index[o * f + k];
                    if (ip < 0) continue;
                    for (int ch = 0; ch < c; ch++) dst[ip * c + ch] += src[k * c + ch];
                }
            }
        }
        return d;
    }

    /// <summary>z[p, c'] = σw/√(|F|·C)·Σ W[δ, c, c']·h[p + δ, c] + σb·b[c'], W, b ~ N(0, 1) ('ntk' parameterization).</summary>
    internal sealed class FiniteConv : FiniteLayer
    {
        private readonly WindowGeometry _g;
        private readonly int _cin, _cout;
        private readonly Matrix _w;       // (|F|·C_in) × C_out
        private readonly Matrix? _b;      // 1 × C_out
        private readonly double _scale, _biasScale;
        private Matrix? _patches;

        public FiniteConv(Conv layer, WindowGeometry g, int cin, int cout, Random rng)
        {
            _g = g; _cin = cin; _cout = cout;
            _w = new Matrix(g.WindowSize * cin, cout);
            Dense.FillGaussian(_w.Data, 1, rng);
            if (layer.BiasStd != 0) { _b = new Matrix(1, cout); Dense.FillGaussian(_b.Data, 1, rng); }
            _scale = layer.WeightStd / Math.Sqrt(g.WindowSize * cin);
            _biasScale = layer.BiasStd;
        }

        public override int OutputWidth => _g.OutPixels * _cout;
        public override IEnumerable<Matrix> Parameters => _b is null ? [_w] : [_w, _b];

        public override Matrix Forward(Matrix h)
        {
            _patches = Patches(h, _g, _cin);
            var z = LinearAlgebra.Multiply(_patches, _w);                    // (n·P_out) × C_out
            for (int r = 0; r < z.Rows; r++)
            {
                var row = z.Row(r);
                for (int j = 0; j < _cout; j++) row[j] = _scale * row[j] + (_b is null ? 0 : _biasScale * _b.Data[j]);
            }
            return new Matrix(h.Rows, OutputWidth, z.Data);                  // rows already in H, W, C order
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var p = _patches ?? throw new InvalidOperationException("Backward before Forward.");
            int n = delta.Rows, po = _g.OutPixels, fc = _g.WindowSize * _cin;
            var d = new Matrix(n * po, _cout, delta.Data);                  // (n·P_out) × C_out
            if (into.Ntk is { } ntk)
            {
                // ∂f_a/∂W = scale·P_aᵀ·D_a; the NTK gains scale²·⟨G_a, G_b⟩ + σb²·⟨Σ_p D_a, Σ_p D_b⟩.
                var g = new Matrix(n, fc * _cout);
                var bsum = new Matrix(n, _cout);
                for (int a = 0; a < n; a++)
                {
                    var pa = new Matrix(po, fc, p.Data.AsSpan(a * po * fc, po * fc).ToArray());
                    var da = new Matrix(po, _cout, d.Data.AsSpan(a * po * _cout, po * _cout).ToArray());
                    LinearAlgebra.Multiply(pa, da, Op.Transpose).Data.CopyTo(g.Row(a));
                    for (int o = 0; o < po; o++) for (int j = 0; j < _cout; j++) bsum[a, j] += da[o, j];
                }
                var gg = LinearAlgebra.Multiply(g, g, Op.None, Op.Transpose);
                var bb = LinearAlgebra.Multiply(bsum, bsum, Op.None, Op.Transpose);
                double s2 = _scale * _scale, b2 = _b is null ? 0 : _biasScale * _biasScale;
                for (int k = 0; k < ntk.Data.Length; k++) ntk.Data[k] += s2 * gg.Data[k] + b2 * bb.Data[k];
            }
            if (into.Gradient(_w) is { } gw)
            {
                // ∂L/∂W = scale·Pᵀ·D over every image and output pixel ((|F|·C_in) × C_out), accumulated.
                LinearAlgebra.Provider.Gemm(Op.Transpose, Op.None, fc, _cout, n * po, _scale, p.Data, Math.Max(fc, 1), d.Data, Math.Max(_cout, 1), 1, gw.Data, Math.Max(_cout, 1));
            }
            if (_b is not null && into.Gradient(_b) is { } gb)
            {
                for (int r = 0; r < n * po; r++) for (int j = 0; j < _cout; j++) gb.Data[j] += _biasScale * d.Data[r * _cout + j];
            }
            var dp = LinearAlgebra.Multiply(d, _w, Op.None, Op.Transpose);   // (n·P_out) × (|F|·C_in)
            for (int k = 0; k < dp.Data.Length; k++) dp.Data[k] *= _scale;
            return Scatter(dp, _g, _cin, n);
        }
    }

    /// <summary>h'[q, c] = (1/|F|)·Σ_{p∈window(q)} h[p, c] (padded cells count as zeros).</summary>
    internal sealed class FiniteAvgPool(WindowGeometry g, int c) : FiniteLayer
    {
        public override int OutputWidth => g.OutPixels * c;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            var p = Patches(h, g, c);
            int n = h.Rows, po = g.OutPixels, f = g.WindowSize;
            var y = new Matrix(n, po * c);
            for (int r = 0; r < n * po; r++)
            {
                var src = p.Row(r);
                var dst = y.Data.AsSpan(r * c, c);
                for (int k = 0; k < f; k++) for (int ch = 0; ch < c; ch++) dst[ch] += src[k * c + ch] / f;
            }
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            int n = delta.Rows, po = g.OutPixels, f = g.WindowSize;
            var dp = new Matrix(n * po, f * c);
            for (int r = 0; r < n * po; r++)
                for (int k = 0; k < f; k++) for (int ch = 0; ch < c; ch++) dp[r, k * c + ch] = delta.Data[r * c + ch] / f;
            return Scatter(dp, g, c, n);
        }
    }

    /// <summary>h'[c] = (1/P)·Σ_p h[p, c].</summary>
    internal sealed class FiniteGlobalAvgPool(int pixels, int c) : FiniteLayer
    {
        public override int OutputWidth => c;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            var y = new Matrix(h.Rows, c);
            for (int a = 0; a < h.Rows; a++)
                for (int p = 0; p < pixels; p++) for (int ch = 0; ch < c; ch++) y[a, ch] += h[a, p * c + ch] / pixels;
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var d = new Matrix(delta.Rows, pixels * c);
            for (int a = 0; a < delta.Rows; a++)
                for (int p = 0; p < pixels; p++) for (int ch = 0; ch < c; ch++) d[a, p * c + ch] = delta[a, ch] / pixels;
            return d;
        }
    }

    /// <summary>Flatten: the H, W, C row is already the flat vector.</summary>
    internal sealed class FiniteFlatten(int width) : FiniteLayer
    {
        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];
        public override Matrix Forward(Matrix h) => h;
        public override Matrix Backward(Matrix delta, Backprop into) => delta;
    }

    /// <summary>Layers in sequence.</summary>
    internal sealed class FiniteChain(List<FiniteLayer> parts) : FiniteLayer
    {
        public override int OutputWidth => parts[^1].OutputWidth;
        public override IEnumerable<Matrix> Parameters => parts.SelectMany(p => p.Parameters);
        public override Matrix Forward(Matrix h) { foreach (var p in parts) h = p.Forward(h); return h; }
        public override Matrix Backward(Matrix delta, Backprop into)
        {
            for (int i = parts.Count - 1; i >= 0; i--) delta = parts[i].Backward(delta, into);
            return delta;
        }
    }
}
