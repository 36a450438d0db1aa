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
}
