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
    [InlineData("gaussian(b=1)", 1, "b must be negative")]
    [InlineData("parallel{relu | erf}", 1, "uncorrelated")]
    [InlineData("", 1, "empty")]
    [InlineData("dense(w=-1)", 1, "must be a finite number ≥ 0")]
    public void ErrorsNameTheColumnWithACaret(string spec, int column, string fragment)
    {
        string m = ErrorOf(spec);
        Assert.Contains(fragment, m);
        Assert.Contains($"column {column}:", m);
        Assert.Equal(column, CaretColumn(m));
    }
}
