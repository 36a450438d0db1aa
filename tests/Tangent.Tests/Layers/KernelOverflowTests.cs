using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Layers;

public sealed class KernelOverflowTests
{
    private static Matrix Inputs(double scale, int n = 5, int d = 4)
    {
        var x = LayerTestUtil.RandomInputs(n, d, 7);
        for (int k = 0; k < x.Data.Length; k++) x.Data[k] *= scale;
        return x;
    }

    /// <summary>The diagnosis, after checking that computing the kernel refuses to return it with the same message.</summary>
    private static string Diagnosis(string spec, Matrix x)
    {
        var arch = Architecture.Parse(spec);
        var e = Assert.Throws<NetworkKernelOverflowException>(() => arch.ComputeKernels(x));
        var m = KernelOverflow.Diagnose(arch, x, null);
        Assert.NotNull(m);
        Assert.DoesNotContain('\n', m);
        Assert.Equal(m, e.Message);
        return m;
    }

    [Fact]
    public void HugeWeightStdIsNamedAtTheFirstDenseLayer()
    {
        string m = Diagnosis("dense(w=1e200) relu dense(w=1e200)", Inputs(1));
        Assert.Contains("at layer 1 of 3, 'dense(w=1E+200)'", m);
        Assert.Contains("its NNGP variance goes from ", m);
        Assert.Contains("to ∞", m);
        Assert.Contains("σw = 1E+200 makes the variance overflow: use a smaller w.", m);
    }

    [Fact]
    public void TheMessageInTheDocsIsTheRealOne()
    {
        var x = Matrix.Build(2, 4, (_, _) => 1.0);   // ‖x‖²/d = 1
        Assert.Equal(
            "The kernel overflows float64 at layer 1 of 3, 'dense(w=1E+200)': for input row 1 of X1 its NNGP variance goes from 1 to ∞. " +
            "σw = 1E+200 makes the variance overflow: use a smaller w.",
            Diagnosis("dense(w=1e200) relu dense(w=1e200)", x));
    }

    [Fact]
    public void ExpWithALargeRateIsNamed()
    {
        string m = Diagnosis("dense exp(b=30) dense", Inputs(1));
        Assert.Contains("at layer 2 of 3, 'exp(a=1,b=30)'", m);
        Assert.Contains("exp(a=1,b=30) maps the variance", m);
        Assert.Contains("use smaller parameters in exp(a=1,b=30)", m);
    }

    [Fact]
    public void DeepReluOnHugeInputsBlamesTheInputs()
    {
        string m = Diagnosis("dense(w=2) repeat(50){relu dense(w=2)}", Inputs(1e150));
        Assert.Contains("of 101, 'dense(w=2)' (repetition ", m);
        Assert.Contains(" of 50 of 'repeat(50){relu dense(w=2)}')", m);
        Assert.Contains("The inputs are large (‖x‖²/d = ", m);
        Assert.Contains("rescale or standardize the inputs.", m);
    }

    [Fact]
    public void ExplodingDepthWithModerateWeightsIsNamedAsGrowth()
    {
        // The NTK (a sum over the layers) overflows first; asked for the NNGP alone, its own overflow is named.
        string m = Diagnosis("repeat(2000){dense(w=2) relu}", Inputs(1));
        Assert.Contains("at layer 2025 of 4000, 'dense(w=2)' (repetition 1013 of 2000 of 'repeat(2000){dense(w=2) relu}')", m);
        Assert.Contains("its NTK goes from", m);
        Assert.Contains("The NTK accumulates through the layers (×σw² = 4 per dense layer): use a smaller w or fewer layers.", m);
        string n = KernelOverflow.Diagnose(Architecture.Parse("repeat(2000){dense(w=2) relu}"), Inputs(1), null, KernelOutputs.Nngp)!;
        Assert.Contains("its NNGP variance goes from", n);
        Assert.Contains("The variance grows through the layers (×σw² = 4 per dense layer): use a smaller w (see tangent criticality)", n);
    }

    [Fact]
    public void BranchOfAParallelBlockIsNamed()
    {
        string m = Diagnosis("dense parallel{identity | dense(w=1e200) relu dense} dense", Inputs(1));
        Assert.Contains("at layer 3 of 6, 'dense(w=1E+200)' (branch 2 of 'parallel{identity | dense(w=1E+200) relu dense}')", m);
    }

    [Fact]
    public void NtkOverflowWhileTheNngpStaysFiniteIsNamedAsTheNtk()
    {
        // ‖x‖²/d = 1e307 and σw = √2 keep the ReLU variance constant while the NTK adds it up layer by layer.
        var x = Matrix.Build(1, 4, (_, _) => Math.Sqrt(1e307));
        string m = Diagnosis("repeat(30){dense(w=sqrt(2)) relu} dense", x);
        Assert.Contains("its NTK goes from", m);
        Assert.Contains("The inputs are large (‖x‖²/d = 1E+307)", m);
        Assert.Null(KernelOverflow.Diagnose(Architecture.Parse("repeat(30){dense(w=sqrt(2)) relu} dense"), x, null, KernelOutputs.Nngp));
    }

    [Fact]
    public void InputsWhoseSquaredNormOverflowsAreNamed()
    {
        var x = Inputs(1);
        x[2, 1] = 1e200;
        string m = KernelOverflow.Diagnose(Architecture.Parse("dense relu dense"), x, null)!;
        Assert.Contains("before the first layer: the squared norm ‖x‖²/d of input row 3 of X1 is ∞. Rescale or standardize the inputs.", m);
    }

    [Fact]
    public void SecondInputSetIsWalkedToo()
    {
        var arch = Architecture.Parse("dense(w=2) repeat(50){relu dense(w=2)}");
        string m = KernelOverflow.Diagnose(arch, Inputs(1), Inputs(1e150, n: 3))!;
        Assert.Contains("of X2", m);
    }

    [Fact]
    public void FiniteKernelsHaveNoDiagnosisAndDoNotThrow()
    {
        var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5) erf dense");
        var x = Inputs(3);
        Assert.Null(KernelOverflow.Diagnose(arch, x, null));
        KernelOverflow.ThrowIfOverflowed(arch, x, null, arch.ComputeKernels(x));
    }

    [Fact]
    public void ThrowIfOverflowedThrowsTheDiagnosis()
    {
        var arch = Architecture.Parse("dense exp(b=30) dense");
        var x = Inputs(1);
        var e = Assert.Throws<NetworkKernelOverflowException>(() => KernelOverflow.ThrowIfOverflowed(arch, x, null, arch.ComputeKernels(x)));
        Assert.IsAssignableFrom<InvalidOperationException>(e);
        Assert.Contains("'exp(a=1,b=30)'", e.Message);
    }
}
