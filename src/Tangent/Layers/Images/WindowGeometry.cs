using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// The geometry of a sliding window over an H×W grid: for each output pixel the input pixels under
/// the window, offset by offset (−1 where the window covers zero padding). Shared by the kernel
/// rules and the finite-width twins so both see the same alignment.
/// </summary>
internal sealed class WindowGeometry
{
    public readonly int InHeight, InWidth, OutHeight, OutWidth, WindowSize;
    /// <summary>Input pixel (or −1) for output pixel o and window offset k: Index[o·WindowSize + k].</summary>
    public readonly int[] Index;

    public WindowGeometry(int inHeight, int inWidth, int kh, int kw, int sh, int sw, Padding padding, string layer)
    {
        InHeight = inHeight; InWidth = inWidth; WindowSize = kh * kw;
        (OutHeight, int padTop) = Axis(inHeight, kh, sh, padding, layer, "height");
        (OutWidth, int padLeft) = Axis(inWidth, kw, sw, padding, layer, "width");
        Index = new int[OutHeight * OutWidth * WindowSize];
        int n = 0;
        for (int oy = 0; oy < OutHeight; oy++)
            for (int ox = 0; ox < OutWidth; ox++)
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int y = oy * sh - padTop + dy, x = ox * sw - padLeft + dx;
                        if (padding == Padding.Circular) { y = Mod(y, inHeight); x = Mod(x, inWidth); }
                        Index[n++] = y < 0 || y >= inHeight || x < 0 || x >= inWidth ? -1 : y * inWidth + x;
                    }
    }

    private WindowGeometry(int inHeight, int inWidth, int outHeight, int outWidth, int windowSize, int[] index)
    {
        InHeight = inHeight; InWidth = inWidth; OutHeight = outHeight; OutWidth = outWidth; WindowSize = windowSize; Index = index;
    }

    /// <summary>
    /// The geometry of a transposed convolution (Neural Tangents <c>stax.ConvTranspose</c>, i.e. JAX's
    /// <c>lax.conv_transpose</c>, a stride-1 convolution over the input dilated by s and padded by pad before):
    /// output pixel o reads, under tap δ, the input pixel i(o, δ) = (o + δ − pad)/s when that is a whole number
    /// in range, else nothing (−1); equivalently each input pixel i is spread to the outputs i·s + pad − δ. Per axis, VALID: out = in·s + max(k − s, 0), pad = k − 1; SAME: out = in·s,
    /// pad = k − 1 when s &gt; k − 1, else ⌈(k + s − 2)/2⌉ (docs/MATH.md, "Transposed convolution").
    /// </summary>
    /// <exception cref="ArgumentException">Circular padding (not supported for the transpose).</exception>
    public static WindowGeometry Transposed(int inHeight, int inWidth, int kh, int kw, int sh, int sw, Padding padding, string layer)
    {
        if (padding == Padding.Circular)
            throw new ArgumentException($"{layer}: padding=circular is not supported for conv_transpose; use padding=same or padding=valid.");
        var (oh, ph) = TransposedAxis(inHeight, kh, sh, padding);
        var (ow, pw) = TransposedAxis(inWidth, kw, sw, padding);
        int f = kh * kw;
        var index = new int[oh * ow * f];
        int n = 0;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int y = Source(oy, dy, ph, sh, inHeight), x = Source(ox, dx, pw, sw, inWidth);
                        index[n++] = y < 0 || x < 0 ? -1 : y * inWidth + x;
                    }
        return new WindowGeometry(inHeight, inWidth, oh, ow, f, index);
    }

    /// <summary>The input coordinate (o + δ − pad)/s of the transpose, or −1 when it is not a whole number in range.</summary>
    private static int Source(int o, int d, int pad, int s, int n)
    {
        int m = o + d - pad;
        if (m < 0 || m % s != 0) return -1;
        int i = m / s;
        return i < n ? i : -1;
    }

    private static (int Out, int Pad) TransposedAxis(int n, int k, int s, Padding padding) => padding == Padding.Valid
        ? (n * s + Math.Max(k - s, 0), k - 1)
        : (n * s, s > k - 1 ? k - 1 : (k + s - 1) / 2);

    public int OutPixels => OutHeight * OutWidth;

    private static int Mod(int a, int m) => ((a % m) + m) % m;

    private static (int Out, int PadBefore) Axis(int n, int k, int s, Padding padding, string layer, string axis)
    {
        if (padding == Padding.Valid)
        {
            if (n < k)
                throw new ArgumentException($"{layer}: the image {axis} is {n} but the window is {k} with padding=valid; use padding=same, a smaller size, or fewer pooling layers before it.");
            return ((n - k) / s + 1, 0);
        }
        int outN = (n + s - 1) / s;
        int total = Math.Max((outN - 1) * s + k - n, 0);
        return (outN, total / 2);
    }

    /// <summary>Gathers the window patches of every image: (n·P_out) × (|F|·C), zeros where the window covers padding.</summary>
    public static Matrix Patches(Matrix h, WindowGeometry g, int c)
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
    public static Matrix Scatter(Matrix dPatches, WindowGeometry g, int c, int n)
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
}
