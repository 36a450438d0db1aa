namespace Tangent.Layers;

/// <summary>
/// Short constructors for layers, in the spirit of Neural Tangents' <c>stax</c>:
/// <c>Nn.Network(Nn.Dense(1.5, 0.1), Nn.Relu(), Nn.Dense(1.5))</c> is the architecture
/// <c>dense(w=1.5,b=0.1) relu dense(w=1.5)</c>. Each returns the same layer that the spec language
/// builds (docs/LAYERS.md), so <c>Nn.Network(…).ToString()</c> prints the spec and parses back to it.
/// </summary>
public static class Nn
{
    /// <summary>An architecture from layers applied left to right (checked as <see cref="Architecture"/> checks every architecture).</summary>
    public static Architecture Network(params Layer[] layers) => new(layers);

    /// <summary>Layers applied left to right, as one layer (for <see cref="Repeat"/> bodies and branches).</summary>
    public static Layer Serial(params Layer[] layers) => new Serial(layers);

    /// <summary><c>repeat(n){…}</c>: the body applied <paramref name="count"/> times.</summary>
    public static Layer Repeat(int count, params Layer[] body) => new Repeat(count, body.Length == 1 ? body[0] : new Serial(body));

    /// <summary><c>parallel{…|…}</c>: the branches' outputs summed (a residual block is <c>Parallel(Identity(), Serial(…))</c>).</summary>
    public static Layer Parallel(params Layer[] branches) => new ParallelBranches(FanIn.Sum, branches);

    /// <summary><c>concat{…|…}</c>: the branches' outputs concatenated along the channels.</summary>
    public static Layer Concat(params Layer[] branches) => new ParallelBranches(FanIn.Concat, branches);

    /// <summary><c>dense(w=σw,b=σb)</c> in the 'ntk' parameterization.</summary>
    public static Layer Dense(double weightStd = 1, double biasStd = 0) => new Dense(weightStd, biasStd);

    /// <summary><c>dense(param=standard,w=σw,b=σb,width=n)</c>: the 'standard' parameterization (the width matters there).</summary>
    public static Layer DenseStandard(double weightStd = 1, double biasStd = 0, int? width = null) => new Dense(weightStd, biasStd, Parameterization.Standard, width);

    /// <summary><c>identity</c>.</summary>
    public static Layer Identity() => new Identity();

    /// <summary><c>relu</c>.</summary>
    public static Layer Relu() => Tangent.Layers.ABRelu.Relu();

    /// <summary><c>leaky_relu(alpha=α)</c>.</summary>
    public static Layer LeakyRelu(double alpha = 0.01) => Tangent.Layers.ABRelu.LeakyRelu(alpha);

    /// <summary><c>abs</c>.</summary>
    public static Layer Abs() => Tangent.Layers.ABRelu.Abs();

    /// <summary><c>abrelu(a=…,b=…)</c>: a·x for x &lt; 0, b·x for x ≥ 0.</summary>
    public static Layer ABRelu(double a, double b) => new ABRelu(a, b);

    /// <summary><c>erf(a=…,b=…,c=…)</c>: a·erf(b·x) + c.</summary>
    public static Layer Erf(double a = 1, double b = 1, double c = 0) => new Erf(a, b, c);

    /// <summary><c>gelu</c>.</summary>
    public static Layer Gelu() => new Gelu();

    /// <summary><c>sin(a=…,b=…,c=…)</c>: a·sin(b·x + c).</summary>
    public static Layer Sin(double a = 1, double b = 1, double c = 0) => new Sin(a, b, c);

    /// <summary><c>cos(a=…,b=…,c=…)</c>: a·cos(b·x + c).</summary>
    public static Layer Cos(double a = 1, double b = 1, double c = 0) => Tangent.Layers.Sin.Cos(a, b, c);

    /// <summary><c>exp(a=…,b=…)</c>: a·e^{b·x}.</summary>
    public static Layer Exp(double a = 1, double b = 1) => new Exp(a, b);

    /// <summary><c>gaussian(a=…,b=…)</c>: a·e^{b·x²} (b &lt; 0).</summary>
    public static Layer Gaussian(double a = 1, double b = -1) => new Gaussian(a, b);

    /// <summary><c>hermite(n=…)</c>: the normalised probabilists' Hermite polynomial of degree n.</summary>
    public static Layer Hermite(int n) => new Hermite(n);

    /// <summary><c>monomial(n=…)</c>: xⁿ.</summary>
    public static Layer Monomial(int n) => new Monomial(n);

    /// <summary><c>polynomial(coef=c0;c1;…)</c>: Σ cₖ·xᵏ.</summary>
    public static Layer Polynomial(params double[] coefficients) => new Polynomial(coefficients);

    /// <summary><c>sign</c> (NNGP only: it has no NTK).</summary>
    public static Layer Sign() => new Sign();

    /// <summary>Any elementwise φ by Gauss–Hermite quadrature, with its derivative for the NTK.</summary>
    public static Layer Elementwise(string name, Func<double, double> phi, Func<double, double> derivative) => new NumericalActivation(name, phi, derivative);

    /// <summary><c>conv(size=…,w=…,b=…,stride=…,padding=…)</c> (2-D; <paramref name="dimensions"/> 1 for sequences).</summary>
    public static Layer Conv(int size = 3, double weightStd = 1, double biasStd = 0, int stride = 1, Padding padding = Padding.Same, int dimensions = 2) =>
        new Conv(size, weightStd, biasStd, stride, padding, dimensions);

    /// <summary><c>conv_transpose(size=…,w=…,b=…,stride=…,padding=…)</c>: the transposed convolution (upsampling by the stride; padding valid by default).</summary>
    public static Layer ConvTranspose(int size = 3, double weightStd = 1, double biasStd = 0, int stride = 1, Padding padding = Padding.Valid, int dimensions = 2) =>
        new ConvTranspose(size, weightStd, biasStd, stride, padding, dimensions);

    /// <summary><c>avg_pool(size=…)</c>.</summary>
    public static Layer AvgPool(int size = 2, int? stride = null, Padding padding = Padding.Valid, int dimensions = 2) => new AvgPool(size, stride, padding, dimensions);

    /// <summary><c>flatten</c>: the image readout keeping every pixel.</summary>
    public static Layer Flatten() => new Flatten();

    /// <summary><c>global_avg_pool</c>: the image readout averaging the pixels.</summary>
    public static Layer GlobalAvgPool() => new GlobalAvgPool();

    /// <summary><c>sum_pool(size=…)</c>: avg_pool times the window's cell count.</summary>
    public static Layer SumPool(int size = 2, int? stride = null, Padding padding = Padding.Valid, int dimensions = 2) => new SumPool(size, stride, padding, dimensions);

    /// <summary><c>global_sum_pool</c>: the image readout summing the pixels.</summary>
    public static Layer GlobalSumPool() => new GlobalSumPool();

    /// <summary><c>dropout(rate=p)</c>: inverted dropout in training mode (units dropped with probability p, kept ones scaled by 1/(1−p)).</summary>
    public static Layer Dropout(double rate) => new Dropout(rate);

    /// <summary><c>layer_norm</c>: layer normalization over the features, no learned scale or shift.</summary>
    public static Layer LayerNorm() => new LayerNorm();

    /// <summary><c>product{…|…}</c>: the branches' outputs multiplied elementwise.</summary>
    public static Layer Product(params Layer[] branches) => new ProductFanIn(branches);
}
