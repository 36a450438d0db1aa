using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// A finite-width network (docs/MATH.md §3, docs/NETWORKS.md): the layer tree's finite twins
/// (<see cref="Architecture.Initialize"/>) with their parameters, a forward pass, backpropagation of a
/// loss (gradients with respect to every parameter) and the empirical NTK J(x1)·J(x2)ᵀ contracted layer
/// by layer through <see cref="Backprop"/>. Every architecture the kernels accept trains here: dense
/// layers, activations, conv / pooling / flatten / global pooling on images (the architecture's
/// <see cref="Architecture.InputShape"/>), parallel, concat and product branches, repeat, dropout and
/// layer_norm. Parameters are drawn N(0, 1) in the 'ntk' parameterization (z = (σw/√n_in)·W·h + σb·b)
/// and N(0, σw²/n_in), N(0, σb²) in the 'standard' one. The dense layer(s) that give the network its
/// output get <c>outputs</c> units unless they fix their width; every other dense layer without a width,
/// and every conv without a channel count, gets <c>width</c>. Dropout draws a fresh mask on every forward
/// pass (also in training: one mask per step). Not safe for concurrent use (work buffers are reused).
/// </summary>
public sealed partial class Network
{
    private readonly Architecture _architecture;   // with the output layer sized
    private readonly FiniteLayer _root;
    private readonly Matrix[] _parameters;
    private readonly int _width, _seed;
    private Backprop? _gradients;
    private readonly FusedMlp? _fused;   // a thin 'dense φ dense': the fused gradient (docs/NETWORKS.md, "Fused training path")

    private Network(Architecture architecture, int inputs, int width, int seed, string spec, double outputScale)
    {
        _architecture = architecture;
        _width = width;
        _seed = seed;
        OutputScale = outputScale;
        _root = architecture.Initialize(inputs, width, new Random(seed));
        _parameters = [.. _root.Parameters];
        Inputs = inputs;
        Outputs = _root.OutputWidth;
        Spec = spec;
        ParameterCount = _parameters.Sum(p => p.Data.Length);
        _fused = FusedMlp.TryCreate(architecture.Root, _parameters);
    }

    /// <summary>True (the default): a thin trainable <c>dense φ dense</c> network computes its loss and loss
    /// gradient by <see cref="FusedMlp"/>; false: always the general layer-by-layer path (tests compare the two).</summary>
    internal bool FusedPathEnabled { get; set; } = true;

    /// <summary>The fused path of this network, or null when its architecture has none.</summary>
    internal FusedMlp? Fused => _fused;

    /// <summary>How many loss gradients the fused path computed (tests: which path ran).</summary>
    internal int FusedGradients { get; private set; }

    private FusedMlp? ActiveFused => FusedPathEnabled ? _fused : null;

    /// <summary>Input dimension d (H·W·C for images, features in H, W, C order).</summary>
    public int Inputs { get; }

    /// <summary>Number of outputs k (the <c>outputs</c> asked for, unless the layers fix the output width).</summary>
    public int Outputs { get; }

    /// <summary>The architecture's spec text.</summary>
    public string Spec { get; }

    /// <summary>Total number of trainable parameters P.</summary>
    public int ParameterCount { get; }

    /// <summary>The readout multiplier α: the network computes f(x) = α·g(x), g the layer tree's output
    /// (1: the layers as written). Gradients, the empirical NTK (α²·Θ̂_g) and the Jacobian carry it.
    /// α = 1/√width turns the readout's 1/√n of the 'ntk' parameterization into the mean-field 1/n (docs/NETWORKS.md).</summary>
    public double OutputScale { get; }

    /// <summary>Draws a network (deterministic for a given seed: the same parameters as
    /// <c>Architecture.Initialize(inputs, width, new Random(seed))</c> on the architecture with its output layer sized).</summary>
    /// <param name="architecture">Any architecture the kernels accept; image architectures need <see cref="Architecture.InputShape"/>.</param>
    /// <param name="inputs">Input dimension d (H·W·C for images).</param>
    /// <param name="width">Width of hidden dense layers and channels of conv layers that do not fix their own.</param>
    /// <param name="outputs">Units of the dense layer(s) that end the network (unless they fix their width).
    /// When no dense layer ends it (e.g. '… global_avg_pool'), the outputs are the last layer's units (<see cref="Outputs"/>).</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="outputScale">The readout multiplier α (<see cref="OutputScale"/>): f = α·g, finite and non-zero;
    /// 1 (the default) leaves the network exactly as the layers define it. The parameters drawn do not depend on it.</param>
    /// <exception cref="ArgumentException">The input dimension disagrees with the image shape, or the layers cannot be built.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The output scale is zero or not finite.</exception>
    /// <exception cref="InvalidOperationException">The architecture has image layers but no input shape.</exception>
    public static Network Create(Architecture architecture, int inputs, int width, int outputs = 1, int seed = 0, double outputScale = 1)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (!double.IsFinite(outputScale) || outputScale == 0)
            throw new ArgumentOutOfRangeException(nameof(outputScale), $"The output scale must be finite and non-zero (e.g. 1, or 1/√width for the mean-field readout), got {outputScale}.");
        if (architecture.HasImageLayers)
        {
            var shape = architecture.InputShape ?? throw new InvalidOperationException(
                $"'{architecture}' has image layers: give the image shape with Architecture.WithInputShape (HxWxC, e.g. 8x8x1).");
            if (shape.Features != inputs)
                throw new ArgumentException($"'{architecture}' takes {shape} images, i.e. {shape.Features} input columns, not {inputs}.", nameof(inputs));
        }
        return new Network(WithOutputs(architecture, outputs), inputs, width, seed, architecture.ToString(), outputScale);
    }

    /// <summary>The architecture with the dense layer(s) that end it given <paramref name="outputs"/> units.</summary>
    private static Architecture WithOutputs(Architecture architecture, int outputs)
    {
        var (root, end) = SizeOutput(architecture.Root, outputs);
        // A network that ends in width-preserving layers all the way to its input keeps its layers as written.
        if (end != OutputEnd.Dense) return architecture;
        return new Architecture(root) { InputShape = architecture.InputShape };
    }

    /// <summary>Who decides a layer's output width: a dense layer (now sized), another layer (conv, pooling,
    /// concat: left alone), or its input (width-preserving layers: the layers before decide).</summary>
    private enum OutputEnd { Dense, Other, Input }

    /// <summary>Rewrites the layer tree so that its output has <paramref name="outputs"/> units where a dense layer decides it.</summary>
    private static (Layer Layer, OutputEnd End) SizeOutput(Layer layer, int outputs)
    {
        switch (layer)
        {
            case Dense d:
                return (d.Width is null ? new Dense(d.WeightStd, d.BiasStd, d.Parameterization, outputs, d.Frozen) : d, OutputEnd.Dense);
            case Activation or Dropout or LayerNorm:
                return (layer, OutputEnd.Input);
            case Serial s:
            {
                var layers = s.Layers.ToArray();
                for (int i = layers.Length - 1; i >= 0; i--)
                {
                    var (l, end) = SizeOutput(layers[i], outputs);
                    layers[i] = l;
                    if (end == OutputEnd.Other) return (s, OutputEnd.Other);
                    if (end == OutputEnd.Dense) return (new Serial(layers), OutputEnd.Dense);
                }
                return (new Serial(layers), OutputEnd.Input);
            }
            case Repeat r:
            {
                var (body, end) = SizeOutput(r.Body, outputs);
                return end switch
                {
                    OutputEnd.Other => (r, OutputEnd.Other),
                    // Only the last copy ends the network (same draw order: copies are initialised in turn).
                    OutputEnd.Dense => (r.Count == 1 ? body : new Serial([new Repeat(r.Count - 1, r.Body), body]), OutputEnd.Dense),
                    // A width-preserving body (a residual block): every copy maps outputs-wide inputs to outputs-wide outputs.
                    _ => (new Repeat(r.Count, body), OutputEnd.Input),
                };
            }
            case ParallelBranches { FanIn: FanIn.Sum } p:
            {
                var sized = p.Branches.Select(b => SizeOutput(b, outputs)).ToList();
                if (sized.Any(b => b.End == OutputEnd.Other)) return (p, OutputEnd.Other);
                return (new ParallelBranches(p.FanIn, sized.Select(b => b.Layer)), sized.Any(b => b.End == OutputEnd.Input) ? OutputEnd.Input : OutputEnd.Dense);
            }
            case ProductFanIn p:
            {
                var sized = p.Branches.Select(b => SizeOutput(b, outputs)).ToList();
                if (sized.Any(b => b.End == OutputEnd.Other)) return (p, OutputEnd.Other);
                return (new ProductFanIn(sized.Select(b => b.Layer)), sized.Any(b => b.End == OutputEnd.Input) ? OutputEnd.Input : OutputEnd.Dense);
            }
            default:
                return (layer, OutputEnd.Other);   // conv, pooling, flatten, concat: their width is not the outputs'
        }
    }

    /// <summary>A deep copy (same parameters; an independent dropout stream restarted from the seed).</summary>
    public Network Clone()
    {
        var copy = new Network(_architecture, Inputs, _width, _seed, Spec, OutputScale);
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Data.CopyTo(copy._parameters[i].Data, 0);
        copy.FusedPathEnabled = FusedPathEnabled;
        return copy;
    }

    /// <summary>The outputs f(X), n×k (a fresh matrix).</summary>
    public Matrix Predict(Matrix x)
    {
        CheckInputs(x, nameof(x));
        return Scaled(_root.Forward(x));
    }

    /// <summary>α·g as a new matrix (a layer may hold on to its output for the backward pass), or g itself when α = 1.</summary>
    private Matrix Scaled(Matrix g)
    {
        if (OutputScale == 1) return g;
        var f = g.Clone();
        Scale(f, OutputScale);
        return f;
    }

    /// <summary>All parameters, flattened: layer by layer in <see cref="FiniteLayer.Parameters"/> order, each
    /// parameter matrix row-major (a dense layer: W (n_out × n_in), then b).</summary>
    public double[] GetParameters()
    {
        var p = new double[ParameterCount];
        int o = 0;
        foreach (var m in _parameters) { m.Data.CopyTo(p, o); o += m.Data.Length; }
        return p;
    }

    /// <summary>Sets all parameters from a flat vector (the layout of <see cref="GetParameters"/>).</summary>
    /// <exception cref="ArgumentException">The length is not <see cref="ParameterCount"/>.</exception>
    public void SetParameters(ReadOnlySpan<double> p)
    {
        if (p.Length != ParameterCount) throw new ArgumentException($"Expected {ParameterCount} parameters, got {p.Length}.", nameof(p));
        int o = 0;
        foreach (var m in _parameters) { p.Slice(o, m.Data.Length).CopyTo(m.Data); o += m.Data.Length; }
    }

    /// <summary>The loss on (X, Y).</summary>
    public double Loss(Matrix x, Matrix y, Loss loss = Dynamics.Loss.MeanSquaredError)
    {
        if (ActiveFused is not { } fused) return LossAndResidual(Predict(x), y, loss).Loss;
        CheckInputs(x, nameof(x));
        ArgumentNullException.ThrowIfNull(y);
        return LossAndResidual(Scaled(fused.Forward(x)), y, loss).Loss;
    }

    /// <summary>The loss and its gradient with respect to all parameters (flat, the layout of <see cref="GetParameters"/>), by backpropagation.</summary>
    public (double Loss, double[] Gradient) LossGradient(Matrix x, Matrix y, Loss loss = Dynamics.Loss.MeanSquaredError)
    {
        CheckInputs(x, nameof(x));
        ArgumentNullException.ThrowIfNull(y);
        if (ActiveFused is { } fused)
        {
            // No n×width matrix: the hidden layer is recomputed tile by tile in cache (FusedMlp).
            var (lossValue, residual) = LossAndResidual(Scaled(fused.Forward(x)), y, loss);
            Scale(residual, OutputScale);
            var gradient = new double[ParameterCount];
            fused.Backward(residual, gradient);
            FusedGradients++;
            return (lossValue, gradient);
        }
        // Inside the scope the layers reuse their work matrices between calls of the same shape (training
        // loops: no 32 MB temporaries per step for a 1000×4096 layer) and skip the gradient of x itself.
        using var scope = FiniteScope.Enter(x);
        var f = Scaled(_root.Forward(x));
        var (value, delta) = LossAndResidual(f, y, loss);
        Scale(delta, OutputScale);   // ∂L/∂g = α·∂L/∂f
        var into = _gradients ??= new Backprop(parameters: _parameters);
        into.ClearGradients();
        _root.Backward(delta, into);
        var g = new double[ParameterCount];
        int o = 0;
        foreach (var m in _parameters) { into.Gradient(m)!.Data.CopyTo(g, o); o += m.Data.Length; }
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

    private void CheckInputs(Matrix x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Cols != Inputs) throw new ArgumentException($"The network takes {Inputs} input columns, got {x.Shape}.", name);
    }

    internal static void Scale(Matrix m, double s)
    {
        if (s == 1) return;
        var data = m.Data;
        for (int k = 0; k < data.Length; k++) data[k] *= s;
    }
}
