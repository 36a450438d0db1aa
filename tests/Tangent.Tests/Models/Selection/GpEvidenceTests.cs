using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class GpEvidenceTests
{
    [Fact]
    public void LinearKernelEvidenceAndNoiseGradientMatchTheClosedForm()
    {
        // x = (1, 2): K = [[1, 2], [2, 4]]; σ² = 0.5: K_y = [[1.5, 2], [2, 4.5]], det 2.75, K_y⁻¹ = [[4.5, −2], [−2, 1.5]]/2.75.
        var spec = new ModelSpec { Kernel = ClassicalKernel.Linear(), Ridge = Ridge.Absolute(0.5) };
        var v = GpEvidence.Evaluate(spec, Matrix.Column(1, 2), Matrix.Column(1, -1));
        double expected = -0.5 * 10 / 2.75 - 0.5 * Math.Log(2.75) - Math.Log(2 * Math.PI);
        Assert.Equal(expected, v.LogLikelihood, 13);
        // α = K_y⁻¹y = (6.5, −3.5)/2.75; ∂L/∂ log σ² = σ²/2 (‖α‖² − tr K_y⁻¹).
        double gradient = 0.25 * ((6.5 * 6.5 + 3.5 * 3.5) / (2.75 * 2.75) - 6 / 2.75);
        Assert.Equal(gradient, v.Gradient[EvidenceParameter.Noise], 13);
        Assert.Equal([EvidenceParameter.Noise], v.Gradient.Keys);
        Assert.Equal(0.5, v.Noise);
    }

    public static TheoryData<string> Models => ["gaussian", "laplace", "polynomial", "relu", "erf"];

    private static ModelSpec SpecOf(string name) => name switch
    {
        "gaussian" => new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.7), Ridge = Ridge.Absolute(0.2) },
        "laplace" => new ModelSpec { Kernel = ClassicalKernel.Laplace(0.4), Ridge = Ridge.Absolute(0.1) },
        "polynomial" => new ModelSpec { Kernel = ClassicalKernel.Polynomial(0.3, 1, 3), Ridge = Ridge.Absolute(0.3) },
        "relu" => new ModelSpec { Architecture = Architecture.Parse("dense(w=1.5,b=0.2) relu dense(w=1.2,b=0.1)"), Get = KernelOutputs.Nngp, Ridge = Ridge.Absolute(0.05) },
        _ => new ModelSpec { Architecture = Architecture.Parse("dense(w=2,b=0.5) erf dense(w=1.1)"), Get = KernelOutputs.Nngp, Ridge = Ridge.Relative(0.1) },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GradientMatchesFiniteDifferencesOfTheEvidence(string model)
    {
        var spec = SpecOf(model);
        var data = ModelSelectionTests.Regression(30, 3, 9);
        var v = GpEvidence.Evaluate(spec, data.X, data.Y);
        var parameters = GpEvidence.Parameters(spec);
        Assert.Equal(model is "relu" or "erf" ? 3 : 2, parameters.Count);
        // The gradient holds the absolute noise fixed (a relative ridge is converted at the current kernel).
        var fixedNoise = spec with { Ridge = Ridge.Absolute(v.Noise) };
        foreach (var p in parameters)
        {
            const double h = 1e-4;
            double up = GpEvidence.Evaluate(GpEvidence.Shift(fixedNoise, p, h), data.X, data.Y, withGradient: false).LogLikelihood;
            double down = GpEvidence.Evaluate(GpEvidence.Shift(fixedNoise, p, -h), data.X, data.Y, withGradient: false).LogLikelihood;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - v.Gradient[p]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"{model} {p}: analytic {v.Gradient[p]}, numeric {numeric}");
        }
    }

    [SkippableFact]
    public void EvidenceAndGradientAgreeWithScikitLearnsGaussianProcess()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var x = TestData.Random(40, 3, 21);
        var y = Matrix.Build(40, 1, (i, _) => Math.Cos(x[i, 0]) + 0.2 * x[i, 1]);
        const double lengthScale = 1.3, noise = 0.05;
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1 / (2 * lengthScale * lengthScale)), Ridge = Ridge.Absolute(noise) };
        var v = GpEvidence.Evaluate(spec, x, y);
        var theirs = Python.Evaluate($"""
            from sklearn.gaussian_process import GaussianProcessRegressor
            from sklearn.gaussian_process.kernels import RBF, WhiteKernel
            gp = GaussianProcessRegressor(kernel=RBF({lengthScale}) + WhiteKernel({noise}), alpha=0.0, optimizer=None).fit(M['x'], M['y'].ravel())
            lml, grad = gp.log_marginal_likelihood(gp.kernel_.theta, eval_gradient=True)
            emit([[lml, grad[0], grad[1]]])  # alpha=0: sklearn's default adds 1e-10 to the diagonal
            """, Python.Encode(("x", x), ("y", y)));
        Assert.Equal(theirs[0, 0], v.LogLikelihood, 1e-9 * Math.Abs(theirs[0, 0]));
        // sklearn's θ = (log ℓ, log σ²); γ = 1/(2ℓ²) so ∂/∂ log ℓ = −2 ∂/∂ log γ.
        Assert.Equal(theirs[0, 1], -2 * v.Gradient[EvidenceParameter.Gamma], 1e-8 * Math.Max(1, Math.Abs(theirs[0, 1])));
        Assert.Equal(theirs[0, 2], v.Gradient[EvidenceParameter.Noise], 1e-8 * Math.Max(1, Math.Abs(theirs[0, 2])));
    }

    [Fact]
    public void OptimizerImprovesTheEvidenceOfAKernelAndOfAnArchitecture()
    {
        var data = ModelSelectionTests.Regression(40, 2, 12);
        foreach (var spec in new[]
                 {
                     new ModelSpec { Kernel = ClassicalKernel.Gaussian(5), Ridge = Ridge.Absolute(1) },
                     new ModelSpec { Architecture = Architecture.Parse("dense(w=0.5,b=1) relu dense(w=0.5,b=1)"), Get = KernelOutputs.Nngp },
                 })
        {
            var run = EvidenceOptimizer.Maximize(spec, data, new EvidenceOptimizerOptions { MaxIterations = 25 });
            var trace = run.Trace;
            Assert.True(trace.Count >= 2, run.StopReason);
            for (int i = 1; i < trace.Count; i++) Assert.True(trace[i].LogLikelihood > trace[i - 1].LogLikelihood);
            Assert.True(run.LogLikelihood > trace[0].LogLikelihood + 1, $"{spec.DescribeKernel()}: {trace[0].LogLikelihood} → {run.LogLikelihood}");
            Assert.Equal(GpEvidence.Evaluate(run.Best, data, withGradient: false).LogLikelihood, run.LogLikelihood, 9);
            Assert.True(trace[^1].GradientNorm < 0.05 * trace[0].GradientNorm, $"{spec.DescribeKernel()}: |g| {trace[0].GradientNorm} → {trace[^1].GradientNorm} ({run.StopReason})");
        }
    }

    [SkippableFact]
    public void OptimizerReachesScikitLearnsMaximum()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var x = TestData.Random(50, 2, 31);
        var y = Matrix.Build(50, 1, (i, _) => Math.Sin(2 * x[i, 0]) + 0.1 * TestData.Random(50, 1, 32)[i, 0]);
        var data = new LabeledData(x, y, ["a", "b"], ["y"], TaskKind.Regression);
        var run = EvidenceOptimizer.Maximize(new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5), Ridge = Ridge.Absolute(0.1) }, data);
        var theirs = Python.Evaluate("""
            from sklearn.gaussian_process import GaussianProcessRegressor
            from sklearn.gaussian_process.kernels import RBF, WhiteKernel
            k = RBF(1.0, length_scale_bounds=(1e-5, 1e5)) + WhiteKernel(0.1, noise_level_bounds=(1e-10, 1e5))
            gp = GaussianProcessRegressor(kernel=k, alpha=0.0, n_restarts_optimizer=0).fit(M['x'], M['y'].ravel())
            emit([[gp.log_marginal_likelihood_value_]])
            """, Python.Encode(("x", x), ("y", y)));
        Assert.True(run.LogLikelihood >= theirs[0, 0] - 1e-4, $"ours {run.LogLikelihood}, sklearn {theirs[0, 0]} ({run.StopReason})");
    }
}
