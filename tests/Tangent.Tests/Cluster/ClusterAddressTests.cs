using Tangent.Cluster;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

public class ClusterAddressTests
{
    [Theory]
    [InlineData("local", "local")]
    [InlineData(" LOCAL ", "local")]
    [InlineData("redis://10.0.0.5:6380", "redis://10.0.0.5:6380")]
    [InlineData("redis://cache.example", "redis://cache.example:6379")]
    [InlineData("redis://[::1]:7000", "redis://[::1]:7000")]
    public void ParsesLocalAndRedisAddresses(string text, string expected) => Assert.Equal(expected, ClusterAddress.Parse(text).ToString());

    [Fact]
    public void RedisAddressGivesTheRedisConfiguration()
    {
        var a = ClusterAddress.Parse("redis://127.0.0.1:6390");
        Assert.False(a.IsLocal);
        Assert.Equal("127.0.0.1:6390", a.RedisConfiguration);
        Assert.True(ClusterAddress.Parse("local").IsLocal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("remote")]
    [InlineData("http://10.0.0.5:6379")]
    [InlineData("redis://")]
    [InlineData("redis://host:notaport")]
    [InlineData("redis://host:6379/db")]
    [InlineData("redis://user:pw@host:6379")]
    [InlineData("redis://host:")]
    [InlineData("redis://host:70000")]
    public void RefusesOtherAddressesWithTheFix(string text)
    {
        var e = Assert.Throws<FormatException>(() => ClusterAddress.Parse(text));
        Assert.Contains("redis://HOST:PORT", e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void SecurityTravelsWithTheAddressAndNeverShowsThePassword()
    {
        var plain = ClusterAddress.Parse("redis://10.0.0.5:6380");
        Assert.Same(ClusterSecurity.None, plain.Security);
        var secured = plain.With(new ClusterSecurity(redisPassword: "hunter2-pw"));
        Assert.Equal("hunter2-pw", secured.Security.RedisPassword);
        Assert.Same(ClusterSecurity.None, plain.Security);
        Assert.Equal("redis://10.0.0.5:6380", secured.ToString());
        Assert.Equal("10.0.0.5:6380", secured.RedisConfiguration);
        Assert.Equal("TLS off (plain TCP, no authentication), Redis password set", secured.Security.ToString());
        Assert.DoesNotContain("hunter2", $"{secured} {secured.Security}");
        Assert.NotEqual(plain, secured);
        Assert.Equal(plain, plain.With(ClusterSecurity.None));
    }

    [Fact]
    public void RedisPasswordForALocalClusterIsRefusedWithoutShowingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => ClusterAddress.Local.With(new ClusterSecurity(redisPassword: "hunter2-pw")));
        Assert.Contains("local cluster, which has no Redis server", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two\nlines")]
    public void EmptyOrMultiLineRedisPasswordIsRefused(string password)
    {
        var e = Assert.Throws<ArgumentException>(() => new ClusterSecurity(redisPassword: password));
        Assert.Contains("on one line", e.Message);
    }

    [Theory]
    [InlineData("dense(w=1.5,b=0.1) relu dense(w=1.5)", false, true)]
    [InlineData("dense(w=1.3) erf dense(w=0.7)", false, false)]
    [InlineData("conv(size=3,w=1.5,b=0.2) relu flatten dense(w=1.5)", true, true)]
    public void NetworkKernelSpecRebuildsTheSameKernel(string arch, bool images, bool ntk)
    {
        var a = Architecture.Parse(arch);
        if (images) a = a.WithInputShape(new ImageShape(4, 4, 2));
        var kernel = new NeuralKernel(a, ntk ? KernelOutputs.Ntk : KernelOutputs.Nngp);
        var back = ClusterKernelSpec.From(kernel).ToKernel();
        Assert.Equal(kernel.Describe(), back.Describe());
        var x = Inputs(5, images ? 32 : 3, 11);
        Assert.Equal(kernel.Compute(x).Data, back.Compute(x).Data);
    }

    [Fact]
    public void ClassicalKernelSpecRebuildsTheSameKernel()
    {
        foreach (var k in new[] { ClassicalKernel.Linear(), ClassicalKernel.Gaussian(0.37), ClassicalKernel.Laplace(1.0 / 3), ClassicalKernel.Polynomial(0.1, 2.5, 4) with { BlockRows = 7 } })
        {
            var back = (ClassicalKernel)ClusterKernelSpec.From(k).ToKernel();
            Assert.Equal(k, back);
        }
    }

    [Fact]
    public void KernelOfAnotherKindIsRefused()
    {
        var e = Assert.Throws<NotSupportedException>(() => ClusterKernelSpec.From(new OtherKernel()));
        Assert.Contains("cannot be sent to a cluster", e.Message);
    }

    private sealed class OtherKernel : IKernel
    {
        public Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Matrix Compute(Matrix x1, Matrix? x2, ComputeOptions options) => throw new NotSupportedException();
        public double[] Diagonal(Matrix x) => throw new NotSupportedException();
        public string Describe() => "other";
    }
}
