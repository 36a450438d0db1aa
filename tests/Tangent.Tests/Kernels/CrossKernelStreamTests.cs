using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Kernels;

public sealed class CrossKernelStreamTests
{
    public static TheoryData<string> Kernels => ["gaussian", "laplace", "polynomial", "linear", "ntk"];

    private static IKernel Make(string name) => name switch
    {
        "gaussian" => ClassicalKernel.Gaussian(0.4),
        "laplace" => ClassicalKernel.Laplace(0.7),
        "polynomial" => ClassicalKernel.Polynomial(0.5, 1, 3),
        "linear" => ClassicalKernel.Linear(),
        _ => NeuralKernel.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5)", KernelOutputs.Ntk),
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ProductsEqualThoseOfTheWholeMatrix(string name)
    {
        var kernel = Make(name);
        var x = TestData.Random(203, 3, 1);
        var c = TestData.Random(41, 3, 2);
        var w = TestData.Random(203, 2, 3);
        var v = TestData.Random(41, 3, 4);
        var k = kernel.Compute(x, c, ComputeOptions.Default);
        var stream = new CrossKernelStream(kernel, x, c, 9, ComputeOptions.Default);
        var ktw = LinearAlgebra.Multiply(k, w, transA: Op.Transpose);
        var gram = LinearAlgebra.Multiply(k, LinearAlgebra.Multiply(k, v), transA: Op.Transpose);
        Assert.True(stream.TransposeTimes(w).MaxAbsDifference(ktw) <= 1e-12 * Math.Max(1, ktw.FrobeniusNorm()));
        Assert.True(stream.GramTimes(v).MaxAbsDifference(gram) <= 1e-12 * Math.Max(1, gram.FrobeniusNorm()));
    }

    [Fact]
    public void TheResultDoesNotDependOnTheNumberOfThreads()
    {
        var kernel = ClassicalKernel.Gaussian(0.3);
        var x = TestData.Random(1000, 4, 5);
        var c = TestData.Random(64, 4, 6);
        var v = TestData.Random(64, 1, 7);
        var one = new CrossKernelStream(kernel, x, c, 7, new ComputeOptions { MaxThreads = 1 }).GramTimes(v);
        var all = new CrossKernelStream(kernel, x, c, 7, new ComputeOptions()).GramTimes(v);
        var three = new CrossKernelStream(kernel, x, c, 7, new ComputeOptions { MaxThreads = 3 }).GramTimes(v);
        Assert.Equal(one.Data, all.Data);
        Assert.Equal(one.Data, three.Data);
    }

    [Fact]
    public void AnOverflowingEntryIsReportedNotPassedOn()
    {
        var x = TestData.Random(30, 2, 8);
        x[17, 1] = 1e200;
        var c = TestData.Random(10, 2, 9);
        Assert.Throws<KernelOverflowException>(() => new CrossKernelStream(ClassicalKernel.Gaussian(1), x, c, 4, ComputeOptions.Default));
        var stream = new CrossKernelStream(ClassicalKernel.Polynomial(1, 0, 3), x, c, 4, ComputeOptions.Default);
        var e = Assert.Throws<KernelOverflowException>(() => stream.TransposeTimes(TestData.Random(30, 1, 10)));
        Assert.Contains("entry (18,", e.Message);
    }

    [Fact]
    public void CancellationStopsThePass()
    {
        using var cts = new CancellationTokenSource();
        var stream = new CrossKernelStream(ClassicalKernel.Gaussian(1), TestData.Random(100, 2, 1), TestData.Random(10, 2, 2), 5, new ComputeOptions { CancellationToken = cts.Token });
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => stream.GramTimes(TestData.Random(10, 1, 3)));
    }
}
