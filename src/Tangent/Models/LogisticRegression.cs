using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Binary logistic regression by Newton's method (iteratively reweighted least squares) with step halving
/// (docs/MATH.md §8). It minimises C·Σᵢ ℓᵢ + ½‖w‖², ℓᵢ the negative log-likelihood of row i — scikit-learn's
/// <c>LogisticRegression</c> objective with an L2 penalty, whose intercept is not penalised — or, with
/// <see cref="C"/> null, the plain negative log-likelihood (maximum likelihood). The fitted model carries the
/// Fisher information and the standard errors. This object is the configuration; <see cref="Fit"/> returns the model.
/// </summary>
public sealed record LogisticRegression
{
    /// <summary>The inverse L2 strength C &gt; 0 (scikit-learn's <c>C</c>; the penalty is ‖w‖²/(2C), a Gaussian prior
    /// N(0, C·I) on the weights); null for no penalty (maximum likelihood, scikit-learn's <c>penalty=None</c>).</summary>
    public double? C { get; init; } = 1.0;

    /// <summary>Fit an unpenalised intercept (default true).</summary>
    public bool FitIntercept { get; init; } = true;

    /// <summary>Newton stops when half the Newton decrement, ½·gᵀH⁻¹g (the predicted decrease of the objective), is at most this; the step in hand is then still taken.</summary>
    public double Tolerance { get; init; } = 1e-12;

    /// <summary>Maximum number of Newton steps.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>
    /// Fits on X (n×d) and the labels y (n×1) of two classes, any two distinct numbers (e.g. 0/1 or −1/+1): the
    /// smaller is the negative class, the larger the positive one, whose probability the model gives.
    /// </summary>
    /// <exception cref="ArgumentException">Bad shapes or values; labels with one class or more than two; a bad C,
    /// tolerance or iteration count; or, without a penalty, separable classes, whose maximum-likelihood coefficients
    /// are infinite (the message names the fix: set C).</exception>
    /// <exception cref="InvalidOperationException">Newton did not converge within <see cref="MaxIterations"/>.</exception>
    public LogisticRegressionModel Fit(Matrix x, Matrix y)
    {
        Validate.TrainingPair(x, y);
        if (y.Cols != 1)
            throw new ArgumentException($"Logistic regression takes one label column, got {y.Cols}; give the class of each row in a single column.");
        if (C is { } c0 && (!(c0 > 0) || !double.IsFinite(c0)))
            throw new ArgumentOutOfRangeException(nameof(C), c0, "C must be a finite number > 0 (e.g. 1; smaller is a stronger penalty), or null for no penalty.");
        if (!(Tolerance >= 0) || !double.IsFinite(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "The tolerance must be a finite number ≥ 0 (e.g. 1e-12).");
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1 (e.g. 100).");
        var classes = y.Data.Distinct().Order().ToArray();
        if (classes.Length < 2)
            throw new ArgumentException($"The labels hold one class ({classes[0]}); logistic regression needs rows of two classes.");
        if (classes.Length > 2)
            throw new ArgumentException($"The labels hold {classes.Length} classes ({string.Join(", ", classes.Take(5))}{(classes.Length > 5 ? ", ..." : "")}); this logistic regression is binary: give two classes, or fit one class against the rest.");

        int n = x.Rows, d = x.Cols, p = d + (FitIntercept ? 1 : 0);
        var design = FitIntercept ? Matrix.Build(n, p, (i, j) => j < d ? x[i, j] : 1.0) : x;
        var t = new double[n];
        for (int i = 0; i < n; i++) t[i] = y[i, 0] == classes[1] ? 1 : 0;
        double penalty = C is { } c ? 1.0 / c : 0.0;   // objective Σℓ + ‖w‖²/(2C), the sklearn one divided by C
        var beta = new double[p];
        double f = Objective(design, t, beta, d, penalty, out var eta);
        int it = 0;
        bool converged = false;
        double lastStep = double.NaN, previousStep = double.NaN;
        for (; it < MaxIterations; it++)
        {
            if (penalty == 0 && Separates(eta, t))
                throw Separable(n);
            var (g, h) = GradientAndHessian(design, t, eta, beta, d, penalty);
            var chol = Cholesky.TryCompute(h, out _);
            if (chol is null)
            {
                if (penalty == 0) throw Singular(d);
                throw new InvalidOperationException("The penalised Hessian of the logistic loss is not positive definite; the inputs may hold NaN-free but extreme values: standardize the features.");
            }
            var step = chol.Solve(Matrix.Column(g)).Data;
            double decrement = 0;
            for (int j = 0; j < p; j++) decrement += g[j] * step[j];
            if (0.5 * decrement <= Tolerance)
            {
                // Converged; the step in hand is still taken unless it raises the objective beyond round-off
                // (Newton's last step squares the error at no extra cost; its gain is below the objective's ulp).
                var last = new double[p];
                for (int j = 0; j < p; j++) last[j] = beta[j] - step[j];
                double fl = Objective(design, t, last, d, penalty, out var etaLast);
                if (fl <= f + 1e-14 * Math.Abs(f))
                {
                    beta = last;
                    eta = etaLast;
                    f = fl;
                }
                converged = true;
                break;
            }
            // Step halving: β − s·H⁻¹g with s = 1, ½, ¼, ... until the objective does not increase.
            double s = 1;
            double[] trial = new double[p];
            double ft = double.PositiveInfinity;
            double[] etaTrial = eta;
            for (int halving = 0; halving < 60; halving++)
            {
                for (int j = 0; j < p; j++) trial[j] = beta[j] - s * step[j];
                ft = Objective(design, t, trial, d, penalty, out etaTrial);
                if (ft <= f) break;
                s /= 2;
            }
            if (!(ft <= f)) break;   // no decrease along the Newton direction: at the round-off floor
            previousStep = lastStep;
            lastStep = s * Math.Sqrt(step.Sum(v => v * v));
            beta = trial;
            eta = etaTrial;
            f = ft;
        }
        if (penalty == 0)
        {
            if (Separates(eta, t)) throw Separable(n);
            // Quasi-complete separation: some rows are pushed to probability 0 or 1 while Newton's steps stop
            // shrinking (they walk to infinity at a steady pace instead of converging quadratically).
            int extreme = 0;
            for (int i = 0; i < n; i++)
                if ((2 * t[i] - 1) * eta[i] > 15) extreme++;
            if (extreme > 0 && (!converged || (lastStep > 0.25 * previousStep && lastStep > 1e-6 * (1 + Norm(beta)))))
                throw new ArgumentException($"The classes are quasi-separable: {extreme} of {n} rows get fitted probability 0 or 1 and the unpenalised maximum-likelihood coefficients grow without bound. " +
                                            "Add an L2 penalty (set C, e.g. C = 1) or remove the separating feature.");
        }
        if (!converged && !(it < MaxIterations))
            throw new InvalidOperationException($"Newton's method did not converge within {MaxIterations} iterations (½·decrement above {Tolerance:G3}); raise MaxIterations or the tolerance, or standardize the features.");
        var (_, hessian) = GradientAndHessian(design, t, eta, beta, d, 0);
        var weights = beta.Take(d).ToArray();
        double intercept = FitIntercept ? beta[d] : 0;
        var penalised = hessian.Clone();
        for (int j = 0; j < d; j++) penalised[j, j] += penalty;
        var covariance = Cholesky.TryCompute(penalised, out _) is { } pc ? pc.Solve(Matrix.Identity(p)) : SymmetricEigen.Compute(penalised).PseudoInverse();
        return new LogisticRegressionModel(classes, weights, intercept, FitIntercept, hessian, covariance, it, f);
    }

    // Objective Σℓᵢ + (penalty/2)·‖w‖², ℓᵢ = log(1 + e^{ηᵢ}) − tᵢηᵢ (stable in ηᵢ), with η = X̃β returned.
    private static double Objective(Matrix design, double[] t, double[] beta, int d, double penalty, out double[] eta)
    {
        int n = design.Rows;
        eta = Eta(design, beta);
        double f = 0;
        for (int i = 0; i < n; i++) f += Softplus(eta[i]) - t[i] * eta[i];
        double w2 = 0;
        for (int j = 0; j < d; j++) w2 += beta[j] * beta[j];
        return f + 0.5 * penalty * w2;
    }

    internal static double[] Eta(Matrix design, double[] beta)
    {
        var eta = new double[design.Rows];
        for (int i = 0; i < design.Rows; i++)
        {
            var row = design.Row(i);
            double s = 0;
            for (int j = 0; j < row.Length; j++) s += row[j] * beta[j];
            eta[i] = s;
        }
        return eta;
    }

    // g = X̃ᵀ(π − t) + penalty·w, H = X̃ᵀ·diag(π(1 − π))·X̃ + penalty·I_w (the intercept is not penalised).
    private static (double[] Gradient, Matrix Hessian) GradientAndHessian(Matrix design, double[] t, double[] eta, double[] beta, int d, double penalty)
    {
        int n = design.Rows, p = design.Cols;
        var g = new double[p];
        var scaled = new Matrix(n, p);
        for (int i = 0; i < n; i++)
        {
            double pi = Sigmoid(eta[i]), wi = Variance(eta[i]), ri = pi - t[i], sw = Math.Sqrt(wi);
            var row = design.Row(i);
            var sr = scaled.Row(i);
            for (int j = 0; j < p; j++)
            {
                g[j] += row[j] * ri;
                sr[j] = row[j] * sw;
            }
        }
        var h = LinearAlgebra.Multiply(scaled, scaled, Op.Transpose, Op.None);
        for (int j = 0; j < d; j++)
        {
            g[j] += penalty * beta[j];
            h[j, j] += penalty;
        }
        return (g, h);
    }

    private static bool Separates(double[] eta, double[] t)
    {
        // A β with (2tᵢ − 1)·ηᵢ > 0 for every row classifies all rows correctly: the log-likelihood then rises
        // without bound along β, so no finite maximiser exists (complete separation).
        for (int i = 0; i < eta.Length; i++)
            if (!((2 * t[i] - 1) * eta[i] > 0)) return false;
        return true;
    }

    private static ArgumentException Separable(int n) =>
        new($"The two classes are linearly separable: a hyperplane puts all {n} rows on their own side, so the unpenalised maximum-likelihood coefficients are infinite. " +
            "Add an L2 penalty (set C, e.g. C = 1) to get a finite fit.");

    private static ArgumentException Singular(int d) =>
        new($"The Fisher information XᵀWX is singular: the {d} features (with the intercept) are linearly dependent, or the fitted probabilities are 0 or 1. " +
            "Remove duplicate or constant features, or add an L2 penalty (set C, e.g. C = 1).");

    internal static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    // π(1 − π) = e^{−|z|}/(1 + e^{−|z|})², exact for large |z|.
    private static double Variance(double z)
    {
        double e = Math.Exp(-Math.Abs(z));
        return e / ((1 + e) * (1 + e));
    }

    private static double Softplus(double z) => z > 0 ? z + Log1P(Math.Exp(-z)) : Log1P(Math.Exp(z));

    // log(1 + x) accurate for small x (Goldberg's trick: the rounding of 1 + x cancels).
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(a => a * a));
}

/// <summary>A fitted binary logistic regression P(y = positive | x) = σ(x·w + b).</summary>
public sealed class LogisticRegressionModel
{
    private readonly double[] _classes, _w;
    private readonly Matrix _fisher, _covariance;

    internal LogisticRegressionModel(double[] classes, double[] weights, double intercept, bool hasIntercept, Matrix fisher, Matrix covariance, int iterations, double objective)
    {
        _classes = classes;
        _w = weights;
        Intercept = intercept;
        HasIntercept = hasIntercept;
        _fisher = fisher;
        _covariance = covariance;
        Iterations = iterations;
        Objective = objective;
    }

    /// <summary>The two classes, ascending; the second is the positive one (a copy).</summary>
    public double[] Classes => (double[])_classes.Clone();

    /// <summary>The coefficients w (length d, a copy).</summary>
    public double[] Coefficients => (double[])_w.Clone();

    /// <summary>The intercept b (0 unless fitted).</summary>
    public double Intercept { get; }

    /// <summary>Whether an intercept was fitted (then it is the last parameter of the Fisher information).</summary>
    public bool HasIntercept { get; }

    /// <summary>Newton steps taken.</summary>
    public int Iterations { get; }

    /// <summary>The minimised objective Σℓᵢ + ‖w‖²/(2C) (the negative log-likelihood without a penalty).</summary>
    public double Objective { get; }

    /// <summary>
    /// The Fisher information of the n rows at the fit, I = X̃ᵀ·diag(πᵢ(1 − πᵢ))·X̃ over the parameters (w, then b
    /// when fitted): the Hessian of the negative log-likelihood, which for the logistic model equals its expectation.
    /// A copy.
    /// </summary>
    public Matrix FisherInformation => _fisher.Clone();

    /// <summary>
    /// The estimated covariance of the parameters (w, then b): I⁻¹ without a penalty (the Cramér–Rao bound at
    /// the fit, the asymptotic covariance of the maximum-likelihood estimator); with C, (I + I_w/C)⁻¹, the
    /// inverse Hessian of the penalised objective (the Laplace approximation of the posterior under the prior
    /// N(0, C·I) on w). A copy.
    /// </summary>
    public Matrix Covariance => _covariance.Clone();

    /// <summary>The standard errors √diag(<see cref="Covariance"/>): the coefficients', then the intercept's when fitted.</summary>
    public double[] StandardErrors => _covariance.Diagonal().Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();

    /// <summary>The linear score x·w + b per row.</summary>
    public double[] DecisionFunction(Matrix x)
    {
        Validate.TestInputs(x, _w.Length);
        var s = new double[x.Rows];
        for (int i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            double v = Intercept;
            for (int j = 0; j < row.Length; j++) v += row[j] * _w[j];
            s[i] = v;
        }
        return s;
    }

    /// <summary>The class probabilities, n×2: column 0 for <c>Classes[0]</c>, column 1 for <c>Classes[1]</c> (scikit-learn's <c>predict_proba</c>).</summary>
    public Matrix PredictProbability(Matrix x)
    {
        var s = DecisionFunction(x);
        return Matrix.Build(s.Length, 2, (i, j) => j == 1 ? LogisticRegression.Sigmoid(s[i]) : LogisticRegression.Sigmoid(-s[i]));
    }

    /// <summary>The predicted class per row (n×1): the positive class where x·w + b &gt; 0.</summary>
    public Matrix Predict(Matrix x)
    {
        var s = DecisionFunction(x);
        return Matrix.Build(s.Length, 1, (i, _) => s[i] > 0 ? _classes[1] : _classes[0]);
    }
}
