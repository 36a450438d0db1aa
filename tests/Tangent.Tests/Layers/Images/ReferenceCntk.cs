using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Layers.Images;

/// <summary>
/// A deliberately plain re-derivation of the convolutional kernel rules for one pair of images, written
/// from 2-D coordinates (not the engine's window tables): full P×P covariances for K12, K11 and K22,
/// explicit loops over pixel pairs and filter offsets. Used to check both layouts of the engine.
/// </summary>
internal static class ReferenceCntk
{
    private sealed record State(double[,] K12, double[,] T12, double[,] K11, double[,] K22, int H, int W);

    public static (double Nngp, double Ntk) Pair(IReadOnlyList<Layer> layers, ImageShape shape, double[] x1, double[] x2)
    {
        int H = shape.Height, W = shape.Width, C = shape.Channels, P = H * W;
        double[,] In(double[] a, double[] b)
        {
            var k = new double[P, P];
            for (int p = 0; p < P; p++)
                for (int q = 0; q < P; q++)
                {
                    double s = 0;
                    for (int c = 0; c < C; c++) s += a[p * C + c] * b[q * C + c];
                    k[p, q] = s / C;
                }
            return k;
        }
        var st = new State(In(x1, x2), new double[P, P], In(x1, x1), In(x2, x2), H, W);
        int i = 0;
        for (; i < layers.Count; i++)
        {
            var l = layers[i];
            if (l is Flatten or GlobalAvgPool or Dense) break;
            st = l switch
            {
                ConvTranspose => throw new NotSupportedException("the plain reference reads conv geometry from 2-D coordinates; conv_transpose has its own tests"),
                Conv c => ConvRule(st, c),
                AvgPool a => PoolRule(st, a),
                Activation phi => ActRule(st, phi),
                _ => throw new NotSupportedException(l.ToString()),
            };
        }
        bool gap = i < layers.Count && layers[i] is GlobalAvgPool;
        if (i < layers.Count && layers[i] is Flatten or GlobalAvgPool) i++;
        double Read(double[,] k)
        {
            int n = k.GetLength(0); double s = 0;
            for (int p = 0; p < n; p++)
                for (int q = 0; q < n; q++)
                    if (gap || p == q) s += k[p, q];
            return s / (gap ? (double)n * n : n);
        }
        var ks = new KernelState(Read(st.K12), Read(st.T12), Read(st.K11), Read(st.K22));
        for (; i < layers.Count; i++) ks = layers[i].Apply(ks);
        return (ks.Nngp, ks.Ntk);
    }

    /// <summary>Input coordinate of output coordinate o and window offset d along an axis (−1 = zero padding).</summary>
    private static (int Out, Func<int, int, int> Map) Axis(int n, int k, int s, Tangent.Layers.Padding pad)
    {
        if (pad == Tangent.Layers.Padding.Valid) return ((n - k) / s + 1, (o, d) => o * s + d);
        int outN = (n + s - 1) / s, before = Math.Max((outN - 1) * s + k - n, 0) / 2;
        if (pad == Tangent.Layers.Padding.Circular) return (outN, (o, d) => (((o * s - before + d) % n) + n) % n);
        return (outN, (o, d) => { int y = o * s - before + d; return y < 0 || y >= n ? -1 : y; });
    }

    private static State ConvRule(State st, Conv c)
    {
        int kh = c.Dimensions == 2 ? c.Size : 1, kw = c.Size, sh = c.Dimensions == 2 ? c.Stride : 1, sw = c.Stride;
        var (oh, my) = Axis(st.H, kh, sh, c.Padding);
        var (ow, mx) = Axis(st.W, kw, sw, c.Padding);
        double w2 = c.WeightStd * c.WeightStd, b2 = c.BiasStd * c.BiasStd, f = kh * kw;
        double[,] Map(double[,] k, bool bias)
        {
            var o = new double[oh * ow, oh * ow];
            for (int y1 = 0; y1 < oh; y1++) for (int x1 = 0; x1 < ow; x1++)
                for (int y2 = 0; y2 < oh; y2++) for (int x2 = 0; x2 < ow; x2++)
                {
                    double s = 0;
                    for (int dy = 0; dy < kh; dy++) for (int dx = 0; dx < kw; dx++)
                    {
                        int a1 = my(y1, dy), b1 = mx(x1, dx), a2 = my(y2, dy), b2i = mx(x2, dx);
                        if (a1 < 0 || b1 < 0 || a2 < 0 || b2i < 0) continue;
                        s += k[a1 * st.W + b1, a2 * st.W + b2i];
                    }
                    o[y1 * ow + x1, y2 * ow + x2] = w2 * s / f + (bias ? b2 : 0);
                }
            return o;
        }
        var k12 = Map(st.K12, true);
        var t = Map(st.T12, false);
        for (int p = 0; p < oh * ow; p++) for (int q = 0; q < oh * ow; q++) t[p, q] += k12[p, q];
        return new State(k12, t, Map(st.K11, true), Map(st.K22, true), oh, ow);
    }

    private static State PoolRule(State st, AvgPool a)
    {
        int kh = a.Dimensions == 2 ? a.Size : 1, kw = a.Size, sh = a.Dimensions == 2 ? a.Stride : 1, sw = a.Stride;
        var (oh, my) = Axis(st.H, kh, sh, a.Padding);
        var (ow, mx) = Axis(st.W, kw, sw, a.Padding);
        double f = kh * kw;
        double[,] Map(double[,] k)
        {
            var o = new double[oh * ow, oh * ow];
            for (int y1 = 0; y1 < oh; y1++) for (int x1 = 0; x1 < ow; x1++)
                for (int y2 = 0; y2 < oh; y2++) for (int x2 = 0; x2 < ow; x2++)
                {
                    double s = 0;
                    for (int d1 = 0; d1 < kh * kw; d1++)
                        for (int d2 = 0; d2 < kh * kw; d2++)
                        {
                            int a1 = my(y1, d1 / kw), b1 = mx(x1, d1 % kw), a2 = my(y2, d2 / kw), b2 = mx(x2, d2 % kw);
                            if (a1 < 0 || b1 < 0 || a2 < 0 || b2 < 0) continue;
                            s += k[a1 * st.W + b1, a2 * st.W + b2];
                        }
                    o[y1 * ow + x1, y2 * ow + x2] = s / (f * f);
                }
            return o;
        }
        return new State(Map(st.K12), Map(st.T12), Map(st.K11), Map(st.K22), oh, ow);
    }

    private static State ActRule(State st, Activation phi)
    {
        int n = st.H * st.W;
        var k12 = new double[n, n]; var t = new double[n, n]; var k11 = new double[n, n]; var k22 = new double[n, n];
        for (int p = 0; p < n; p++)
            for (int q = 0; q < n; q++)
            {
                k12[p, q] = phi.Nngp(st.K11[p, p], st.K12[p, q], st.K22[q, q]);
                t[p, q] = st.T12[p, q] * phi.NtkFactor(st.K11[p, p], st.K12[p, q], st.K22[q, q]);
                k11[p, q] = phi.Nngp(st.K11[p, p], st.K11[p, q], st.K11[q, q]);
                k22[p, q] = phi.Nngp(st.K22[p, p], st.K22[p, q], st.K22[q, q]);
            }
        return new State(k12, t, k11, k22, st.H, st.W);
    }

    public static IReadOnlyList<Layer> Flat(Layer l) => l is Serial s ? s.Layers.SelectMany(Flat).ToList() : [l];

    public static (Matrix Nngp, Matrix Ntk) Matrices(string spec, ImageShape shape, Matrix x1, Matrix x2)
    {
        var layers = Flat(Architecture.Parse(spec).Root);
        var n = new Matrix(x1.Rows, x2.Rows); var t = new Matrix(x1.Rows, x2.Rows);
        for (int i = 0; i < x1.Rows; i++)
            for (int j = 0; j < x2.Rows; j++)
                (n[i, j], t[i, j]) = Pair(layers, shape, x1.Row(i).ToArray(), x2.Row(j).ToArray());
        return (n, t);
    }
}
