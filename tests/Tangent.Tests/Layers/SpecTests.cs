using Tangent.Layers;

namespace Tangent.Tests.Layers;

public sealed class SpecTests
{
    [Theory]
    [InlineData("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense")]
    [InlineData("dense(w=1,param=standard,width=512) relu dense(w=1.2,b=0.5,param=standard)")]
    [InlineData("leaky_relu(alpha=0.1) hermite(n=3) erf(a=2,b=0.5,c=0.1) abrelu(a=-0.2,b=1.1) gelu sin(a=1,b=2,c=0.5) cos(a=1,b=1,c=0.25)")]
    [InlineData("exp gaussian exp(a=0.5,b=0.25) gaussian(a=1,b=-0.5) monomial(n=2) polynomial(coef=1;0;0.5) sign identity abs relu")]
    [InlineData("dense(w=1.4) repeat(3){dense(w=1.4,b=0.1) relu} dense")]
    [InlineData("dense parallel{identity | dense(w=1.2) relu dense(w=1.3)} concat{relu | erf dense} dense")]
    [InlineData("dense {relu dense} repeat(2){parallel{identity | erf dense}} dense")]
    public void CanonicalSpecsPrintBackUnchanged(string spec)
    {
        // The spec language alone (ParseLayer): chains of activations print back even though an
        // architecture refuses most of them (an activation of the raw input).
        var a = Architecture.ParseLayer(spec);
        Assert.Equal(spec, a.ToString());
        Assert.Equal(spec, Architecture.ParseLayer(a.ToString()).ToString());
    }

    [Theory]
    [InlineData("dense( w = 1.50 , b=1e-1 )   relu\tdense", "dense(w=1.5,b=0.1) relu dense")]
    [InlineData("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense(w=1)", "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense")]
    [InlineData("erf(a=1,b=1,c=0) sin(a=1,b=1,c=0) leaky_relu abrelu(a=0,b=1)", "erf sin leaky_relu(alpha=0.01) abrelu(a=0,b=1)")]
    [InlineData("dense(w=sqrt(4)) {relu}", "dense(w=2) {relu}")]
    [InlineData("dense(w=sqrt(sqrt(16)) ) relu", "dense(w=2) relu")]
    [InlineData("repeat(100000){relu}", "repeat(100000){relu}")]
    public void NonCanonicalSpecsNormalise(string spec, string canonical)
    {
        Assert.Equal(canonical, Architecture.ParseLayer(spec).ToString());
    }

    [Fact]
    public void ParsedArchitectureComputesTheSameKernelAsTheCSharpOne()
    {
        var parsed = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense(w=1)");
        var built = new Architecture(new Dense(1.5, 0.1), ABRelu.Relu(), new Dense(1.5, 0.1), new Erf(), new Dense(1));
        double[] x1 = [0.3, -1, 2], x2 = [1, 1, -0.5];
        Assert.Equal(built.Kernel(x1, x2), parsed.Kernel(x1, x2));
        Assert.Equal(built.ToString(), parsed.ToString());
    }

    private static string ErrorOf(string spec) => Assert.Throws<FormatException>(() => Architecture.Parse(spec)).Message;

    /// <summary>The caret line: the character under '^' (after the two-space indent) is at the reported column.</summary>
    private static int CaretColumn(string message)
    {
        var lines = message.Split('\n');
        return lines[^1].IndexOf('^') - 2 + 1;
    }

    [Fact]
    public void TypoPointsAtTheNameAndSuggestsTheClosest()
    {
        string m = ErrorOf("dense(w=1.5) rleu dense");
        Assert.Contains("column 14", m);
        Assert.Equal(14, CaretColumn(m));
        Assert.Contains("Did you mean 'relu'?", m);
        Assert.Contains("Known layers: dense, identity, relu", m);
        Assert.Contains("  dense(w=1.5) rleu dense", m);
    }

    [Theory]
    [InlineData("dense(w=1.5,q=2) relu", 13, "dense has no parameter 'q'")]
    [InlineData("dense(widht=2)", 7, "Did you mean 'width'?")]
    [InlineData("dense(w=abc)", 9, "'w' must be a number")]
    [InlineData("dense(w=1", 10, "Expected ')' but the spec ended")]
    [InlineData("relu }", 6, "outside braces")]
    [InlineData("repeat(x){relu}", 8, "whole count")]
    [InlineData("dense(param=mup)", 13, "param must be ntk or standard")]
    [InlineData("gaussian(b=1)", 12, "gaussian: 'b' must be a finite number < 0, so that a·exp(b·x²) decays (e.g. b=-1), got 1.")]
    [InlineData("parallel{relu | erf}", 1, "uncorrelated")]
    [InlineData("", 1, "empty")]
    [InlineData("dense(w=-1)", 9, "dense: 'w' must be a finite number ≥ 0 (σw), got -1.")]
    [InlineData("erf(a=sqrt(-1))", 7, "erf: 'a' must be a finite number, got sqrt(-1) (= NaN).")]
    [InlineData("dense(w=1.5) erf(b=1e400)", 20, "erf: 'b' must be a finite number, got 1e400 (beyond the largest double, about 1.8e308).")]
    [InlineData("dense(b=sqrt(-4))", 9, "dense: 'b' must be a finite number ≥ 0 (σb), got sqrt(-4) (= NaN).")]
    [InlineData("dense(w=-1e999)", 9, "dense: 'w' must be a finite number ≥ 0 (σw), got -1e999 (beyond the largest double")]
    [InlineData("leaky_relu(alpha=NaN)", 18, "leaky_relu: 'alpha' must be a finite number, got NaN.")]
    [InlineData("abrelu(a=0,b=Infinity)", 14, "abrelu: 'b' must be a finite number, got Infinity.")]
    [InlineData("sin(c=1e309)", 7, "sin: 'c' must be a finite number")]
    [InlineData("cos(a=sqrt(1e999))", 7, "cos: 'a' must be a finite number, got sqrt(1e999) (= Infinity)")]
    [InlineData("exp(b=-1e400)", 7, "exp: 'b' must be a finite number")]
    [InlineData("gaussian(a=1e400)", 12, "gaussian: 'a' must be a finite number")]
    [InlineData("gaussian(b=sqrt(-1))", 12, "gaussian: 'b' must be a finite number < 0")]
    [InlineData("hermite(n=-1)", 11, "hermite: 'n' must be a whole number in 0..30, got '-1'.")]
    [InlineData("monomial(n=31)", 12, "monomial: 'n' must be a whole number in 0..30, got '31'.")]
    [InlineData("hermite(n=2.5)", 11, "hermite: 'n' must be a whole number in 0..30, got '2.5'.")]
    [InlineData("polynomial(coef=1;sqrt(-1);2)", 19, "polynomial: 'coef (coefficient 2)' must be a finite number, got sqrt(-1) (= NaN).")]
    [InlineData("polynomial(coef=0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;1)", 17, "32 coefficients (degree 31); at most 31 (degree 30)")]
    [InlineData("dense(width=0)", 13, "dense: 'width' must be a whole number ≥ 1, got '0'.")]
    [InlineData("dense(width=99999999999)", 13, "dense: 'width' must be a whole number ≥ 1, got '99999999999'.")]
    [InlineData("conv(dims=3) flatten", 11, "conv: 'dims' must be a whole number 1 or 2, got '3'.")]
    [InlineData("conv(w=sqrt(-2)) flatten", 8, "conv: 'w' must be a finite number ≥ 0 (σw)")]
    [InlineData("conv(size=0) flatten", 11, "conv: 'size' must be a whole number ≥ 1")]
    [InlineData("avg_pool(stride=-2) flatten", 17, "avg_pool: 'stride' must be a whole number ≥ 1")]
    [InlineData("dense(w=sqrt())", 9, "'w' must be a number")]
    [InlineData("repeat(0){relu}", 8, "whole count in 1..100000")]
    [InlineData("repeat(100001){relu}", 8, "whole count in 1..100000")]
    [InlineData("dense repeat(1000){repeat(1000){relu}}", 7, "repeat(1000){…} unrolls to 1000000 layers; at most 100000")]
    [InlineData("repeat(60000){relu} repeat(60000){relu}", 1, "The network unrolls to 120000 layers")]
    [InlineData("concat{repeat(50000){relu} | repeat(50001){erf}}", 1, "The network unrolls to 100001 layers")]
    public void ErrorsNameTheColumnWithACaret(string spec, int column, string fragment)
    {
        string m = ErrorOf(spec);
        Assert.Contains(fragment, m);
        Assert.Contains($"column {column}:", m);
        Assert.Equal(column, CaretColumn(m));
    }

    /// <summary>The spec nests braces this deep: groups, repeat bodies or parallel branches.</summary>
    private static string Nested(string open, int depth) => string.Concat(Enumerable.Repeat(open, depth)) + "relu" + new string('}', depth);

    [Theory]
    [InlineData("{")]
    [InlineData("repeat(1){")]
    [InlineData("concat{")]
    public void NestingIsLimitedWithAClearErrorInsteadOfAStackOverflow(string open)
    {
        var ok = Architecture.ParseLayer(Nested(open, SpecParser.MaxNesting));
        Assert.Equal(1, SpecParser.UnrolledLayers(ok));   // the single relu at the bottom
        foreach (int depth in new[] { SpecParser.MaxNesting + 1, 14_000 })
        {
            string spec = Nested(open, depth);
            string m = ErrorOf(spec);
            Assert.Contains($"Braces nest deeper than {SpecParser.MaxNesting} levels", m);
            int column = SpecParser.MaxNesting * open.Length + open.Length;   // the first brace too many
            Assert.Contains($"column {column}:", m);
            // A long spec is echoed as a window with the caret under the offending brace.
            var lines = m.Split('\n');
            Assert.True(lines[1].Length <= 2 + 2 + 100, $"echo of {lines[1].Length} characters");
            Assert.Contains("…", lines[1]);
            Assert.Equal('{', lines[1][lines[2].IndexOf('^')]);
        }
    }

    [Fact]
    public void DeeplyNestedSqrtIsUnwrappedWithoutRecursion()
    {
        string spec = "dense(w=" + string.Concat(Enumerable.Repeat("sqrt(", 14_000)) + "16" + new string(')', 14_000) + ")";
        var dense = (Dense)Architecture.Parse(spec).Root;
        Assert.Equal(1, dense.WeightStd, 1e-12);
    }
}
