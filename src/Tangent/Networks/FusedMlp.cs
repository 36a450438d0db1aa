using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// The fused loss gradient of a one-hidden-layer network <c>dense φ dense</c> with a thin input (d ≤ 64) and
/// a thin output (k ≤ 16), trained layers and an elementwise activation (docs/NETWORKS.md, "Fused training
/// path"). The general layer-by-layer pass writes and rereads the n×width hidden matrix several times per
/// step; here it never exists. Pass 1, parallel over tiles of points, computes z = s₁·x·W₁ᵀ + σb·b₁ tile by tile
/// (kept in registers), φ(z) and f = s₂·φ(z)·W₂ᵀ + σb₂·b₂. The residual δ comes from the same
/// <see cref="Network.LossAndResidual"/> as the general path. Pass 2, parallel over blocks of hidden units
/// (each task owns its units' columns of W₁, b₁, W₂: no reduction between tasks), recomputes z and
/// accumulates ∂W₂ = s₂·δᵀφ(z), e = φ'(z) ⊙ (s₂·δ·W₂), ∂W₁ = s₁·eᵀx, ∂b₁ = σb·Σe. Every sum runs in an order
/// fixed by the shapes alone (groups of 4 points, 4-wide unit vectors in pairs, blocks in order), so the result does
/// not depend on the number of threads. The same values as the general path up to rounding.
/// </summary>
internal sealed class FusedMlp
{
    /// <summary>The widest input and output the fused path takes (beyond, the GEMMs of the general path win).</summary>
    public const int MaxInputs = 64, MaxOutputs = 16;

    private const int Lanes = 4;          // Vector256<double>
    private const int Step = 2 * Lanes;   // hidden units per register tile (two vectors)
    private const int Group = 4;          // points per register tile
    private const int ForwardBlock = 128; // hidden units per pass-1 block: s₁·W₁ᵀ block (d×128) stays in L1
    private const int BackwardBlock = 64; // hidden units per pass-2 task: its gradient accumulators stay in L1
    private const int ForwardTile = 64;   // points per pass-1 task

    private readonly Activation _phi;
    private readonly Matrix _w1, _w2;     // width × d, k × width
    private readonly Matrix? _b1, _b2;    // 1 × width, 1 × k
    private readonly int _d, _width, _k, _padded;
    private readonly double _s1, _bs1, _s2, _bs2;
    private readonly double[] _a, _c, _v; // s₁·W₁ᵀ (d × padded), σb₁·b₁ (padded), W₂ (k × padded); zero in the padding
    private double[] _x = [], _dd = [], _facc = [];
    private readonly double[] _gA, _gV, _gC;

    private FusedMlp(Activation phi, Matrix w1, Matrix? b1, Matrix w2, Matrix? b2, double s1, double bs1, double s2, double bs2)
    {
        _phi = phi; _w1 = w1; _b1 = b1; _w2 = w2; _b2 = b2;
        _s1 = s1; _bs1 = bs1; _s2 = s2; _bs2 = bs2;
        _width = w1.Rows; _d = w1.Cols; _k = w2.Rows;
        _padded = (_width + Step - 1) / Step * Step;
        _a = new double[_d * _padded]; _c = new double[_padded]; _v = new double[_k * _padded];
        _gA = new double[_d * _padded]; _gV = new double[_k * _padded]; _gC = new double[_padded];
    }

    /// <summary>Most threads a pass uses (≤ 0: all); results do not depend on it.</summary>
    public int MaxThreads { get; set; }

    /// <summary>The fused path for <paramref name="root"/> (the sized layer tree) and its trainable
    /// <paramref name="parameters"/>, or null when the network is not a trainable thin <c>dense φ dense</c>.</summary>
    public static FusedMlp? TryCreate(Layer root, IReadOnlyList<Matrix> parameters)
    {
        if (root is not Serial { Layers: [Dense d1, Activation phi, Dense d2] }) return null;
        if (d1.Frozen || d2.Frozen) return null;
        int expected = 2 + (d1.HasBias ? 1 : 0) + (d2.HasBias ? 1 : 0);
        if (parameters.Count != expected) return null;
        int p = 0;
        var w1 = parameters[p++];
        var b1 = d1.HasBias ? parameters[p++] : null;
        var w2 = parameters[p++];
        var b2 = d2.HasBias ? parameters[p] : null;
        int width = w1.Rows, d = w1.Cols, k = w2.Rows;
        if (d > MaxInputs || k > MaxOutputs || w2.Cols != width) return null;
        if (b1 is not null && (b1.Rows != 1 || b1.Cols != width)) return null;
        if (b2 is not null && (b2.Rows != 1 || b2.Cols != k)) return null;
        // The scales of Dense's finite twin: 'ntk' z = (σw/√n_in)·W·h + σb·b, 'standard' z = W·h + b.
        static (double W, double B) Scales(Dense l, int nIn) =>
            l.Parameterization == Parameterization.Standard ? (1, 1) : (l.WeightStd / Math.Sqrt(nIn), l.BiasStd);
        var (s1, bs1) = Scales(d1, d);
        var (s2, bs2) = Scales(d2, width);
        return new FusedMlp(phi, w1, b1, w2, b2, s1, d1.HasBias ? bs1 : 0, s2, d2.HasBias ? bs2 : 0);
    }

    /// <summary>The outputs g(X) (n×k, before the network's output scale), computed without the hidden matrix.</summary>
    public Matrix Forward(Matrix x)
    {
        int n = x.Rows, groups = (n + Group - 1) / Group;
        Prepare(x, groups * Group);
        if (_phi is ABRelu r) ForwardPass(new ReluAct(r.A, r.B), groups);
        else ForwardPass(new ScalarAct(_phi), groups);
        var g = new Matrix(n, _k);
        double b2 = 0;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < _k; o++)
            {
                var acc = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_facc), (nuint)((i * _k + o) * Lanes));
                double sum = (acc.GetElement(0) + acc.GetElement(1)) + (acc.GetElement(2) + acc.GetElement(3));
                if (_b2 is not null) b2 = _bs2 * _b2.Data[o];
                g.Data[i * _k + o] = _s2 * sum + b2;
            }
        return g;
    }

    /// <summary>The gradient with respect to the parameters (flat, in parameter order) given δ = ∂L/∂g
    /// (n×k) on the points of the last <see cref="Forward"/>, written into <paramref name="gradient"/>.</summary>
    public void Backward(Matrix delta, Span<double> gradient)
    {
        int n = delta.Rows, groups = (n + Group - 1) / Group;
        if (_dd.Length < groups * Group * _k) _dd = new double[groups * Group * _k];
        Array.Clear(_dd);
        for (int t = 0; t < n * _k; t++) _dd[t] = _s2 * delta.Data[t];
        Array.Clear(_gA); Array.Clear(_gV); Array.Clear(_gC);
        if (_phi is ABRelu r) BackwardPass(new ReluAct(r.A, r.B), groups);
        else BackwardPass(new ScalarAct(_phi), groups);
        int p = 0;
        for (int j = 0; j < _width; j++)
            for (int c = 0; c < _d; c++) gradient[p++] = _s1 * _gA[c * _padded + j];
        if (_b1 is not null)
            for (int j = 0; j < _width; j++) gradient[p++] = _bs1 * _gC[j];
        for (int o = 0; o < _k; o++)
            for (int j = 0; j < _width; j++) gradient[p++] = _gV[o * _padded + j];
        if (_b2 is not null)
            for (int o = 0; o < _k; o++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += delta.Data[i * _k + o];
                gradient[p++] = _bs2 * sum;
            }
    }

    /// <summary>Copies the current parameters into the padded, scaled work layout and the points into groups of 4 rows (zero padding).</summary>
    private void Prepare(Matrix x, int rows)
    {
        Array.Clear(_a); Array.Clear(_c); Array.Clear(_v);
        var w1 = _w1.Data;
        for (int j = 0; j < _width; j++)
            for (int c = 0; c < _d; c++) _a[c * _padded + j] = _s1 * w1[j * _d + c];
        if (_b1 is not null)
            for (int j = 0; j < _width; j++) _c[j] = _bs1 * _b1.Data[j];
        for (int o = 0; o < _k; o++) _w2.Data.AsSpan(o * _width, _width).CopyTo(_v.AsSpan(o * _padded));
        if (_x.Length != rows * _d) _x = new double[rows * _d];
        else Array.Clear(_x);
        x.Data.AsSpan(0, x.Rows * _d).CopyTo(_x);
        if (_facc.Length != rows * _k * Lanes) _facc = new double[rows * _k * Lanes];
        else Array.Clear(_facc);
    }

    private ParallelOptions Options(long work) =>
        new() { MaxDegreeOfParallelism = work < 1 << 16 ? 1 : MaxThreads > 0 ? MaxThreads : -1 };

    private void ForwardPass<T>(T act, int groups) where T : struct, IVectorActivation
    {
        int tileGroups = ForwardTile / Group, tiles = (groups + tileGroups - 1) / tileGroups;
        Parallel.For(0, tiles, Options((long)groups * Group * _padded * _d), t =>
            ForwardTileOf(act, t * tileGroups, Math.Min(groups, (t + 1) * tileGroups)));
    }

    /// <summary>Pass 1 on the point groups [g0, g1): per point and output, 4 lane accumulators of φ(z)·W₂ over the hidden units in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardTileOf<T>(T act, int g0, int g1) where T : struct, IVectorActivation
    {
        int d = _d, k = _k, padded = _padded;
        ref double a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref double c = ref MemoryMarshal.GetArrayDataReference(_c);
        ref double v = ref MemoryMarshal.GetArrayDataReference(_v);
        ref double x = ref MemoryMarshal.GetArrayDataReference(_x);
        ref double f = ref MemoryMarshal.GetArrayDataReference(_facc);
        for (int j0 = 0; j0 < padded; j0 += ForwardBlock)
        {
            int j1 = Math.Min(padded, j0 + ForwardBlock);
            for (int g = g0; g < g1; g++)
            {
                int i = g * Group;
                ref double x0 = ref Unsafe.Add(ref x, i * d);
                ref double x1 = ref Unsafe.Add(ref x0, d);
                ref double x2 = ref Unsafe.Add(ref x1, d);
                ref double x3 = ref Unsafe.Add(ref x2, d);
                for (int j = j0; j < j1; j += Step)
                {
                    // 4 points × 8 units: 8 independent FMA chains share each weight load and each broadcast.
                    var biasL = Vector256.LoadUnsafe(ref c, (nuint)j); var biasH = Vector256.LoadUnsafe(ref c, (nuint)(j + Lanes));
                    Vector256<double> z0 = biasL, z1 = biasL, z2 = biasL, z3 = biasL, u0 = biasH, u1 = biasH, u2 = biasH, u3 = biasH;
                    for (int q = 0; q < d; q++)
                    {
                        var w = Vector256.LoadUnsafe(ref a, (nuint)(q * padded + j));
                        var wh = Vector256.LoadUnsafe(ref a, (nuint)(q * padded + j + Lanes));
                        var b0 = Vector256.Create(Unsafe.Add(ref x0, q)); z0 = Vector256.FusedMultiplyAdd(b0, w, z0); u0 = Vector256.FusedMultiplyAdd(b0, wh, u0);
                        var b1 = Vector256.Create(Unsafe.Add(ref x1, q)); z1 = Vector256.FusedMultiplyAdd(b1, w, z1); u1 = Vector256.FusedMultiplyAdd(b1, wh, u1);
                        var b2 = Vector256.Create(Unsafe.Add(ref x2, q)); z2 = Vector256.FusedMultiplyAdd(b2, w, z2); u2 = Vector256.FusedMultiplyAdd(b2, wh, u2);
                        var b3 = Vector256.Create(Unsafe.Add(ref x3, q)); z3 = Vector256.FusedMultiplyAdd(b3, w, z3); u3 = Vector256.FusedMultiplyAdd(b3, wh, u3);
                    }
                    z0 = act.Phi(z0); z1 = act.Phi(z1); z2 = act.Phi(z2); z3 = act.Phi(z3);
                    u0 = act.Phi(u0); u1 = act.Phi(u1); u2 = act.Phi(u2); u3 = act.Phi(u3);
                    for (int o = 0; o < k; o++)
                    {
                        var w2 = Vector256.LoadUnsafe(ref v, (nuint)(o * padded + j));
                        var w2h = Vector256.LoadUnsafe(ref v, (nuint)(o * padded + j + Lanes));
                        nuint s0 = (nuint)((i * k + o) * Lanes), step = (nuint)(k * Lanes);
                        Vector256.FusedMultiplyAdd(u0, w2h, Vector256.FusedMultiplyAdd(z0, w2, Vector256.LoadUnsafe(ref f, s0))).StoreUnsafe(ref f, s0);
                        Vector256.FusedMultiplyAdd(u1, w2h, Vector256.FusedMultiplyAdd(z1, w2, Vector256.LoadUnsafe(ref f, s0 + step))).StoreUnsafe(ref f, s0 + step);
                        Vector256.FusedMultiplyAdd(u2, w2h, Vector256.FusedMultiplyAdd(z2, w2, Vector256.LoadUnsafe(ref f, s0 + 2 * step))).StoreUnsafe(ref f, s0 + 2 * step);
                        Vector256.FusedMultiplyAdd(u3, w2h, Vector256.FusedMultiplyAdd(z3, w2, Vector256.LoadUnsafe(ref f, s0 + 3 * step))).StoreUnsafe(ref f, s0 + 3 * step);
                    }
                }
            }
        }
    }

    private void BackwardPass<T>(T act, int groups) where T : struct, IVectorActivation
    {
        int blocks = (_padded + BackwardBlock - 1) / BackwardBlock;
        Parallel.For(0, blocks, Options((long)groups * Group * _padded * _d), b =>
            BackwardBlockOf(act, b * BackwardBlock, Math.Min(_padded, (b + 1) * BackwardBlock), groups));
    }

    /// <summary>dst[at..at+4) += a0·b0 + a1·b1 + a2·b2 + a3·b3, one fused multiply-add after another in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddFour(ref double dst, nuint at, Vector256<double> a0, Vector256<double> b0, Vector256<double> a1, Vector256<double> b1,
        Vector256<double> a2, Vector256<double> b2, Vector256<double> a3, Vector256<double> b3)
    {
        var acc = Vector256.LoadUnsafe(ref dst, at);
        acc = Vector256.FusedMultiplyAdd(a0, b0, acc);
        acc = Vector256.FusedMultiplyAdd(a1, b1, acc);
        acc = Vector256.FusedMultiplyAdd(a2, b2, acc);
        acc = Vector256.FusedMultiplyAdd(a3, b3, acc);
        acc.StoreUnsafe(ref dst, at);
    }

    /// <summary>Pass 2 on the hidden units [j0, j1): their gradients summed over all points in groups of 4, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardBlockOf<T>(T act, int j0, int j1, int groups) where T : struct, IVectorActivation
    {
        int d = _d, k = _k, padded = _padded;
        ref double a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref double c = ref MemoryMarshal.GetArrayDataReference(_c);
        ref double v = ref MemoryMarshal.GetArrayDataReference(_v);
        ref double x = ref MemoryMarshal.GetArrayDataReference(_x);
        ref double dd = ref MemoryMarshal.GetArrayDataReference(_dd);
        ref double gA = ref MemoryMarshal.GetArrayDataReference(_gA);
        ref double gV = ref MemoryMarshal.GetArrayDataReference(_gV);
        ref double gC = ref MemoryMarshal.GetArrayDataReference(_gC);
        for (int g = 0; g < groups; g++)
        {
            int i = g * Group;
            ref double x0 = ref Unsafe.Add(ref x, i * d);
            ref double x1 = ref Unsafe.Add(ref x0, d);
            ref double x2 = ref Unsafe.Add(ref x1, d);
            ref double x3 = ref Unsafe.Add(ref x2, d);
            ref double r0 = ref Unsafe.Add(ref dd, i * k);
            ref double r1 = ref Unsafe.Add(ref r0, k);
            ref double r2 = ref Unsafe.Add(ref r1, k);
            ref double r3 = ref Unsafe.Add(ref r2, k);
            for (int j = j0; j < j1; j += Step)
            {
                nuint jl = (nuint)j, jh = (nuint)(j + Lanes);
                var biasL = Vector256.LoadUnsafe(ref c, jl); var biasH = Vector256.LoadUnsafe(ref c, jh);
                Vector256<double> z0 = biasL, z1 = biasL, z2 = biasL, z3 = biasL, u0 = biasH, u1 = biasH, u2 = biasH, u3 = biasH;
                for (int q = 0; q < d; q++)
                {
                    var w = Vector256.LoadUnsafe(ref a, (nuint)(q * padded) + jl);
                    var wh = Vector256.LoadUnsafe(ref a, (nuint)(q * padded) + jh);
                    var b0 = Vector256.Create(Unsafe.Add(ref x0, q)); z0 = Vector256.FusedMultiplyAdd(b0, w, z0); u0 = Vector256.FusedMultiplyAdd(b0, wh, u0);
                    var b1 = Vector256.Create(Unsafe.Add(ref x1, q)); z1 = Vector256.FusedMultiplyAdd(b1, w, z1); u1 = Vector256.FusedMultiplyAdd(b1, wh, u1);
                    var b2 = Vector256.Create(Unsafe.Add(ref x2, q)); z2 = Vector256.FusedMultiplyAdd(b2, w, z2); u2 = Vector256.FusedMultiplyAdd(b2, wh, u2);
                    var b3 = Vector256.Create(Unsafe.Add(ref x3, q)); z3 = Vector256.FusedMultiplyAdd(b3, w, z3); u3 = Vector256.FusedMultiplyAdd(b3, wh, u3);
                }
                var h0 = act.Phi(z0); var h1 = act.Phi(z1); var h2 = act.Phi(z2); var h3 = act.Phi(z3);
                var k0 = act.Phi(u0); var k1 = act.Phi(u1); var k2 = act.Phi(u2); var k3 = act.Phi(u3);
                Vector256<double> t0 = default, t1 = default, t2 = default, t3 = default, s0 = default, s1 = default, s2 = default, s3 = default;
                for (int o = 0; o < k; o++)
                {
                    nuint at = (nuint)(o * padded);
                    var w2 = Vector256.LoadUnsafe(ref v, at + jl); var w2h = Vector256.LoadUnsafe(ref v, at + jh);
                    var e0 = Vector256.Create(Unsafe.Add(ref r0, o)); var e1 = Vector256.Create(Unsafe.Add(ref r1, o));
                    var e2 = Vector256.Create(Unsafe.Add(ref r2, o)); var e3 = Vector256.Create(Unsafe.Add(ref r3, o));
                    AddFour(ref gV, at + jl, h0, e0, h1, e1, h2, e2, h3, e3);
                    AddFour(ref gV, at + jh, k0, e0, k1, e1, k2, e2, k3, e3);
                    t0 = Vector256.FusedMultiplyAdd(e0, w2, t0); s0 = Vector256.FusedMultiplyAdd(e0, w2h, s0);
                    t1 = Vector256.FusedMultiplyAdd(e1, w2, t1); s1 = Vector256.FusedMultiplyAdd(e1, w2h, s1);
                    t2 = Vector256.FusedMultiplyAdd(e2, w2, t2); s2 = Vector256.FusedMultiplyAdd(e2, w2h, s2);
                    t3 = Vector256.FusedMultiplyAdd(e3, w2, t3); s3 = Vector256.FusedMultiplyAdd(e3, w2h, s3);
                }
                t0 *= act.Derivative(z0); t1 *= act.Derivative(z1); t2 *= act.Derivative(z2); t3 *= act.Derivative(z3);
                s0 *= act.Derivative(u0); s1 *= act.Derivative(u1); s2 *= act.Derivative(u2); s3 *= act.Derivative(u3);
                ((((Vector256.LoadUnsafe(ref gC, jl) + t0) + t1) + t2) + t3).StoreUnsafe(ref gC, jl);
                ((((Vector256.LoadUnsafe(ref gC, jh) + s0) + s1) + s2) + s3).StoreUnsafe(ref gC, jh);
                for (int q = 0; q < d; q++)
                {
                    nuint at = (nuint)(q * padded);
                    var b0 = Vector256.Create(Unsafe.Add(ref x0, q)); var b1 = Vector256.Create(Unsafe.Add(ref x1, q));
                    var b2 = Vector256.Create(Unsafe.Add(ref x2, q)); var b3 = Vector256.Create(Unsafe.Add(ref x3, q));
                    AddFour(ref gA, at + jl, b0, t0, b1, t1, b2, t2, b3, t3);
                    AddFour(ref gA, at + jh, b0, s0, b1, s1, b2, s2, b3, s3);
                }
            }
        }
    }

    /// <summary>φ and φ' on 4 lanes (a struct type argument: the JIT specialises and inlines it).</summary>
    private interface IVectorActivation
    {
        Vector256<double> Phi(Vector256<double> z);
        Vector256<double> Derivative(Vector256<double> z);
    }

    /// <summary>(a,b)-ReLU, as <see cref="ABRelu"/> and the general path: z &lt; 0 ? a·z : b·z, slope b at 0.</summary>
    private readonly struct ReluAct(double a, double b) : IVectorActivation
    {
        private readonly Vector256<double> _a = Vector256.Create(a), _b = Vector256.Create(b);

        public Vector256<double> Phi(Vector256<double> z) =>
            Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<double>.Zero), _a * z, _b * z);

        public Vector256<double> Derivative(Vector256<double> z) =>
            Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<double>.Zero), _a, _b);
    }

    /// <summary>Any activation, lane by lane through <see cref="Activation.Phi"/> and <see cref="Activation.Derivative"/>.</summary>
    private readonly struct ScalarAct(Activation phi) : IVectorActivation
    {
        public Vector256<double> Phi(Vector256<double> z) =>
            Vector256.Create(phi.Phi(z.GetElement(0)), phi.Phi(z.GetElement(1)), phi.Phi(z.GetElement(2)), phi.Phi(z.GetElement(3)));

        public Vector256<double> Derivative(Vector256<double> z) =>
            Vector256.Create(phi.Derivative(z.GetElement(0)), phi.Derivative(z.GetElement(1)), phi.Derivative(z.GetElement(2)), phi.Derivative(z.GetElement(3)));
    }
}
