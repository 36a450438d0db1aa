using System.Globalization;
using Tangent.Dynamics;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="StatisticsExperiment"/>.</summary>
public sealed record StatisticsSettings
{
    /// <summary>Monte Carlo draws (noise vectors or samples) behind every estimated variance and risk.</summary>
    public int Draws { get; init; } = 2000;

    /// <summary>Base seed: the designs, the true coefficients and every Monte Carlo draw follow from it.</summary>
    public int Seed { get; init; }

    /// <summary>The noise standard deviation σ (regression) and the standard deviation of the Gaussian samples.</summary>
    public double Noise { get; init; } = 1.0;

    /// <summary>Rows n of the least-squares and ridge design.</summary>
    public int Rows { get; init; } = 40;

    /// <summary>Columns d of the least-squares and ridge design; column j is scaled by 10^(−1.5·j/(d−1)), so the
    /// singular values spread over 1.5 decades.</summary>
    public int Features { get; init; } = 6;

    /// <summary>Number of ridge λ, spaced evenly in log from 10⁻³ to 10³.</summary>
    public int RidgeGridSize { get; init; } = 25;

    /// <summary>Prior standard deviations τ of the Gaussian prior β ~ N(0, τ²I), whose MAP is ridge at λ = σ²/τ².</summary>
    public double[] PriorScales { get; init; } = [0.1, 0.3, 1, 3];

    /// <summary>Rows of the lasso design.</summary>
    public int LassoRows { get; init; } = 60;

    /// <summary>Columns of the lasso design (independent N(0, 1)).</summary>
    public int LassoFeatures { get; init; } = 20;

    /// <summary>Non-zero true coefficients of the lasso problem (the first ones: 3, −2, 1.5, −1, 0.5, then ±0.5).</summary>
    public int LassoNonZero { get; init; } = 5;

    /// <summary>Number of α on the lasso path (from α_max down to 10⁻³·α_max).</summary>
    public int PathLength { get; init; } = 50;

    /// <summary>The α of the MAP-Laplace comparison, as fractions of α_max; the Laplace scale is b = σ²/(n·α).</summary>
    public double[] LaplaceFractions { get; init; } = [0.5, 0.1, 0.02];

    /// <summary>Sample sizes n of the Cramér–Rao study.</summary>
    public int[] SampleSizes { get; init; } = [10, 20, 50, 100, 200, 500, 1000];
}

/// <summary>
/// The statistical foundations the course starts from (docs/MATH.md §8), each against Monte Carlo with a fixed
/// seed: the covariance σ²(XᵀX)⁻¹ = σ²·V·D⁻²·Vᵀ of least squares; ridge's shrinkage D²/(D² + λ) per singular
/// direction and its bias–variance trade-off against λ, with λ chosen by leave-one-out; the MAP estimate under a
/// Gaussian prior equal to ridge (λ = σ²/τ²) and under a Laplace prior equal to the lasso (α = σ²/(n·b)); the lasso
/// path by coordinate descent and its sparsity; and the variance of maximum-likelihood estimators against the
/// Cramér–Rao bound 1/(n·I(θ)) as n grows, with a biased variance estimator that beats the unbiased one in MSE.
/// </summary>
public static class StatisticsExperiment
{
    /// <summary>Least squares against Monte Carlo.</summary>
    /// <param name="Theory">σ²·V·D⁻²·Vᵀ (d×d).</param>
    /// <param name="MonteCarlo">The sample covariance of the least-squares estimates over the draws.</param>
    /// <param name="SingularValues">D, descending.</param>
    /// <param name="DirectionTheory">σ²/D_j², the variance of v_jᵀβ̂.</param>
    /// <param name="DirectionMonteCarlo">The sample variance of v_jᵀβ̂.</param>
    /// <param name="RelativeError">‖Σ_MC − Σ‖_F/‖Σ‖_F.</param>
    /// <param name="InverseVsSvd">max |σ²(XᵀX)⁻¹ − σ²VD⁻²Vᵀ| (the Cholesky inverse against the SVD form).</param>
    /// <param name="MeanBias">M·(β̄ − β)ᵀΣ⁻¹(β̄ − β), β̄ the mean of the M estimates: χ²_d-distributed when least squares is
    /// unbiased (mean d).</param>
    public sealed record OlsResult(Matrix Theory, Matrix MonteCarlo, double[] SingularValues, double[] DirectionTheory, double[] DirectionMonteCarlo,
        double RelativeError, double InverseVsSvd, double MeanBias);

    /// <summary>Ridge against λ on the same design.</summary>
    /// <param name="Lambdas">The λ grid, ascending.</param>
    /// <param name="SingularValues">D, descending.</param>
    /// <param name="Shrinkage">Shrinkage[j][i] = D_j²/(D_j² + λ_i).</param>
    /// <param name="Bias2">The squared bias of the fitted values, (1/n)·Σ_j D_j²·(λ/(D_j² + λ))²·(v_jᵀβ)².</param>
    /// <param name="Variance">Their variance, (σ²/n)·Σ_j (D_j²/(D_j² + λ))².</param>
    /// <param name="MonteCarloRisk">The Monte Carlo mean of ‖X(β̂_λ − β)‖²/n (should equal Bias2 + Variance).</param>
    /// <param name="LooError">The Monte Carlo mean of the leave-one-out mean squared error.</param>
    /// <param name="ChosenLambdas">The λ chosen by leave-one-out in each draw.</param>
    /// <param name="BestLambda">The λ of the grid with the smallest risk.</param>
    /// <param name="RiskAtChosen">The Monte Carlo mean of the risk of the λ chosen in each draw.</param>
    /// <param name="OlsRisk">The risk of least squares, σ²·d/n.</param>
    public sealed record RidgeResult(double[] Lambdas, double[] SingularValues, double[][] Shrinkage, double[] Bias2, double[] Variance,
        double[] MonteCarloRisk, double[] LooError, double[] ChosenLambdas, double BestLambda, double RiskAtChosen, double OlsRisk)
    {
        /// <summary>The median of <see cref="ChosenLambdas"/>.</summary>
        public double MedianChosen => Median(ChosenLambdas);
    }

    /// <summary>One MAP estimate against its penalised least-squares twin.</summary>
    /// <param name="Prior">"Gaussian" or "Laplace".</param>
    /// <param name="Scale">τ (Gaussian) or b (Laplace).</param>
    /// <param name="Penalty">The equivalent ridge λ = σ²/τ² or lasso α = σ²/(n·b).</param>
    /// <param name="MaxDifference">max_j |β_MAP − β_ridge/lasso|.</param>
    /// <param name="NonZero">Non-zero coefficients of the MAP estimate.</param>
    /// <param name="Coefficients">The MAP estimate.</param>
    public sealed record MapRow(string Prior, double Scale, double Penalty, double MaxDifference, int NonZero, double[] Coefficients);

    /// <summary>The lasso path.</summary>
    /// <param name="Alphas">α, decreasing from α_max.</param>
    /// <param name="Coefficients">d × m, column i at α_i.</param>
    /// <param name="NonZero">Non-zero coefficients at each α.</param>
    /// <param name="TrueCoefficients">The β that generated the data.</param>
    /// <param name="MaxDualityGap">The largest duality gap along the path.</param>
    public sealed record LassoResult(double[] Alphas, Matrix Coefficients, int[] NonZero, double[] TrueCoefficients, double MaxDualityGap)
    {
        /// <summary>Whether the number of non-zeros never falls as α decreases along the path.</summary>
        public bool SparsityMonotone => NonZero.Zip(NonZero.Skip(1)).All(p => p.Second >= p.First);
    }

    /// <summary>One sample size of the Cramér–Rao study. Variances and MSEs are Monte Carlo: over <see cref="GaussianDrawFactor"/>·Draws samples
    /// for the Gaussian estimators, over Draws data sets for logistic regression; "bound" is the Cramér–Rao bound.</summary>
    /// <param name="N">Sample size.</param>
    /// <param name="MeanRatio">Var(x̄)/(σ²/n) for the Gaussian mean.</param>
    /// <param name="UnbiasedVarianceRatio">Var(s²)/(2σ⁴/n) for the unbiased variance estimator s² = Σ(x − x̄)²/(n − 1).</param>
    /// <param name="MseUnbiased">n·MSE/(2σ⁴) of s² (closed form n/(n − 1)).</param>
    /// <param name="MseMle">n·MSE/(2σ⁴) of the MLE Σ(x − x̄)²/n (closed form (2n − 1)/(2n)).</param>
    /// <param name="MseShrunk">n·MSE/(2σ⁴) of Σ(x − x̄)²/(n + 1) (closed form n/(n + 1), the smallest MSE of any c·Σ(x − x̄)²).</param>
    /// <param name="SlopeRatio">Var(ŵ)/bound for the logistic slope.</param>
    /// <param name="InterceptRatio">Var(b̂)/bound for the logistic intercept.</param>
    /// <param name="StandardErrorRatio">Mean of the model's SE(ŵ)² over Var(ŵ).</param>
    /// <param name="SlopeBias">mean(ŵ) − w.</param>
    /// <param name="Refused">Draws whose classes were separable (no finite MLE), left out of the logistic columns.</param>
    /// <param name="LargestSlope">The largest |ŵ| over the fitted draws (nearly separable draws give huge finite estimates).</param>
    public sealed record MleRow(int N, double MeanRatio, double UnbiasedVarianceRatio, double MseUnbiased, double MseMle, double MseShrunk,
        double SlopeRatio, double InterceptRatio, double StandardErrorRatio, double SlopeBias, int Refused, double LargestSlope);

    /// <summary>Everything the experiment computed.</summary>
    /// <param name="Ols">Least squares.</param>
    /// <param name="Ridge">Ridge against λ.</param>
    /// <param name="RidgePathLambdas">The λ of the ridge path plot (ascending).</param>
    /// <param name="RidgePath">Ridge coefficients d × m on one draw, column i at RidgePathLambdas[i].</param>
    /// <param name="Gaussian">MAP under Gaussian priors against ridge (on that draw).</param>
    /// <param name="Laplace">MAP under Laplace priors against the lasso.</param>
    /// <param name="Lasso">The lasso path.</param>
    /// <param name="Mle">The Cramér–Rao study.</param>
    /// <param name="LogisticCoefficients">(w, b) of the logistic model, x ~ N(0, 1).</param>
    /// <param name="LogisticFisher">The Fisher information of one observation, over (w, b).</param>
    public sealed record Result(OlsResult Ols, RidgeResult Ridge, double[] RidgePathLambdas, Matrix RidgePath, IReadOnlyList<MapRow> Gaussian,
        IReadOnlyList<MapRow> Laplace, LassoResult Lasso, IReadOnlyList<MleRow> Mle, double[] LogisticCoefficients, Matrix LogisticFisher);

    /// <summary>Runs the experiment.</summary>
    /// <exception cref="ArgumentException">Settings out of range (the message names the setting).</exception>
    public static Result Run(StatisticsSettings settings, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Check(settings);
        var (x, beta) = Design(settings);
        var ols = Ols(settings, x, beta, cancel);
        var ridge = RidgeStudy(settings, x, beta, cancel);
        var (pathLambdas, path, gaussian) = GaussianMap(settings, x, beta);
        var (lasso, laplace) = LassoStudy(settings);
        var (mle, logistic, fisher) = Mle(settings, cancel);
        return new Result(ols, ridge, pathLambdas, path, gaussian, laplace, lasso, mle, logistic, fisher);
    }

    private static void Check(StatisticsSettings s)
    {
        if (s.Draws < 10) throw new ArgumentOutOfRangeException(nameof(s), s.Draws, "Draws must be at least 10 (e.g. 2000).");
        if (!(s.Noise > 0) || !double.IsFinite(s.Noise)) throw new ArgumentOutOfRangeException(nameof(s), s.Noise, "Noise σ must be a finite number > 0.");
        if (s.Features < 2 || s.Rows <= s.Features + 1) throw new ArgumentOutOfRangeException(nameof(s), $"The least-squares design needs Features ≥ 2 and Rows > Features + 1; got {s.Rows}×{s.Features}.");
        if (s.RidgeGridSize < 2) throw new ArgumentOutOfRangeException(nameof(s), s.RidgeGridSize, "RidgeGridSize must be at least 2.");
        if (s.LassoFeatures < 1 || s.LassoNonZero < 1 || s.LassoNonZero > s.LassoFeatures || s.LassoRows < 2)
            throw new ArgumentOutOfRangeException(nameof(s), "The lasso problem needs 1 ≤ LassoNonZero ≤ LassoFeatures and LassoRows ≥ 2.");
        if (s.PathLength < 2) throw new ArgumentOutOfRangeException(nameof(s), s.PathLength, "PathLength must be at least 2.");
        if (s.SampleSizes.Length == 0 || s.SampleSizes.Any(n => n < 3)) throw new ArgumentOutOfRangeException(nameof(s), "SampleSizes must be given and each at least 3.");
        if (s.PriorScales.Any(t => !(t > 0) || !double.IsFinite(t))) throw new ArgumentOutOfRangeException(nameof(s), "PriorScales τ must be finite numbers > 0.");
        if (s.LaplaceFractions.Any(f => !(f > 0 && f < 1))) throw new ArgumentOutOfRangeException(nameof(s), "LaplaceFractions must lie in (0, 1).");
    }

    /// <summary>The design X (columns scaled by 10^(−1.5·j/(d−1))) and the true β ~ N(0, I).</summary>
    private static (Matrix X, double[] Beta) Design(StatisticsSettings s)
    {
        var rng = new Random(s.Seed * 1000 + 1);
        int d = s.Features;
        var x = Matrix.Build(s.Rows, d, (_, j) => KernelsExperiment.Normal(rng) * Math.Pow(10, -1.5 * j / (d - 1)));
        var beta = Enumerable.Range(0, d).Select(_ => KernelsExperiment.Normal(rng)).ToArray();
        return (x, beta);
    }

    private static Matrix Noisy(Matrix x, double[] beta, double sigma, Random rng) =>
        Matrix.Build(x.Rows, 1, (i, _) =>
        {
            double v = 0;
            for (int j = 0; j < beta.Length; j++) v += x[i, j] * beta[j];
            return v + sigma * KernelsExperiment.Normal(rng);
        });

    /// <summary>XᵀX = V·D²·Vᵀ with D descending.</summary>
    private static (double[] D, Matrix V) Svd(Matrix x)
    {
        var eig = SymmetricEigen.Compute(LinearAlgebra.Multiply(x, x, Op.Transpose, Op.None));
        int d = eig.Order;
        var values = Enumerable.Range(0, d).Select(j => Math.Sqrt(Math.Max(eig.Values[d - 1 - j], 0))).ToArray();
        var v = Matrix.Build(d, d, (i, j) => eig.Vectors[i, d - 1 - j]);
        return (values, v);
    }

    private static OlsResult Ols(StatisticsSettings s, Matrix x, double[] beta, CancellationToken cancel)
    {
        int d = x.Cols;
        double s2 = s.Noise * s.Noise;
        var (dv, v) = Svd(x);
        var theory = Matrix.Build(d, d, (a, b) =>
        {
            double t = 0;
            for (int j = 0; j < d; j++) t += v[a, j] * v[b, j] / (dv[j] * dv[j]);
            return s2 * t;
        });
        var gram = LinearAlgebra.Multiply(x, x, Op.Transpose, Op.None);
        var inverse = Cholesky.Compute(gram).Solve(Matrix.Identity(d));
        double inverseVsSvd = 0;
        for (int i = 0; i < inverse.Data.Length; i++) inverseVsSvd = Math.Max(inverseVsSvd, Math.Abs(s2 * inverse.Data[i] - theory.Data[i]));

        var rng = new Random(s.Seed * 1000 + 2);
        var estimates = new Matrix(s.Draws, d);
        for (int r = 0; r < s.Draws; r++)
        {
            cancel.ThrowIfCancellationRequested();
            var w = new LinearRegression().Fit(x, Noisy(x, beta, s.Noise, rng)).Weights;
            for (int j = 0; j < d; j++) estimates[r, j] = w[j, 0];
        }
        var mc = SampleCovariance(estimates, out var mean);
        double num = 0, den = 0;
        for (int i = 0; i < mc.Data.Length; i++) { num += Sq(mc.Data[i] - theory.Data[i]); den += Sq(theory.Data[i]); }
        // Variance along each right singular vector: Var(v_jᵀβ̂) = v_jᵀΣv_j.
        var dirTheory = dv.Select(x1 => s2 / (x1 * x1)).ToArray();
        var dirMc = new double[d];
        for (int j = 0; j < d; j++)
        {
            double t = 0;
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) t += v[a, j] * mc[a, b] * v[b, j];
            dirMc[j] = t;
        }
        // Σ⁻¹ = V·D²·Vᵀ/σ², so (β̄ − β)ᵀΣ⁻¹(β̄ − β) = Σ_j D_j²·(v_jᵀ(β̄ − β))²/σ².
        double bias = 0;
        for (int j = 0; j < d; j++)
        {
            double pj = 0;
            for (int a = 0; a < d; a++) pj += v[a, j] * (mean[a] - beta[a]);
            bias += dv[j] * dv[j] * pj * pj / s2;
        }
        bias *= s.Draws;
        return new OlsResult(theory, mc, dv, dirTheory, dirMc, Math.Sqrt(num / den), inverseVsSvd, bias);
    }

    private static double[] LogGrid(double from, double to, int count) =>
        Enumerable.Range(0, count).Select(i => Math.Pow(10, Math.Log10(from) + i * (Math.Log10(to) - Math.Log10(from)) / (count - 1))).ToArray();

    private static RidgeResult RidgeStudy(StatisticsSettings s, Matrix x, double[] beta, CancellationToken cancel)
    {
        int n = x.Rows, d = x.Cols;
        double s2 = s.Noise * s.Noise;
        var lambdas = LogGrid(1e-3, 1e3, s.RidgeGridSize);
        var (dv, v) = Svd(x);
        var proj = new double[d];   // v_jᵀβ
        for (int j = 0; j < d; j++)
            for (int a = 0; a < d; a++) proj[j] += v[a, j] * beta[a];
        var shrink = dv.Select(dj => lambdas.Select(l => dj * dj / (dj * dj + l)).ToArray()).ToArray();
        var bias2 = lambdas.Select(l => Enumerable.Range(0, d).Sum(j => dv[j] * dv[j] * Sq(l / (dv[j] * dv[j] + l)) * proj[j] * proj[j]) / n).ToArray();
        var variance = lambdas.Select(l => s2 * Enumerable.Range(0, d).Sum(j => Sq(dv[j] * dv[j] / (dv[j] * dv[j] + l))) / n).ToArray();
        int best = Enumerable.Range(0, lambdas.Length).MinBy(i => bias2[i] + variance[i]);

        var rng = new Random(s.Seed * 1000 + 3);
        var risk = new double[lambdas.Length];
        var loo = new double[lambdas.Length];
        var chosen = new double[s.Draws];
        double riskAtChosen = 0;
        var truth = LinearAlgebra.Multiply(x, Matrix.Column(beta));
        for (int r = 0; r < s.Draws; r++)
        {
            cancel.ThrowIfCancellationRequested();
            var y = Noisy(x, beta, s.Noise, rng);
            var sel = RidgeSelection.LeaveOneOut(x, y, lambdas);
            chosen[r] = sel.BestAlpha;
            for (int i = 0; i < lambdas.Length; i++)
            {
                var fit = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(lambdas[i]) }.Fit(x, y).Predict(x);
                double e = 0;
                for (int k = 0; k < n; k++) e += Sq(fit[k, 0] - truth[k, 0]);
                risk[i] += e / n / s.Draws;
                loo[i] += sel.Errors[i] / s.Draws;
                if (i == sel.BestIndex) riskAtChosen += e / n / s.Draws;
            }
        }
        return new RidgeResult(lambdas, dv, shrink, bias2, variance, risk, loo, chosen, lambdas[best], riskAtChosen, s2 * d / n);
    }

    private static (double[] Lambdas, Matrix Path, IReadOnlyList<MapRow> Rows) GaussianMap(StatisticsSettings s, Matrix x, double[] beta)
    {
        int d = x.Cols;
        double s2 = s.Noise * s.Noise;
        var y = Noisy(x, beta, s.Noise, new Random(s.Seed * 1000 + 4));
        var lambdas = LogGrid(1e-3, 1e3, 61);
        var path = new Matrix(d, lambdas.Length);
        for (int i = 0; i < lambdas.Length; i++)
        {
            var w = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(lambdas[i]) }.Fit(x, y).Weights;
            for (int j = 0; j < d; j++) path[j, i] = w[j, 0];
        }
        var rows = new List<MapRow>();
        var gram = LinearAlgebra.Gram(x);   // XXᵀ, n×n
        foreach (double tau in s.PriorScales)
        {
            // β ~ N(0, τ²I) and y = Xβ + ε, ε ~ N(0, σ²I), are jointly Gaussian with Cov(β, y) = τ²Xᵀ and
            // Cov(y) = τ²XXᵀ + σ²I, so the posterior mean (= mode, the posterior being Gaussian) is
            // τ²Xᵀ(τ²XXᵀ + σ²I)⁻¹y: conditioning in function space, an n×n solve in which no λ appears.
            var cov = gram.Clone();
            for (int i = 0; i < cov.Data.Length; i++) cov.Data[i] *= tau * tau;
            cov.AddToDiagonal(s2);
            var a = Cholesky.Compute(cov).Solve(y);
            var mapMatrix = LinearAlgebra.Multiply(x, a, Op.Transpose, Op.None);
            var map = mapMatrix.Data.Select(v => v * tau * tau).ToArray();
            double lambda = s2 / (tau * tau);
            var ridge = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(lambda) }.Fit(x, y).Weights;
            double diff = map.Select((m, j) => Math.Abs(m - ridge[j, 0])).Max();
            rows.Add(new MapRow("Gaussian", tau, lambda, diff, map.Count(m => m != 0), map));
        }
        return (lambdas, path, rows);
    }

    private static (LassoResult Lasso, IReadOnlyList<MapRow> Laplace) LassoStudy(StatisticsSettings s)
    {
        var rng = new Random(s.Seed * 1000 + 5);
        int n = s.LassoRows, d = s.LassoFeatures;
        double[] head = [3, -2, 1.5, -1, 0.5];
        var beta = Enumerable.Range(0, d).Select(j => j < s.LassoNonZero ? (j < head.Length ? head[j] : (j % 2 == 0 ? 0.5 : -0.5)) : 0.0).ToArray();
        var x = Matrix.Build(n, d, (_, _) => KernelsExperiment.Normal(rng));
        var y = Noisy(x, beta, s.Noise, rng);
        var cfg = new LassoRegression { FitIntercept = false, Tolerance = 1e-12, MaxIterations = 100_000 };
        var path = cfg.Path(x, y, s.PathLength, 1e-3);
        var lasso = new LassoResult(path.Alphas, path.Coefficients(), path.NonZeroCounts, beta, path.Models.Max(m => m.DualityGap));

        double s2 = s.Noise * s.Noise, alphaMax = path.Alphas[0];
        var rows = new List<MapRow>();
        foreach (double f in s.LaplaceFractions)
        {
            double alpha = f * alphaMax, b = s2 / (n * alpha);
            var map = LaplaceMap(x, y, s2, b);
            var fit = (cfg with { Alpha = alpha, Tolerance = 1e-15 }).Fit(x, y).Weights;
            double diff = map.Select((m, j) => Math.Abs(m - fit[j, 0])).Max();
            rows.Add(new MapRow("Laplace", b, alpha, diff, map.Count(m => m != 0), map));
        }
        return (lasso, rows);
    }

    /// <summary>
    /// The MAP estimate under the prior p(β_j) = e^{−|β_j|/b}/(2b) and noise N(0, σ²): the minimiser of
    /// ‖y − Xβ‖²/(2σ²) + ‖β‖₁/b, by proximal gradient descent (ISTA) in the posterior's own units — an algorithm
    /// and a scaling independent of the lasso's coordinate descent.
    /// </summary>
    internal static double[] LaplaceMap(Matrix x, Matrix y, double sigma2, double b, int maxIterations = 200_000)
    {
        int d = x.Cols;
        var gram = LinearAlgebra.Multiply(x, x, Op.Transpose, Op.None);
        double lipschitz = SymmetricEigen.Compute(gram).Values[^1] / sigma2;
        double step = 1 / lipschitz;
        var xty = LinearAlgebra.Multiply(x, y, Op.Transpose, Op.None).Data;
        var w = new double[d];
        var grad = new double[d];
        for (int it = 0; it < maxIterations; it++)
        {
            // ∇ of ‖y − Xβ‖²/(2σ²) is (XᵀXβ − Xᵀy)/σ²; the prox of step·‖·‖₁/b is soft thresholding at step/b.
            for (int j = 0; j < d; j++)
            {
                double g = -xty[j];
                for (int k = 0; k < d; k++) g += gram[j, k] * w[k];
                grad[j] = g / sigma2;
            }
            double change = 0, size = 0;
            for (int j = 0; j < d; j++)
            {
                double nw = LassoRegression.SoftThreshold(w[j] - step * grad[j], step / b);
                change = Math.Max(change, Math.Abs(nw - w[j]));
                size = Math.Max(size, Math.Abs(nw));
                w[j] = nw;
            }
            if (change <= 1e-15 * Math.Max(size, 1) && it > 0) break;
        }
        return w;
    }

    /// <summary>The Gaussian mean and variance studies draw this many times <see cref="StatisticsSettings.Draws"/>
    /// samples: they are cheap, and the MSE differences between the variance estimators are O(1/n).</summary>
    public const int GaussianDrawFactor = 10;

    private static (IReadOnlyList<MleRow> Rows, double[] Logistic, Matrix Fisher) Mle(StatisticsSettings s, CancellationToken cancel)
    {
        double sigma = s.Noise, s2 = sigma * sigma;
        double[] truth = [1.0, -0.5];   // logistic slope w and intercept b, x ~ N(0, 1)
        var fisher = LogisticFisher(truth[0], truth[1]);
        var bound1 = Cholesky.Compute(fisher).Solve(Matrix.Identity(2));   // I₁⁻¹: n·Cov ≥ I₁⁻¹
        var rows = new List<MleRow>();
        foreach (int n in s.SampleSizes)
        {
            var rng = new Random(s.Seed * 1000 + 6 + n);
            int gaussianDraws = GaussianDrawFactor * s.Draws;
            var means = new double[gaussianDraws];
            var sums = new double[gaussianDraws];
            for (int r = 0; r < gaussianDraws; r++)
            {
                double m = 0;
                var sample = new double[n];
                for (int i = 0; i < n; i++) { sample[i] = sigma * KernelsExperiment.Normal(rng); m += sample[i]; }
                m /= n;
                means[r] = m;
                sums[r] = sample.Sum(v => Sq(v - m));
            }
            double varMean = Variance(means);
            double cr = 2 * s2 * s2 / n;
            double varUnbiased = Variance(sums.Select(v => v / (n - 1)).ToArray());
            double Mse(double c) => sums.Average(v => Sq(c * v - s2)) / cr;

            var slopes = new List<double>();
            var intercepts = new List<double>();
            var se2 = new List<double>();
            int refused = 0;
            for (int r = 0; r < s.Draws; r++)
            {
                cancel.ThrowIfCancellationRequested();
                var x = Matrix.Build(n, 1, (_, _) => KernelsExperiment.Normal(rng));
                var y = Matrix.Build(n, 1, (i, _) => rng.NextDouble() < 1 / (1 + Math.Exp(-(truth[0] * x[i, 0] + truth[1]))) ? 1 : 0);
                if (y.Data.Distinct().Count() < 2) { refused++; continue; }
                try
                {
                    var fit = new LogisticRegression { C = null }.Fit(x, y);
                    slopes.Add(fit.Coefficients[0]);
                    intercepts.Add(fit.Intercept);
                    se2.Add(Sq(fit.StandardErrors[0]));
                }
                catch (ArgumentException)
                {
                    refused++;   // separable: the maximum-likelihood estimate does not exist
                }
            }
            double vs = slopes.Count > 1 ? Variance([.. slopes]) : double.NaN;
            double vb = intercepts.Count > 1 ? Variance([.. intercepts]) : double.NaN;
            rows.Add(new MleRow(n, varMean / (s2 / n), varUnbiased / cr, Mse(1.0 / (n - 1)), Mse(1.0 / n), Mse(1.0 / (n + 1)),
                vs / (bound1[0, 0] / n), vb / (bound1[1, 1] / n), slopes.Count > 1 ? se2.Average() / vs : double.NaN,
                slopes.Count > 0 ? slopes.Average() - truth[0] : double.NaN, refused, slopes.Count > 0 ? slopes.Max(Math.Abs) : double.NaN));
        }
        return (rows, truth, fisher);
    }

    /// <summary>I₁ = E[σ'(wx + b)·x̃x̃ᵀ], x̃ = (x, 1), x ~ N(0, 1), by the trapezoid rule on [−12, 12].</summary>
    internal static Matrix LogisticFisher(double w, double b)
    {
        const int steps = 24_000;
        double h = 24.0 / steps;
        double i00 = 0, i01 = 0, i11 = 0;
        for (int k = 0; k <= steps; k++)
        {
            double x = -12 + k * h, weight = (k == 0 || k == steps ? 0.5 : 1) * h * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
            double p = 1 / (1 + Math.Exp(-(w * x + b)));
            double v = weight * p * (1 - p);
            i00 += v * x * x;
            i01 += v * x;
            i11 += v;
        }
        return Matrix.FromRows([i00, i01], [i01, i11]);
    }

    private static Matrix SampleCovariance(Matrix samples, out double[] mean)
    {
        int m = samples.Rows, d = samples.Cols;
        var mu = new double[d];
        for (int r = 0; r < m; r++)
            for (int j = 0; j < d; j++) mu[j] += samples[r, j] / m;
        mean = mu;
        var c = new Matrix(d, d);
        for (int r = 0; r < m; r++)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) c[a, b] += (samples[r, a] - mu[a]) * (samples[r, b] - mu[b]) / (m - 1);
        return c;
    }

    private static double Variance(double[] v)
    {
        double m = v.Average();
        return v.Sum(a => Sq(a - m)) / (v.Length - 1);
    }

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    private static double Sq(double v) => v * v;

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds the experiment's sections to a report.</summary>
    public static void AddTo(Report report, Result r, StatisticsSettings s, string prefix = "statistics")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        double s2 = s.Noise * s.Noise;
        int d = s.Features;

        // 1. Least squares.
        var o = r.Ols;
        report.Heading("Least squares: the covariance σ²(XᵀX)⁻¹ = σ²·V·D⁻²·Vᵀ");
        report.Paragraph($"A fixed design X ({s.Rows}×{d}, column j scaled by 10^(−1.5·j/{d - 1}), so its singular values D spread from {Report.Num(o.SingularValues[0])} to " +
                         $"{Report.Num(o.SingularValues[^1])}), a fixed β ~ N(0, I) and {s.Draws} noise draws y = Xβ + N(0, {Report.Num(s2)}·I), each fitted by least squares. " +
                         "Theory: β̂ = β + (XᵀX)⁻¹Xᵀε is unbiased with covariance σ²(XᵀX)⁻¹, which the SVD X = U·D·Vᵀ writes as σ²·V·D⁻²·Vᵀ: along the right singular " +
                         "vector v_j the estimate varies by σ²/D_j², so the small singular directions carry almost all the variance. " +
                         $"Run: ‖Σ_MC − Σ‖_F/‖Σ‖_F = {Report.Num(o.RelativeError)} (Monte Carlo error ≈ √(2/{s.Draws}) = {Report.Num(Math.Sqrt(2.0 / s.Draws))}), " +
                         $"the mean of the estimates is where unbiasedness puts it (M·(β̄ − β)ᵀΣ⁻¹(β̄ − β) = {Report.Num(o.MeanBias)}, a χ² variable with {d} degrees of freedom, mean {d}), " +
                         $"and the SVD form equals the Cholesky inverse to {Report.Num(o.InverseVsSvd)}.");
        report.Image($"{prefix}-ols.png", Charts.Lines("Least squares: variance along each singular direction", "log10 D_j", "log10 Var(v_jᵀβ̂)",
            [
                new Series("theory σ²/D_j²", o.SingularValues.Select(Math.Log10).ToArray(), o.DirectionTheory.Select(Math.Log10).ToArray()),
                new Series($"Monte Carlo ({s.Draws} draws)", o.SingularValues.Select(Math.Log10).ToArray(), o.DirectionMonteCarlo.Select(Math.Log10).ToArray(), Points: true),
            ]), "variance of v_jᵀβ̂ against the singular value D_j");
        report.Table(["j", "D_j", "σ²/D_j² (theory)", "Var(v_jᵀβ̂) (Monte Carlo)", "ratio"],
            Enumerable.Range(0, d).Select(j => (IReadOnlyList<string>)[Inv(j + 1), Report.Num(o.SingularValues[j]), Report.Num(o.DirectionTheory[j]),
                Report.Num(o.DirectionMonteCarlo[j]), Report.Num(o.DirectionMonteCarlo[j] / o.DirectionTheory[j])]), $"{prefix}-ols.csv");

        // 2. Ridge.
        var g = r.Ridge;
        report.Heading("Ridge: shrinkage per singular direction and the bias–variance trade-off");
        report.Paragraph("Ridge w = (XᵀX + λI)⁻¹Xᵀy = V·diag(D_j/(D_j² + λ))·Uᵀy multiplies the least-squares estimate along v_j by the shrinkage factor " +
                         "D_j²/(D_j² + λ): directions with D_j² ≫ λ are kept, those with D_j² ≪ λ are switched off. On the same design, the fitted values' " +
                         "error E‖X(ŵ − β)‖²/n splits into a squared bias (1/n)·Σ D_j²·(λ/(D_j² + λ))²·(v_jᵀβ)², rising with λ, and a variance " +
                         "(σ²/n)·Σ (D_j²/(D_j² + λ))², falling from σ²d/n (least squares) to 0. λ is chosen in each draw by leave-one-out cross-validation " +
                         "(closed form eᵢ/(1 − Hᵢᵢ), `RidgeSelection.LeaveOneOut`). " +
                         $"Run: the risk is smallest at λ = {Report.Num(g.BestLambda)} (risk {Report.Num(g.Bias2[Array.IndexOf(g.Lambdas, g.BestLambda)] + g.Variance[Array.IndexOf(g.Lambdas, g.BestLambda)])}, least squares {Report.Num(g.OlsRisk)}); " +
                         $"leave-one-out chose a median λ = {Report.Num(g.MedianChosen)} (quartiles {Report.Num(Quantile(g.ChosenLambdas, 0.25))}–{Report.Num(Quantile(g.ChosenLambdas, 0.75))}) " +
                         $"with mean risk {Report.Num(g.RiskAtChosen)}. The Monte Carlo risk matches bias² + variance to {Report.Num(g.MonteCarloRisk.Zip(g.Bias2, g.Variance).Max(t => Math.Abs(t.First / (t.Second + t.Third) - 1)))} (relative). " +
                         "The mean leave-one-out error estimates the error on a new observation, about risk + σ² and somewhat more.");
        var logL = g.Lambdas.Select(Math.Log10).ToArray();
        report.Image($"{prefix}-ridge-shrinkage.png", Charts.Lines("Ridge shrinkage factors D_j²/(D_j² + λ)", "log10 λ", "shrinkage",
            g.Shrinkage.Select((f, j) => new Series($"D_{j + 1} = {Report.Num(g.SingularValues[j])}", logL, f))), "shrinkage factor per singular direction against λ");
        double top = Math.Log10(Math.Max(g.LooError.Max(), g.Bias2.Zip(g.Variance).Max(p => p.First + p.Second)));
        double bottom = Math.Log10(g.Variance.Concat(g.Bias2).Where(v => v > 0).Min());
        report.Image($"{prefix}-ridge-risk.png", Charts.Lines("Ridge: bias² and variance of the fitted values", "log10 λ", "log10 error",
            [
                new Series("bias²", logL, g.Bias2.Select(Math.Log10).ToArray()),
                new Series("variance", logL, g.Variance.Select(Math.Log10).ToArray()),
                new Series("risk = bias² + variance", logL, g.Bias2.Zip(g.Variance).Select(p => Math.Log10(p.First + p.Second)).ToArray()),
                new Series("risk, Monte Carlo", logL, g.MonteCarloRisk.Select(Math.Log10).ToArray(), Points: true),
                new Series("mean leave-one-out MSE", logL, g.LooError.Select(Math.Log10).ToArray()),
                new Series("median λ chosen by leave-one-out", [Math.Log10(g.MedianChosen), Math.Log10(g.MedianChosen)], [bottom, top]),
            ]), "bias², variance and risk against λ; the λ chosen by leave-one-out");
        report.Table(["λ", "bias²", "variance", "bias² + variance", "risk (Monte Carlo)", "leave-one-out MSE", "times chosen"],
            g.Lambdas.Select((l, i) => (IReadOnlyList<string>)[Report.Num(l), Report.Num(g.Bias2[i]), Report.Num(g.Variance[i]), Report.Num(g.Bias2[i] + g.Variance[i]),
                Report.Num(g.MonteCarloRisk[i]), Report.Num(g.LooError[i]), Inv(g.ChosenLambdas.Count(c => c == l))]), $"{prefix}-ridge.csv");

        // 3. MAP = ridge / lasso.
        report.Heading("MAP estimation: a Gaussian prior gives ridge, a Laplace prior gives the lasso");
        double worstGaussian = r.Gaussian.Max(m => m.MaxDifference), worstLaplace = r.Laplace.Max(m => m.MaxDifference);
        report.Paragraph("With y ~ N(Xβ, σ²I), the negative log posterior under the prior β ~ N(0, τ²I) is ‖y − Xβ‖²/(2σ²) + ‖β‖²/(2τ²) + const; multiplied by " +
                         "2σ² it is ridge's objective with λ = σ²/τ². The posterior mode (= mean, the posterior being Gaussian) is computed by conditioning the joint " +
                         "Gaussian of (β, y) alone, τ²Xᵀ(τ²XXᵀ + σ²I)⁻¹y (an n×n solve in function space, in which no λ appears), " +
                         $"and compared with `LinearRegression` ridge at λ = σ²/τ² (a d×d solve): the largest difference over τ ∈ {{{string.Join(", ", s.PriorScales.Select(Report.Num))}}} is {Report.Num(worstGaussian)}. " +
                         "Under the Laplace prior p(β_j) = e^{−|β_j|/b}/(2b) the negative log posterior is ‖y − Xβ‖²/(2σ²) + ‖β‖₁/b; multiplied by σ²/n it is the lasso's " +
                         "(1/2n)‖y − Xβ‖² + α‖β‖₁ with α = σ²/(n·b). The MAP is found by proximal gradient descent on the posterior itself and compared with " +
                         $"`LassoRegression` (coordinate descent) at that α: the largest difference is {Report.Num(worstLaplace)}. The Gaussian prior only shrinks; " +
                         "the Laplace prior's kink at 0 sets coefficients exactly to zero (the non-zero counts below).");
        var logPath = r.RidgePathLambdas.Select(Math.Log10).ToArray();
        var ridgeSeries = Enumerable.Range(0, d).Select(j => new Series($"w_{j + 1}", logPath, Enumerable.Range(0, logPath.Length).Select(i => r.RidgePath[j, i]).ToArray())).ToList();
        ridgeSeries.Add(new Series("MAP under N(0, τ²I) at λ = σ²/τ²", r.Gaussian.SelectMany(m => Enumerable.Repeat(Math.Log10(m.Penalty), d)).ToArray(),
            r.Gaussian.SelectMany(m => m.Coefficients).ToArray(), Points: true));
        report.Image($"{prefix}-map-ridge.png", Charts.Lines("Ridge path and the Gaussian-prior MAP", "log10 λ", "coefficient", ridgeSeries, MarginBelow(r.RidgePath.Data, 0.7)),
            "ridge coefficients against λ with the MAP estimates");
        var l = r.Lasso;
        var logA = l.Alphas.Select(Math.Log10).ToArray();
        var lassoSeries = Enumerable.Range(0, l.Coefficients.Rows).Where(j => Enumerable.Range(0, logA.Length).Any(i => l.Coefficients[j, i] != 0))
            .Select(j => new Series(l.TrueCoefficients[j] != 0 ? $"w_{j + 1} (true {Report.Num(l.TrueCoefficients[j])})" : "", logA,
                Enumerable.Range(0, logA.Length).Select(i => l.Coefficients[j, i]).ToArray())).ToList();
        int firstNull = lassoSeries.FindIndex(q => q.Label.Length == 0);
        if (firstNull >= 0) lassoSeries[firstNull] = lassoSeries[firstNull] with { Label = "features with true coefficient 0" };
        lassoSeries.Add(new Series("MAP under Laplace(b) at α = σ²/(n·b)", r.Laplace.SelectMany(m => Enumerable.Repeat(Math.Log10(m.Penalty), m.Coefficients.Length)).ToArray(),
            r.Laplace.SelectMany(m => m.Coefficients).ToArray(), Points: true));
        report.Image($"{prefix}-lasso-path.png", Charts.Lines("Lasso path (coordinate descent) and the Laplace-prior MAP", "log10 α", "coefficient", lassoSeries,
            MarginBelow(l.Coefficients.Data, 0.7)), "lasso coefficients against α with the MAP estimates");
        report.Table(["prior", "scale (τ or b)", "equivalent penalty (λ or α)", "max abs(MAP − penalised fit)", "non-zero coefficients"],
            r.Gaussian.Concat(r.Laplace).Select(m => (IReadOnlyList<string>)[m.Prior, Report.Num(m.Scale), Report.Num(m.Penalty), Report.Num(m.MaxDifference), Inv(m.NonZero)]), $"{prefix}-map.csv");

        // 4. The lasso path and sparsity.
        report.Heading("The lasso path: coordinate descent with soft thresholding");
        int trueNonZero = l.TrueCoefficients.Count(v => v != 0);
        int exact = Enumerable.Range(0, l.Alphas.Length).Count(i => Enumerable.Range(0, l.Coefficients.Rows).All(j => (l.Coefficients[j, i] != 0) == (l.TrueCoefficients[j] != 0)));
        report.Paragraph($"n = {s.LassoRows} rows, {s.LassoFeatures} independent N(0, 1) features, {trueNonZero} of them in the true β, noise σ = {Report.Num(s.Noise)}. " +
                         $"The path runs over {l.Alphas.Length} α from α_max = ‖Xᵀy‖∞/n = {Report.Num(l.Alphas[0])} (all coefficients 0) down to 10⁻³·α_max, " +
                         "each fit warm-started from the previous one (`LassoRegression.Path`). Each coordinate update is w_j ← S(x_jᵀr_j/n, α)/(‖x_j‖²/n), " +
                         "S the soft-thresholding operator. What to see: coefficients enter one by one as α falls, the true ones first; as α → 0 the lasso tends " +
                         $"to least squares with every coefficient non-zero. Run: the number of non-zeros {(l.SparsityMonotone ? "never falls" : "falls at some steps")} as α decreases " +
                         $"(in general a coefficient can leave the active set again; with these nearly orthogonal features it {(l.SparsityMonotone ? "does not" : "does")}); " +
                         $"exactly the true support is selected at {exact} of the {l.Alphas.Length} α; the largest duality gap on the path is {Report.Num(l.MaxDualityGap)}.");
        report.Image($"{prefix}-lasso-sparsity.png", Charts.Lines("Lasso sparsity along the path", "log10 α", "non-zero coefficients",
            [
                new Series("lasso", logA, l.NonZero.Select(v => (double)v).ToArray()),
                new Series($"true support ({trueNonZero})", [logA[0], logA[^1]], [trueNonZero, trueNonZero]),
            ]), "number of non-zero coefficients against α");
        report.Csv($"{prefix}-lasso.csv", ["alpha", "non_zero", .. Enumerable.Range(1, l.Coefficients.Rows).Select(j => $"w_{j}")],
            l.Alphas.Select((a, i) => (IReadOnlyList<string>)[Report.Num(a), Inv(l.NonZero[i]), .. Enumerable.Range(0, l.Coefficients.Rows).Select(j => Report.Num(l.Coefficients[j, i]))]));
        var support = Enumerable.Range(0, l.Coefficients.Rows).Where(j => l.TrueCoefficients[j] != 0).ToArray();
        var nulls = Enumerable.Range(0, l.Coefficients.Rows).Where(j => l.TrueCoefficients[j] == 0).ToArray();
        int every = Math.Max(1, l.Alphas.Length / 10);
        report.Paragraph($"Every {(every == 1 ? "" : every + "th ")}α of the path (all of them in {prefix}-lasso.csv):");
        report.Table(["α", "non-zero", .. support.Select(j => $"w_{j + 1} (true {Report.Num(l.TrueCoefficients[j])})"), "max abs(w_j) over the true zeros"],
            Enumerable.Range(0, l.Alphas.Length).Where(i => i % every == 0 || i == l.Alphas.Length - 1).Select(i => (IReadOnlyList<string>)[Report.Num(l.Alphas[i]), Inv(l.NonZero[i]),
                .. support.Select(j => Report.Num(l.Coefficients[j, i])), Report.Num(nulls.Select(j => Math.Abs(l.Coefficients[j, i])).DefaultIfEmpty(0).Max())]));

        // 5. Cramér–Rao.
        var m1 = r.Mle;
        var lf = r.LogisticFisher;
        report.Heading("Maximum likelihood against the Cramér–Rao bound");
        var last = m1[^1];
        report.Paragraph("The Cramér–Rao bound: an unbiased estimator of θ from n independent observations has variance at least 1/(n·I(θ)), I(θ) the Fisher " +
                         "information of one observation (a matrix inverse for several parameters). For the Gaussian mean, I(μ) = 1/σ² and x̄ attains the bound " +
                         "at every n. For the Gaussian variance, I(σ²) = 1/(2σ⁴); the unbiased s² = Σ(x − x̄)²/(n − 1) has variance 2σ⁴/(n − 1), above the bound " +
                         "but approaching it. For logistic regression P(y = 1 | x) = σ(wx + b), x ~ N(0, 1), " +
                         $"w = {Report.Num(r.LogisticCoefficients[0])}, b = {Report.Num(r.LogisticCoefficients[1])}, I₁ = E[σ'(wx + b)·(x, 1)(x, 1)ᵀ] = " +
                         $"[[{Report.Num(lf[0, 0])}, {Report.Num(lf[0, 1])}], [{Report.Num(lf[1, 0])}, {Report.Num(lf[1, 1])}]] (quadrature); the maximum-likelihood estimate " +
                         "(`LogisticRegression` with no penalty, Newton's method) is biased at small n and only asymptotically efficient: its variance over the bound " +
                         "tends to 1 as n grows; draws whose classes are separable have no finite estimate and are counted, not fitted. " +
                         $"Run ({GaussianDrawFactor * s.Draws} samples per n for the Gaussian estimators, {s.Draws} for logistic regression): at n = {last.N} the ratios are {Report.Num(last.MeanRatio)} (mean), {Report.Num(last.UnbiasedVarianceRatio)} (s²), " +
                         $"{Report.Num(last.SlopeRatio)} (logistic w), {Report.Num(last.InterceptRatio)} (logistic b), against Monte Carlo errors (two standard deviations) of about ±{Report.Num(2 * Math.Sqrt(2.0 / (GaussianDrawFactor * s.Draws)))} and ±{Report.Num(2 * Math.Sqrt(2.0 / s.Draws))}; " +
                         $"at n = {m1[0].N} the logistic w ratio is {Report.Num(m1[0].SlopeRatio)} with {m1[0].Refused} of {s.Draws} draws separable. At small n the logistic " +
                         "variance is dominated by a few nearly separable draws whose finite estimates are very large (the 'largest abs(ŵ)' column), so its ratio there is erratic; " +
                         "the bound describes the estimator only once such draws have become rare.");
        var logN = m1.Select(p => Math.Log10(p.N)).ToArray();
        double crTop = m1.SelectMany(p => new[] { p.SlopeRatio, p.InterceptRatio, p.UnbiasedVarianceRatio }).Where(double.IsFinite).Select(Math.Log10).DefaultIfEmpty(0.1).Max();
        report.Image($"{prefix}-cramer-rao.png", Charts.Lines("Variance over the Cramér–Rao bound", "log10 n", "log10(Var / CR bound)",
            [
                new Series("bound (efficient)", [logN[0], logN[^1]], [0, 0]),
                new Series("Gaussian mean x̄", logN, m1.Select(p => Math.Log10(p.MeanRatio)).ToArray(), Points: true),
                new Series("Gaussian variance s² (unbiased)", logN, m1.Select(p => Math.Log10(p.UnbiasedVarianceRatio)).ToArray(), Points: true),
                new Series("s² theory n/(n − 1)", logN, m1.Select(p => Math.Log10((double)p.N / (p.N - 1))).ToArray()),
                new Series("logistic slope ŵ (MLE)", logN, m1.Select(p => Math.Log10(p.SlopeRatio)).ToArray(), Points: true),
                new Series("logistic intercept b̂ (MLE)", logN, m1.Select(p => Math.Log10(p.InterceptRatio)).ToArray(), Points: true),
            ], (-0.6 * Math.Max(crTop, 0.1) - 0.1, 1.1 * Math.Max(crTop, 0.1))), "variance of each estimator over its Cramér–Rao bound against n");
        report.Paragraph("A biased estimator can beat the unbiased one in mean squared error: among the estimators c·Σ(x − x̄)² of σ², the MSE is smallest at " +
                         "c = 1/(n + 1), not at the unbiased c = 1/(n − 1) nor the MLE's 1/n. In units of the bound 2σ⁴/n the MSEs are n/(n − 1), (2n − 1)/(2n) " +
                         "and n/(n + 1): the shrunk estimator is below the Cramér–Rao bound, which binds unbiased estimators only. " +
                         $"Run: the Monte Carlo MSE of 1/(n + 1) is below that of 1/(n − 1) at {m1.Count(p => p.MseShrunk < p.MseUnbiased)} of {m1.Count} sample sizes " +
                         $"(from n ≈ 100 on the O(1/n) differences are below the Monte Carlo error ±{Report.Num(2 * Math.Sqrt(2.0 / (GaussianDrawFactor * s.Draws)))} of each value; " +
                         "the three estimators are computed from the same samples, which keeps their comparison sharper than that).");
        report.Image($"{prefix}-variance-mse.png", Charts.Lines("Estimating σ²: MSE over the Cramér–Rao bound", "log10 n", "MSE / (2σ⁴/n)",
            [
                new Series("unbiased 1/(n − 1), theory", logN, m1.Select(p => (double)p.N / (p.N - 1)).ToArray()),
                new Series("unbiased 1/(n − 1), Monte Carlo", logN, m1.Select(p => p.MseUnbiased).ToArray(), Points: true),
                new Series("MLE 1/n, theory", logN, m1.Select(p => (2.0 * p.N - 1) / (2.0 * p.N)).ToArray()),
                new Series("MLE 1/n, Monte Carlo", logN, m1.Select(p => p.MseMle).ToArray(), Points: true),
                new Series("shrunk 1/(n + 1), theory", logN, m1.Select(p => (double)p.N / (p.N + 1)).ToArray()),
                new Series("shrunk 1/(n + 1), Monte Carlo", logN, m1.Select(p => p.MseShrunk).ToArray(), Points: true),
            ], MarginBelow(m1.SelectMany(p => new[] { p.MseUnbiased, p.MseMle, p.MseShrunk, (double)p.N / (p.N - 1), (double)p.N / (p.N + 1) }), 0.6)),
            "mean squared error of three variance estimators against n");
        report.Table(["n", "Var(x̄)/bound", "Var(s²)/bound", "MSE 1/(n−1)", "MSE 1/n", "MSE 1/(n+1)", "Var(ŵ)/bound", "Var(b̂)/bound", "mean SE(ŵ)²/Var(ŵ)", "bias of ŵ", "largest abs(ŵ)", "separable draws"],
            m1.Select(p => (IReadOnlyList<string>)[Inv(p.N), Report.Num(p.MeanRatio), Report.Num(p.UnbiasedVarianceRatio), Report.Num(p.MseUnbiased), Report.Num(p.MseMle), Report.Num(p.MseShrunk),
                Report.Num(p.SlopeRatio), Report.Num(p.InterceptRatio), Report.Num(p.StandardErrorRatio), Report.Num(p.SlopeBias), Report.Num(p.LargestSlope), Inv(p.Refused)]), $"{prefix}-mle.csv");

        report.Setting($"{prefix}.draws", s.Draws);
        report.Setting($"{prefix}.seed", s.Seed);
        report.Setting($"{prefix}.noise", s.Noise);
        report.Setting($"{prefix}.design", $"{s.Rows}x{s.Features}");
        report.Setting($"{prefix}.lasso", $"{s.LassoRows}x{s.LassoFeatures}, {s.LassoNonZero} non-zero, {s.PathLength} alphas");
        report.Setting($"{prefix}.sample_sizes", string.Join(",", s.SampleSizes));
    }

    /// <summary>y limits that leave the lower <paramref name="share"/> of the plot empty for the legend (drawn at the lower right).</summary>
    private static (double, double) MarginBelow(IEnumerable<double> values, double share)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        double lo = finite.Min(), hi = finite.Max(), range = Math.Max(hi - lo, 1e-12);
        return (lo - share * range, hi + 0.05 * range);
    }

    private static double Quantile(double[] v, double q)
    {
        var s = v.Order().ToArray();
        return s[(int)Math.Clamp(Math.Round(q * (s.Length - 1)), 0, s.Length - 1)];
    }
}
