using System.Runtime.Intrinsics;
using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// A finite-width fully connected network (docs/MATH.md §3) built from an <see cref="Architecture"/> made
/// of <see cref="Dense"/> layers, elementwise <see cref="Activation"/>s and <see cref="Serial"/> /
/// <see cref="Repeat"/> combinators, with its parameters, a forward pass, backpropagation of a loss
/// (gradients with respect to every parameter) and the empirical NTK J(x1)·J(x2)ᵀ. Parameters are drawn
/// N(0, 1) in the 'ntk' parameterization (z = (σw/√n_in)·W·h + σb·b) and N(0, σw²/n_in), N(0, σb²) in
/// the 'standard' one, exactly as the layers' finite twins. The last dense layer has as many units as
/// the network has outputs unless its width is fixed; every other dense layer without a width gets
/// <c>width</c>. Batched work goes through <see cref="LinearAlgebra"/> GEMMs.
/// </summary>
public sealed partial class Network
{
    private readonly Step[] _steps;
    private Matrix?[]? _buffers;

    private Network(Step[] steps, int inputs, int outputs, string spec)
    {
        _steps = steps;
        Inputs = inputs;
        Outputs = outputs;
        Spec = spec;
    }

    /// <summary>Input dimension d.</summary>
    public int Inputs { get; }

    /// <summary>Number of outputs k.</summary>
    public int Outputs { get; }

    /// <summary>The architecture's spec text.</summary>
    public string Spec { get; }

    /// <summary>Total number of trainable parameters P.</summary>
    public int ParameterCount => _steps.OfType<DenseStep>().Sum(s => s.W.Data.Length + (s.B?.Length ?? 0));

    /// <summary>Draws a network (deterministic for a given seed).</summary>
    /// <param name="architecture">Dense layers and activations (serial/repeat allowed).</param>
    /// <param name="inputs">Input dimension d.</param>
    /// <param name="width">Width of hidden dense layers that do not fix their own.</param>
    /// <param name="outputs">Units of the last dense layer (unless it fixes its width).</param>
    /// <param name="seed">Random seed.</param>
    /// <exception cref="NotSupportedException">The architecture holds a layer without a finite twin here (parallel, conv).</exception>
    public static Network Create(Architecture architecture, int inputs, int width, int outputs = 1, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        var flat = new List<Layer>();
        Flatten(architecture.Root, flat);
        int lastDense = flat.FindLastIndex(l => l is Dense);
        if (lastDense < 0) throw new ArgumentException($"'{architecture}' has no dense layer: a finite network needs at least one (e.g. 'dense relu dense').", nameof(architecture));
        var rng = new Random(seed);
        var steps = new List<Step>();
        int n = inputs;
        for (int i = 0; i < flat.Count; i++)
        {
            if (flat[i] is Dense d)
            {
                int nOut = d.Width ?? (i == lastDense ? outputs : width);
                steps.Add(new DenseStep(d, n, nOut, rng));
                n = nOut;
            }
            else steps.Add(new ActivationStep((Activation)flat[i]));
        }
        return new Network([.. steps], inputs, n, architecture.ToString());
    }

    private static void Flatten(Layer layer, List<Layer> into)
    {
        switch (layer)
        {
            case Serial s: foreach (var l in s.Layers) Flatten(l, into); break;
            case Repeat r: for (int i = 0; i < r.Count; i++) Flatten(r.Body, into); break;
            case Dense or Activation: into.Add(layer); break;
            default:
                throw new NotSupportedException($"Finite networks here support dense layers, activations, serial and repeat; '{layer}' is not one. " +
                                                "Use Architecture.Initialize for other layers (forward pass and NTK only).");
        }
    }

    /// <summary>A deep copy (same parameters).</summary>
    public Network Clone() => new(_steps.Select(s => s.Clone()).ToArray(), Inputs, Outputs, Spec);

    /// <summary>The outputs f(X), n×k.</summary>
    public Matrix Predict(Matrix x) => Forward(x, null);

    /// <summary>All parameters, flattened (layer by layer: W row-major, then b).</summary>
    public double[] GetParameters()
    {
        var p = new double[ParameterCount];
        int o = 0;
        foreach (var s in _steps.OfType<DenseStep>())
        {
            s.W.Data.CopyTo(p, o); o += s.W.Data.Length;
            if (s.B is not null) { s.B.CopyTo(p, o); o += s.B.Length; }
        }
        return p;
    }

    /// <summary>Sets all parameters from a flat vector (the layout of <see cref="GetParameters"/>).</summary>
    /// <exception cref="ArgumentException">The length is not <see cref="ParameterCount"/>.</exception>
    public void SetParameters(ReadOnlySpan<double> p)
    {
        if (p.Length != ParameterCount) throw new ArgumentException($"Expected {ParameterCount} parameters, got {p.Length}.", nameof(p));
        int o = 0;
        foreach (var s in _steps.OfType<DenseStep>())
        {
            p.Slice(o, s.W.Data.Length).CopyTo(s.W.Data); o += s.W.Data.Length;
            if (s.B is not null) { p.Slice(o, s.B.Length).CopyTo(s.B); o += s.B.Length; }
        }
    }

    /// <summary>The loss on (X, Y).</summary>
    public double Loss(Matrix x, Matrix y, Loss loss = Dynamics.Loss.MeanSquaredError) => LossAndResidual(Predict(x), y, loss).Loss;

    /// <summary>The loss and its gradient with respect to all parameters (flat, the layout of <see cref="GetParameters"/>), by backpropagation.</summary>
    public (double Loss, double[] Gradient) LossGradient(Matrix x, Matrix y, Loss loss = Dynamics.Loss.MeanSquaredError)
    {
        var cache = new List<Matrix>();
        // Work buffers are reused between calls of the same shape (training loops): no 32 MB
        // temporaries per step for a 1000×4096 layer. Hence a Network is not safe for concurrent training.
        var buffers = _buffers ??= new Matrix?[3 * _steps.Length];
        var f = Forward(x, cache, buffers);
        var (value, delta) = LossAndResidual(f, y, loss);
        var grads = Backward(delta, cache, buffers);
        var g = new double[ParameterCount];
        int o = 0;
        foreach (var (gw, gb) in grads)
        {
            gw.Data.CopyTo(g, o); o += gw.Data.Length;
            if (gb is not null) { gb.CopyTo(g, o); o += gb.Length; }
        }
        return (value, g);
    }

    internal static (double Loss, Matrix Delta) LossAndResidual(Matrix f, Matrix y, Loss loss)
    {
        if (y.Rows != f.Rows || y.Cols != f.Cols)
            throw new ArgumentException($"Targets are {y.Shape} but the network gives {f.Shape}: one row per input, one column per output.", nameof(y));
        if (loss == Dynamics.Loss.MeanSquaredError)
        {
            var delta = new Matrix(f.Rows, f.Cols);
            double value = 0;
            double n = f.Data.Length;
            for (int k = 0; k < f.Data.Length; k++)
            {
                double r = f.Data[k] - y.Data[k];
                value += r * r;
                delta.Data[k] = r / n;
            }
            return (value / (2 * n), delta);
        }
        // One implementation and one normalisation (1/N, N = n·k entries) with the function-space flow.
        return (FunctionSpaceDynamics.Value(Dynamics.Loss.SoftmaxCrossEntropy, f, y),
                FunctionSpaceDynamics.Gradient(Dynamics.Loss.SoftmaxCrossEntropy, f, y));
    }

    /// <summary>Forward pass; when <paramref name="cache"/> is given it receives every step's input.</summary>
    private Matrix Forward(Matrix x, List<Matrix>? cache, Matrix?[]? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Cols != Inputs) throw new ArgumentException($"The network takes {Inputs} input columns, got {x.Shape}.", nameof(x));
        var h = x;
        foreach (var s in _steps)
        {
            cache?.Add(h);
            h = s.Forward(h, buffers?[Array.IndexOf(_steps, s)]);
            buffers?[Array.IndexOf(_steps, s)] = h;
        }
        return h;
    }

    /// <summary>Backpropagates δ = ∂L/∂f through the cached forward pass: per dense layer (∂L/∂W, ∂L/∂b).</summary>
    private List<(Matrix W, double[]? B)> Backward(Matrix delta, List<Matrix> cache, Matrix?[]? buffers = null)
    {
        var grads = new List<(Matrix, double[]?)>();
        for (int i = _steps.Length - 1; i >= 0; i--)
        {
            var h = cache[i];
            switch (_steps[i])
            {
                case DenseStep d:
                    // z = s·h·Wᵀ + sb·b: ∂L/∂W = s·δᵀ·h, ∂L/∂b = sb·Σ_a δ_a, ∂L/∂h = s·δ·W.
                    var gw = Reuse(buffers?[_steps.Length + 2 * i], d.W.Rows, d.W.Cols);
                    buffers?[_steps.Length + 2 * i] = gw;
                    LinearAlgebra.Provider.Gemm(Op.Transpose, Op.None, d.W.Rows, d.W.Cols, delta.Rows, d.Scale, delta.Data, Math.Max(delta.Cols, 1), h.Data, Math.Max(h.Cols, 1), 0, gw.Data, Math.Max(d.W.Cols, 1));
                    double[]? gb = null;
                    if (d.B is not null)
                    {
                        gb = new double[d.B.Length];
                        for (int a = 0; a < delta.Rows; a++)
                        {
                            var r = delta.Row(a);
                            for (int j = 0; j < r.Length; j++) gb[j] += r[j];
                        }
                        for (int j = 0; j < gb.Length; j++) gb[j] *= d.BiasScale;
                    }
                    grads.Add((gw, gb));
                    if (i > 0)
                    {
                        delta = d.BackInput(delta, buffers?[_steps.Length + 2 * i + 1]);
                        buffers?[_steps.Length + 2 * i + 1] = delta;
                    }
                    break;
                case ActivationStep act:
                    delta = act.BackwardDelta(h, delta);
                    break;
            }
        }
        grads.Reverse();
        return grads;
    }

    /// <summary>A matrix whose storage is not zeroed (for outputs that are overwritten entirely, e.g. GEMM with β = 0).</summary>
    private static Matrix Reuse(Matrix? m, int rows, int cols) => m is not null && m.Rows == rows && m.Cols == cols ? m : Uninitialized(rows, cols);

    /// <summary>A matrix whose storage is not zeroed.</summary>
    internal static Matrix Uninitialized(int rows, int cols) => new(rows, cols, GC.AllocateUninitializedArray<double>(rows * cols));

    internal static void Scale(Matrix m, double s)
    {
        if (s == 1) return;
        var data = m.Data;
        for (int k = 0; k < data.Length; k++) data[k] *= s;
    }

    private abstract class Step
    {
        public abstract Matrix Forward(Matrix h, Matrix? into = null);
        public abstract Step Clone();
    }

    private sealed class DenseStep : Step
    {
        public readonly Matrix W;          // n_out × n_in
        public readonly double[]? B;       // n_out
        public readonly double Scale, BiasScale;

        public DenseStep(Dense layer, int nIn, int nOut, Random rng)
        {
            bool standard = layer.Parameterization == Parameterization.Standard;
            W = new Matrix(nOut, nIn);
            Dense.FillGaussian(W.Data, standard ? layer.WeightStd / Math.Sqrt(nIn) : 1, rng);
            if (layer.HasBias)
            {
                B = new double[nOut];
                Dense.FillGaussian(B, standard ? layer.BiasStd : 1, rng);
            }
            Scale = standard ? 1 : layer.WeightStd / Math.Sqrt(nIn);
            BiasScale = standard ? 1 : layer.BiasStd;
        }

        private DenseStep(Matrix w, double[]? b, double scale, double biasScale) { W = w; B = b; Scale = scale; BiasScale = biasScale; }

        public override Step Clone() => new DenseStep(W.Clone(), (double[]?)B?.Clone(), Scale, BiasScale);

        /// <summary>∂/∂h = s·δ·W (a fresh matrix).</summary>
        public Matrix BackInput(Matrix delta, Matrix? into = null)
        {
            var o = Reuse(into, delta.Rows, W.Cols);
            LinearAlgebra.Provider.Gemm(Op.None, Op.None, delta.Rows, W.Cols, W.Rows, Scale, delta.Data, Math.Max(delta.Cols, 1), W.Data, Math.Max(W.Cols, 1), 0, o.Data, Math.Max(W.Cols, 1));
            return o;
        }

        public override Matrix Forward(Matrix h, Matrix? into = null)
        {
            // z = s·h·Wᵀ (the scale folded into the GEMM's α), then + sb·b.
            var z = Reuse(into, h.Rows, W.Rows);
            LinearAlgebra.Provider.Gemm(Op.None, Op.Transpose, h.Rows, W.Rows, h.Cols, Scale, h.Data, Math.Max(h.Cols, 1), W.Data, Math.Max(W.Cols, 1), 0, z.Data, Math.Max(W.Rows, 1));
            if (B is null) return z;
            int cols = z.Cols;
            var bias = new double[cols];
            for (int j = 0; j < cols; j++) bias[j] = BiasScale * B[j];
            System.Threading.Tasks.Parallel.For(0, z.Rows, ParallelOptionsFor(z.Data.Length), a =>
            {
                var r = z.Row(a);
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                    for (; j + 4 <= cols; j += 4)
                        (Vector256.Create<double>(r.Slice(j, 4)) + Vector256.Create<double>(bias.AsSpan(j, 4))).CopyTo(r.Slice(j, 4));
                for (; j < cols; j++) r[j] += bias[j];
            });
            return z;
        }
    }

    private sealed class ActivationStep(Activation phi) : Step
    {
        public override Step Clone() => this;

        public override Matrix Forward(Matrix h, Matrix? into = null)
        {
            var o = Reuse(into, h.Rows, h.Cols);
            if (phi is ABRelu r)
            {
                double a0 = r.A, b0 = r.B;
                int cols = h.Cols;
                System.Threading.Tasks.Parallel.For(0, h.Rows, ParallelOptionsFor(h.Data.Length), a =>
                {
                    var hr = h.Row(a); var or = o.Row(a);
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        var va = Vector256.Create(a0); var vb = Vector256.Create(b0);
                        for (; j + 4 <= cols; j += 4)
                        {
                            var v = Vector256.Create<double>(hr.Slice(j, 4));
                            Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<double>.Zero), va * v, vb * v).CopyTo(or.Slice(j, 4));
                        }
                    }
                    for (; j < cols; j++) { double v = hr[j]; or[j] = v < 0 ? a0 * v : b0 * v; }
                });
                return o;
            }
            ElementWise(h, o, phi.Phi);
            return o;
        }

        /// <summary>δ_in = δ ⊙ φ'(z), z = this step's input; overwrites and returns <paramref name="delta"/>
        /// (every δ handed here is a fresh matrix owned by the backward pass).</summary>
        public Matrix BackwardDelta(Matrix z, Matrix delta)
        {
            int cols = z.Cols;
            if (phi is ABRelu r)
            {
                double a0 = r.A, b0 = r.B;
                System.Threading.Tasks.Parallel.For(0, z.Rows, ParallelOptionsFor(z.Data.Length), a =>
                {
                    var zr = z.Row(a); var dr = delta.Row(a);
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        var va = Vector256.Create(a0); var vb = Vector256.Create(b0);
                        for (; j + 4 <= cols; j += 4)
                        {
                            var m = Vector256.LessThan(Vector256.Create<double>(zr.Slice(j, 4)), Vector256<double>.Zero);
                            (Vector256.Create<double>(dr.Slice(j, 4)) * Vector256.ConditionalSelect(m, va, vb)).CopyTo(dr.Slice(j, 4));
                        }
                    }
                    for (; j < cols; j++) dr[j] *= zr[j] < 0 ? a0 : b0;
                });
                return delta;
            }
            System.Threading.Tasks.Parallel.For(0, z.Rows, ParallelOptionsFor(z.Data.Length), a =>
            {
                var zr = z.Row(a); var dr = delta.Row(a);
                for (int j = 0; j < cols; j++) dr[j] *= phi.Derivative(zr[j]);
            });
            return delta;
        }

        private static void ElementWise(Matrix h, Matrix o, Func<double, double> f)
        {
            int cols = h.Cols;
            System.Threading.Tasks.Parallel.For(0, h.Rows, ParallelOptionsFor(h.Data.Length), a =>
            {
                var hr = h.Row(a); var or = o.Row(a);
                for (int j = 0; j < cols; j++) or[j] = f(hr[j]);
            });
        }
    }

    private static readonly System.Threading.Tasks.ParallelOptions Serial1 = new() { MaxDegreeOfParallelism = 1 };
    private static readonly System.Threading.Tasks.ParallelOptions Many = new();

    private static System.Threading.Tasks.ParallelOptions ParallelOptionsFor(int entries) => entries < 65536 ? Serial1 : Many;
}
