using Tangent.Cli;
using Tangent.Data;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// Activations fed a non-Gaussian input (Tangent issue 9; docs/LAYERS.md, "Gaussian pre-activations"):
/// the exact rewrites against hand formulas and equivalent architectures, the quadrature of composed
/// smooth activations against an independent rule, and every refusal with its message.
/// (Monte-Carlo checks: MonteCarloTests and CntkMonteCarloTests.)
/// </summary>
public sealed class GaussianInputTests
{
    private static readonly Matrix X = Inputs();

    private static Matrix Inputs()
    {
        var x = RandomInputs(7, 3, 17);
        x.Row(2).Clear();                          // a zero input
        x.Row(4).Clear(); x[4, 0] = 2.5;           // a large one
        for (int k = 0; k < 3; k++) x[5, k] = -x[0, k];   // antipodal to row 0
        return x;
    }

    private static KernelResult K(string spec, KernelOutputs outputs = KernelOutputs.Both) =>
        Architecture.Parse(spec).ComputeKernels(X, null, outputs, tileSize: 3);

    private static void AssertSame(string spec, string equivalent, double tolerance = 0, KernelOutputs outputs = KernelOutputs.Both)
    {
        var a = K(spec, outputs); var b = K(equivalent, outputs);
        if (outputs.HasFlag(KernelOutputs.Nngp)) Assert.True(a.Nngp.MaxAbsDifference(b.Nngp) <= tolerance, $"{spec} vs {equivalent}: NNGP differs by {a.Nngp.MaxAbsDifference(b.Nngp):G3}");
        if (outputs.HasFlag(KernelOutputs.Ntk)) Assert.True(a.Ntk.MaxAbsDifference(b.Ntk) <= tolerance, $"{spec} vs {equivalent}: NTK differs by {a.Ntk.MaxAbsDifference(b.Ntk):G3}");
    }

    private static string Refusal(string spec) => Assert.Throws<NonGaussianInputException>(() => Architecture.Parse(spec)).Message;

    // ---- Exact rewrites ----

    [Fact]
    public void ReluReluIsExactlyRelu()
    {
        // The example: equal to the single relu's closed form, NNGP and NTK, to the last bit.
        AssertSame("dense(w=1.3,b=0.2) relu relu dense(w=1.1,b=0.1)", "dense(w=1.3,b=0.2) relu dense(w=1.1,b=0.1)");
        var a = Architecture.Parse("dense(w=1.3,b=0.2) relu relu dense(w=1.1,b=0.1)");
        Assert.Equal("dense(w=1.3,b=0.2) relu relu dense(w=1.1,b=0.1)", a.ToString());   // prints what was written
        Assert.Equal(Architecture.Parse("dense(w=1.3,b=0.2) relu dense(w=1.1,b=0.1)").Kernel(X.Row(0), X.Row(1)), a.Kernel(X.Row(0), X.Row(1)));
    }

    [Theory]
    [InlineData("relu abs", "relu")]       // spec order: relu first, so abs∘relu = relu
    [InlineData("abs relu", "abs")]        // relu∘abs = abs
    [InlineData("abs abs", "abs")]
    [InlineData("relu identity relu", "relu")]
    [InlineData("leaky_relu(alpha=0.2) leaky_relu(alpha=0.5)", "leaky_relu(alpha=0.1)")]
    [InlineData("abrelu(a=0.5,b=2) relu", "abrelu(a=0,b=2)")]
    [InlineData("abrelu(a=-0.5,b=2) relu", "abrelu(a=-0.5,b=2)")]
    [InlineData("abrelu(a=0.5,b=2) abs", "abrelu(a=-0.5,b=2)")]
    [InlineData("repeat(3){relu}", "relu")]
    [InlineData("{relu} {relu}", "relu")]
    public void PiecewiseLinearPairsAreOneAbrelu(string acts, string single)
        => AssertSame($"dense(w=1.2,b=0.3) {acts} dense(w=0.9)", $"dense(w=1.2,b=0.3) {single} dense(w=0.9)", 1e-15);

    [Fact]
    public void AbreluCompositionIsTheFunctionComposedPointwise()
    {
        double[] slopes = [-2, -1, -0.3, 0, 0.4, 1, 1.7];
        foreach (double a1 in slopes) foreach (double b1 in slopes) foreach (double a2 in slopes) foreach (double b2 in slopes)
        {
            var inner = new ABRelu(a1, b1); var outer = new ABRelu(a2, b2);
            var c = ActivationComposition.ComposeABRelu(outer, inner);
            foreach (double x in (double[])[-3, -0.5, 0, 0.25, 2])
            {
                double expected = outer.Phi(inner.Phi(x));
                Assert.Equal(expected, c.Phi(x), 1e-15 * Math.Max(1, Math.Abs(expected)));
            }
        }
    }

    [Fact]
    public void PolynomialsComposeIntoAPolynomial()
    {
        var c = ActivationComposition.ComposePolynomials([1, 0.5, -0.25], [0.1, 2, 0, 0.3]);
        var p = new Polynomial([1, 0.5, -0.25]); var r = new Polynomial([0.1, 2, 0, 0.3]);
        foreach (double x in (double[])[-1.5, -0.2, 0, 0.7, 2]) Assert.Equal(p.Phi(r.Phi(x)), new Polynomial(c).Phi(x), 1e-12);
        // hermite(2)∘monomial(1) = hermite(2); (x²)∘(x²) = x⁴.
        AssertSame("dense(w=1.1,b=0.2) monomial(n=1) hermite(n=2) dense", "dense(w=1.1,b=0.2) hermite(n=2) dense", 1e-14);
        AssertSame("dense(w=1.1,b=0.2) monomial(n=2) monomial(n=2) dense", "dense(w=1.1,b=0.2) monomial(n=4) dense", 1e-12);
    }

    [Fact]
    public void SignCompositionsAreStepsWithTheArcsineKernel()
    {
        // relu∘sign = sign∘relu = 1{x > 0} = 1/2 + sign/2: nngp = 1/4 + (1/4)(2/π)·arcsin ρ; erf∘sign = erf(1)·sign.
        var dense = new Dense(1.3, 0.2);
        foreach (var (spec, m, d) in new[] { ("sign relu", 0.5, 0.5), ("relu sign", 0.5, 0.5), ("sign erf", 0, SpecialFunctions.Erf(1)), ("sign sign", 0, 1.0) })
        {
            var a = Architecture.Parse($"dense(w=1.3,b=0.2) {spec}");
            Assert.False(a.HasNtk);
            for (int i = 0; i < X.Rows; i++)
                for (int j = 0; j < X.Rows; j++)
                {
                    var s = dense.Apply(KernelState.FromInputs(X.Row(i), X.Row(j)));
                    double rho = Activation.Correlation(s.Cov1, s.Nngp, s.Cov2);
                    Assert.Equal(m * m + d * d * 2 / Math.PI * Math.Asin(rho), a.Kernel(X.Row(i), X.Row(j)).Nngp, 1e-14);
                }
            Assert.Throws<NotSupportedException>(() => a.ComputeKernels(X, null, KernelOutputs.Ntk));
        }
        // A zero input (no bias): the step's value at 0, sign(0) = 0.
        Assert.Equal(0.0, K("dense relu sign", KernelOutputs.Nngp).Nngp[2, 2]);
    }

    [Fact]
    public void ActivationAfterConcatGoesIntoEveryBranch()
    {
        AssertSame("dense(w=1.2,b=0.1) concat{dense(w=0.5) | dense(w=2,b=0.5)} erf dense(w=1.1)",
            "dense(w=1.2,b=0.1) concat{dense(w=0.5) erf | dense(w=2,b=0.5) erf} dense(w=1.1)");
        // Into a branch that ends with an activation: composed there (relu∘relu = relu).
        AssertSame("dense(w=1.2) concat{relu | gelu dense(w=0.8)} relu dense", "dense(w=1.2) concat{relu | gelu dense(w=0.8) relu} dense", 1e-15);
        // The old rule averaged the groups' kernels first: 20 % off here (Monte Carlo in MonteCarloTests).
        var naive = NaiveKernels("dense(w=1.2,b=0.1) concat{dense(w=0.5) | dense(w=2,b=0.5)} erf dense(w=1.1)", X);
        Assert.True(RelativeFrobenius(naive.Nngp, K("dense(w=1.2,b=0.1) concat{dense(w=0.5) | dense(w=2,b=0.5)} erf dense(w=1.1)").Nngp) > 0.1);
    }

    [Fact]
    public void OrdinaryArchitecturesRunAsWritten()
    {
        // No rewrite, so the fused engine runs the very same layer objects as before.
        foreach (string spec in new[] { "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense", "dense repeat(3){dense(w=1.4,b=0.1) relu} dense",
                     "dense parallel{identity | dense(w=1.2) relu dense(w=1.3)} relu dense", "dense concat{relu dense | erf dense} dense",
                     "dense relu parallel{identity | dense relu dense} dense", "identity dense relu dense" })
        {
            var a = Architecture.Parse(spec);
            Assert.Same(a.Root, a.Execution);
        }
    }

    // ---- Smooth pairs by quadrature ----

    [Theory]
    [InlineData("erf", "gelu")]
    [InlineData("gelu", "erf")]
    [InlineData("erf", "erf")]
    [InlineData("erf", "sin(b=2)")]
    public void ComposedQuadratureAgreesWithAnIndependentRule(string first, string second)
    {
        // Against 2-D Gauss–Hermite of degree 200 (accurate to ~1e-10 at these variances, q ≤ 1).
        var inner = (Activation)Architecture.ParseLayer(first); var outer = (Activation)Architecture.ParseLayer(second);
        var c = Assert.IsType<ComposedActivation>(ActivationComposition.Compose(outer, inner, "test", "fix", out _));
        var gh = new NumericalActivation("reference", x => outer.Phi(inner.Phi(x)), x => outer.Derivative(inner.Phi(x)) * inner.Derivative(x), degree: 200);
        foreach (var (q11, q12, q22) in new[] { (1.0, 0.3, 1.0), (0.5, -0.2, 0.9), (0.8, 0.8, 0.8), (0.9, -0.9, 0.9), (0.3, 0, 0.9), (0.0, 0, 0.7) })
        {
            Assert.Equal(gh.Nngp(q11, q12, q22), c.Nngp(q11, q12, q22), 1e-9);
            Assert.Equal(gh.NtkFactor(q11, q12, q22), c.NtkFactor(q11, q12, q22), 1e-9);
            Assert.Equal(gh.Variance(q22), c.Variance(q22), 1e-9);
        }
        Assert.True(c.RelativeError(1) < 1e-9);
    }

    [Fact]
    public void ComposedPairTiledEqualsUntiledAndTheFiniteTwinIsTheComposition()
    {
        var a = Architecture.Parse("dense(w=1.2,b=0.2) erf gelu dense(w=1.1,b=0.1)");
        var k = a.ComputeKernels(X, null, KernelOutputs.Both, tileSize: 3);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                var s = a.Kernel(X.Row(i), X.Row(j));
                Assert.Equal(s.Nngp, k.Nngp[i, j], 1e-13);
                Assert.Equal(s.Ntk, k.Ntk[i, j], 1e-13);
            }
        Assert.True(a.NngpDiagonal(X).Zip(k.Nngp.Diagonal()).All(p => Math.Abs(p.First - p.Second) < 1e-13));
    }

    [Fact]
    public void ComposedPairRefusesVariancesItCannotIntegrate()
    {
        // erf∘erf(b=2) at q = 36·2.5²/3: the quadrature would need too many nodes; the message names
        // both layers, the variance and the fix, and nothing was computed.
        var a = Architecture.Parse("dense(w=6) erf(b=2) erf dense");
        var e = Assert.Throws<NonGaussianInputException>(() => a.ComputeKernels(X));
        Assert.Contains("'erf(a=1,b=2,c=0)' (layer 2) then 'erf' (layer 3)", e.Message);
        Assert.Contains("input variance q = 75 ", e.Message);
        Assert.Contains("insert a dense layer (e.g. dense(w=1)) before 'erf' (layer 3)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<NonGaussianInputException>(() => a.Kernel(X.Row(4), X.Row(4)));
        // The rule itself refuses such variances on any path, rather than integrating for hours.
        var c = ActivationComposition.Compose(new Erf(), new Erf(1, 2), "here", "fix", out _)!;
        Assert.Contains("q = 1E+06", Assert.Throws<NonGaussianInputException>(() => c.Variance(1e6)).Message);
        Assert.Throws<NonGaussianInputException>(() => c.Nngp(1, 0.5, 1e6));
        // Small inputs are fine.
        var small = X.Clone();
        for (int t = 0; t < small.Data.Length; t++) small.Data[t] *= 0.05;
        Assert.True(a.ComputeKernels(small).Nngp.AllFinite());
    }

    // ---- Refusals ----

    [Theory]
    [InlineData("relu dense")]
    [InlineData("identity relu dense")]
    [InlineData("concat{identity | dense} relu dense")]
    public void AnActivationOfTheRawInputIsRefused(string spec)
    {
        string m = Refusal(spec);
        Assert.Contains($"Architecture '{spec}'", m);
        Assert.Contains("'relu' (layer", m);
        Assert.Contains("raw input", m);
        Assert.Contains("start with a dense layer, e.g. 'dense(w=1) ", m);
        Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void ASumWithAPostActivationBranchFollowedByAnActivationIsRefused()
    {
        string m = Refusal("dense relu parallel{identity | dense relu dense} relu dense");
        Assert.Contains("'relu' (layer 7)", m);
        Assert.Contains("the sum 'parallel{identity | dense relu dense}', whose branch 1 'identity' ends with an activation", m);
        Assert.Contains("insert a dense layer (e.g. dense(w=1)) before 'relu' (layer 7)", m);
        // The input through an identity branch: deterministic plus Gaussian is no centred Gaussian.
        Assert.Contains("carries the raw input", Refusal("parallel{identity | dense relu dense} relu dense"));
        // Inside a repeat: the position is the written one.
        Assert.Contains("'erf' (layer 7)", Refusal("dense repeat(2){relu dense} relu parallel{identity | dense} erf dense"));
    }

    [Theory]
    [InlineData("dense relu erf dense", "'relu' (layer 2) then 'erf' (layer 3)", "kink")]
    [InlineData("dense gelu abs dense", "'gelu' (layer 2) then 'abs' (layer 3)", "kink")]
    [InlineData("dense sin sign dense", "'sin' (layer 2) then 'sign' (layer 3)", "changes sign")]
    [InlineData("dense relu concat{erf dense | dense} dense", "'erf' (layer 3) starts a branch", "output of an activation")]
    [InlineData("dense concat{dense | dense} concat{relu | dense} dense", "'relu' (layer 4) starts a branch", "concatenation")]
    public void PairsWithoutAnAccurateRuleAreRefused(string spec, string where, string why)
    {
        string m = Refusal(spec);
        Assert.Contains(where, m);
        Assert.Contains(why, m);
        Assert.Contains("insert a dense layer (e.g. dense(w=1)) before", m);
    }

    [Fact]
    public void KernelStatesCarryTheFlag()
    {
        // The raw per-pair rules refuse too (an Architecture rewrites before they run).
        var x0 = KernelState.FromInputs(X.Row(0), X.Row(1));
        Assert.False(x0.IsGaussian);
        Assert.Throws<NonGaussianInputException>(() => ABRelu.Relu().Apply(x0));
        var z = new Dense(1.2).Apply(x0);
        Assert.True(z.IsGaussian);
        Assert.False(ABRelu.Relu().Apply(z).IsGaussian);
        Assert.Equal(z, new Identity().Apply(z));
        Assert.Throws<NonGaussianInputException>(() => new Serial([new Dense(), ABRelu.Relu(), ABRelu.Relu()]).Apply(x0));
        Assert.True(new ParallelBranches(FanIn.Sum, [new Dense(), new Serial([new Dense(), new Erf(), new Dense()])]).Apply(z).IsGaussian);
        Assert.False(new ParallelBranches(FanIn.Sum, [new Identity(), new Serial([new Dense(), new Erf(), new Dense()])]).Apply(x0).IsGaussian);
        Assert.False(new ParallelBranches(FanIn.Concat, [new Dense(), new Dense(2)]).Apply(z).IsGaussian);
        // C#-built architectures are checked like parsed ones.
        Assert.Throws<NonGaussianInputException>(() => new Architecture(new Erf(), new Dense()));
        Assert.Equal("relu", Architecture.ParseLayer("relu").ToString());   // a bare activation still parses as a layer
    }

    [Fact]
    public void TheCommandLineExitsWithTwoAndOneLine()
    {
        string dir = Directory.CreateTempSubdirectory("tangent-gauss-").FullName;
        try
        {
            string x = Path.Combine(dir, "x.csv");
            MatrixFile.Write(x, X);
            var o = new StringWriter(); var e = new StringWriter();
            int code = TangentCli.Run(["kernel", "--arch", "relu dense", "--x1", x, "--out", Path.Combine(dir, "k.npy")], o, e);
            Assert.Equal(2, code);
            string err = e.ToString().TrimEnd();
            Assert.StartsWith("error: Architecture 'relu dense': 'relu' (layer 1) is applied to the raw input", err);
            Assert.DoesNotContain('\n', err);
            Assert.False(File.Exists(Path.Combine(dir, "k.npy")));
            code = TangentCli.Run(["kernel", "--arch", "dense(w=1.3,b=0.2) relu relu dense", "--x1", x, "--out", Path.Combine(dir, "k.npy")], o, e);
            Assert.Equal(0, code);
            Assert.True(MatrixFile.Read(Path.Combine(dir, "k.npy")).MaxAbsDifference(K("dense(w=1.3,b=0.2) relu dense").Ntk) < 1e-13);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
