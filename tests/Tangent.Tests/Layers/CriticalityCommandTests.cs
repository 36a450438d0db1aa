using Tangent.Cli;

namespace Tangent.Tests.Layers;

public sealed class CriticalityCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int rc = TangentCli.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    [Fact]
    public void ReluAtTheCriticalPoint()
    {
        var (rc, output, _) = Run("criticality", "--act", "relu", "--w", "1.4142135623730951");
        Assert.Equal(0, rc);
        Assert.Contains("χ⊥  = 1", output);
        Assert.Contains("phase: critical", output);
        Assert.Contains("critical σw at σb = 0: 1.41421356", output);
    }

    [Fact]
    public void ErfChaoticWithLargeWeights()
    {
        var (rc, output, _) = Run("criticality", "--act", "erf", "--w", "2.5", "--b", "0.1");
        Assert.Equal(0, rc);
        Assert.Contains("phase: chaotic", output);
        Assert.Contains("critical σw at σb = 0: 0.88622", output);
    }

    [Fact]
    public void TypoInActivationIsAUserErrorWithSuggestion()
    {
        var (rc, _, err) = Run("criticality", "--act", "rellu");
        Assert.Equal(2, rc);
        Assert.Contains("Did you mean 'relu'?", err);
    }

    [Fact]
    public void ArchitectureInsteadOfActivationIsRejected()
    {
        var (rc, _, err) = Run("criticality", "--act", "dense relu");
        Assert.Equal(2, rc);
        Assert.Contains("one activation", err);
    }

    [Fact]
    public void ReluDefaultsReportTheMarginalLineNotAZeroFixedPoint()
    {
        var (rc, output, _) = Run("criticality", "--act", "relu");
        Assert.Equal(0, rc);
        Assert.Contains("σw = 1.414213562, σb = 0", output);
        Assert.Contains("q*  = every q   σw²·E[φ(z)²] = q:", output);
        Assert.DoesNotContain("q*  = 0", output);
        Assert.Contains("phase: critical", output);
        Assert.Contains("critical σw at σb = 0: 1.414213562 = √2 exactly", output);
    }

    [Fact]
    public void ReluNearTheCriticalWeightReportsTheDrift()
    {
        var (rc, output, _) = Run("criticality", "--act", "relu", "--w", "1.414213562");
        Assert.Equal(0, rc);
        Assert.Contains("every q is a fixed point up to a drift of 5.27636046E-10 per layer (marginal)", output);
    }

    [Fact]
    public void GeluReportsThatNoCriticalWeightExists()
    {
        var (rc, output, _) = Run("criticality", "--act", "gelu");
        Assert.Equal(0, rc);
        Assert.Contains("no critical σw at σb = 0: χ⊥ jumps from 0.58792890", output);
        Assert.Contains("to 1.1758578", output);
        Assert.Contains("at σw ≈ 1.5335304", output);
        Assert.Contains("q* jumps from 0 to unbounded growth", output);
        Assert.DoesNotContain("(χ⊥ = 1)", output);
        Assert.Contains("σw = 1, σb = 0", output);      // no critical σw: the default σw is 1
    }

    [Theory]
    [InlineData("erf(a=sqrt(-1))", "erf: 'a' must be a finite number, got sqrt(-1) (= NaN).")]
    [InlineData("erf(b=1e400)", "erf: 'b' must be a finite number, got 1e400 (beyond the largest double")]
    [InlineData("hermite(n=-2)", "hermite: 'n' must be a whole number in 0..30, got '-2'.")]
    public void NonFiniteOrOutOfRangeParametersAreUserErrors(string act, string fragment)
    {
        var (rc, output, err) = Run("criticality", "--act", act);
        Assert.Equal(2, rc);
        Assert.Equal("", output);
        Assert.Contains(fragment, err);
    }

    [Fact]
    public void DeeplyNestedActivationIsAUserErrorNotAStackOverflow()
    {
        string act = new string('{', 14_000) + "relu" + new string('}', 14_000);
        var (rc, _, err) = Run("criticality", "--act", act);
        Assert.Equal(2, rc);
        Assert.Contains("Braces nest deeper than 64 levels", err);
    }

    [Theory]
    [InlineData("--w", "1e400", "--w must be a finite number ≥ 0 (σw), got 1e400 (= Infinity).")]
    [InlineData("--w", "-1", "--w must be a finite number ≥ 0 (σw), got -1.")]
    [InlineData("--b", "NaN", "--b must be a finite number ≥ 0 (σb), got NaN.")]
    public void NonFiniteStdsAreUserErrors(string option, string value, string message)
    {
        var (rc, _, err) = Run("criticality", "--act", "erf", option, value);
        Assert.Equal(2, rc);
        Assert.Contains(message, err);
    }
}
