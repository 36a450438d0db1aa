using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>How the linear model is fitted.</summary>
public enum LinearMethod
{
    /// <summary>w = X⁺·Y: ordinary least squares when X has full column rank, else the minimum-norm solution.</summary>
    MinimumNorm,
    /// <summary>w = (XᵀX + λI)⁻¹·XᵀY.</summary>
    Ridge,
    /// <summary>Gradient descent on L(w) = ½·Σ(y − x·w)² from w = 0.</summary>
    GradientDescent,
}

/// <summary>
/// Linear regression (docs/MATH.md §1; course lecture 2): minimum-norm least squares, ridge, or gradient
/// descent from w = 0, which converges to X⁺·Y exactly when 0 &lt; η &lt; 2/σ₁² (σ₁ the largest
/// singular value of X). This object is the configuration; <see cref="Fit"/> returns the model.
/// </summary>
public sealed record LinearRegression
{
    /// <summary>The fitting method.</summary>
    public LinearMethod Method { get; init; } = LinearMethod.MinimumNorm;

    /// <summary>The ridge for <see cref="LinearMethod.Ridge"/>: <see cref="Ridge.Absolute"/> λ, or
    /// <see cref="Ridge.Relative"/> to the mean diagonal of XᵀX (‖X‖²_F/d, after centring with an intercept).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Learning rate η for gradient descent; null means 1/σ₁² (half the stable bound).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Maximum number of gradient-descent steps.</summary>
    public int MaxSteps { get; init; } = 10_000;

    /// <summary>Gradient descent stops when ‖∇L‖_F ≤ Tolerance·‖XᵀY‖_F.</summary>
    public double Tolerance { get; init; } = 1e-10;

    /// <summary>Run gradient descent even when η ≥ 2/σ₁² (it will diverge; for demonstrations).</summary>
    public bool AllowUnstableLearningRate { get; init; }

    /// <summary>Centre X and Y and fit an intercept (docs/MATH.md's w = X⁺Y has none; default false).</summary>
    public bool FitIntercept { get; init; }

    /// <summary>Record the loss every this many steps (0: never).</summary>
    public int LossEvery { get; init; } = 1;

    /// <summary>The largest stable learning rate 2/σ₁² of gradient descent on ½‖Y − XW‖² for inputs X.</summary>
    public static double StableLearningRateBound(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        double s2 = TopSquaredSingularValue(x);
        return s2 > 0 ? 2.0 / s2 : double.PositiveInfinity;
    }

    /// <summary>Fits on X (n×d) and Y (n×k).</summary>
    /// <exception cref="ArgumentException">Bad shapes or values, or a learning rate at or above 2/σ₁² without <see cref="AllowUnstableLearningRate"/>.</exception>
    public LinearRegressionModel Fit(Matrix x, Matrix y)
    {
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        int d = x.Cols, k = y.Cols;
        double[] xMean = new double[d], yMean = new double[k];
        if (FitIntercept)
        {
            xMean = ColumnMeans(x);
            yMean = ColumnMeans(y);
            x = Center(x, xMean);
            y = Center(y, yMean);
        }
        Matrix w;
        GradientDescentTrace? trace = null;
        switch (Method)
        {
            case LinearMethod.MinimumNorm:
                w = MinimumNorm(x, y, 0);
                break;
            case LinearMethod.Ridge:
                double lambda = Ridge.ValueForTrace(SquaredFrobeniusNorm(x), x.Cols);
                if (lambda == 0) throw new ArgumentException("Ridge regression needs λ > 0; use the minimum-norm method for λ = 0.");
                w = MinimumNorm(x, y, lambda);
                break;
            default:
                (w, trace) = GradientDescent(x, y);
                break;
        }
        var intercept = new double[k];
        if (FitIntercept)
            for (int c = 0; c < k; c++)
            {
                double s = yMean[c];
                for (int j = 0; j < d; j++) s -= xMean[j] * w[j, c];
                intercept[c] = s;
            }
        return new LinearRegressionModel(w, intercept, trace);
    }

    private static double SquaredFrobeniusNorm(Matrix x)
    {
        double s = 0;
        foreach (double v in x.Data) s += v * v;
        return s;
    }

    // Through the smaller Gram matrix: n ≥ d → (XᵀX + λI)⁺XᵀY; n < d → Xᵀ(XXᵀ + λI)⁺Y. Both are X⁺Y at λ = 0.
    private static Matrix MinimumNorm(Matrix x, Matrix y, double ridge)
    {
        if (x.Rows >= x.Cols)
        {
            var g = LinearAlgebra.Multiply(x, x, Op.Transpose, Op.None);
            var xty = LinearAlgebra.Multiply(x, y, Op.Transpose, Op.None);
            return Solve(g, xty, ridge);
        }
        var gram = LinearAlgebra.Gram(x);
        var a = Solve(gram, y, ridge);
        return LinearAlgebra.Multiply(x, a, Op.Transpose, Op.None);
    }

    private static Matrix Solve(Matrix g, Matrix b, double ridge)
    {
        if (ridge > 0)
        {
            var gr = g.Clone();
            gr.AddToDiagonal(ridge);
            return Cholesky.Compute(gr).Solve(b);
        }
        var eig = SymmetricEigen.Compute(g);
        // Eigenvalues of XᵀX are σ²: cut at the square of NumPy's lstsq/pinv singular-value tolerance.
        double tol = Math.Max(eig.DefaultTolerance, 0);
        return eig.PseudoInverseApply(b, tol);
    }

    private (Matrix, GradientDescentTrace) GradientDescent(Matrix x, Matrix y)
    {
        double bound = StableLearningRateBound(x);
        double eta = LearningRate ?? (double.IsFinite(bound) ? bound / 2 : 1.0);
        if (!(eta > 0) || !double.IsFinite(eta))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), eta, "The learning rate must be a finite number > 0.");
        if (eta >= bound && !AllowUnstableLearningRate)
            throw new Dynamics.UnstableLearningRateException(eta, bound, "2/σ₁²",
                $"Learning rate η = {eta:G6} is at or above the stable bound 2/σ₁² = {bound:G6} (σ₁ = the largest singular value of X); gradient descent would diverge. " +
                $"Use η < {bound:G6} (e.g. {bound / 2:G6}), standardize the features if the bound is far below 1, or set AllowUnstableLearningRate to watch it diverge.");
        int d = x.Cols, k = y.Cols;
        var w = new Matrix(d, k);
        var xty = LinearAlgebra.Multiply(x, y, Op.Transpose, Op.None);
        double stop = Tolerance * Math.Max(xty.FrobeniusNorm(), double.Epsilon);
        var losses = new List<double>();
        int step = 0;
        bool converged = false;
        for (; step < MaxSteps; step++)
        {
            var r = LinearAlgebra.Multiply(x, w); // residual r = Xw − Y
            for (int i = 0; i < r.Data.Length; i++) r.Data[i] -= y.Data[i];
            if (LossEvery > 0 && step % LossEvery == 0) losses.Add(0.5 * SumSquares(r.Data));
            var grad = LinearAlgebra.Multiply(x, r, Op.Transpose, Op.None);
            double gn = grad.FrobeniusNorm();
            if (!double.IsFinite(gn)) break;
            if (gn <= stop)
            {
                converged = true;
                break;
            }
            for (int i = 0; i < w.Data.Length; i++) w.Data[i] -= eta * grad.Data[i];
        }
        return (w, new GradientDescentTrace(eta, bound, step, converged, losses.ToArray(), LossEvery));
    }

    private static double TopSquaredSingularValue(Matrix x)
    {
        if (x.Rows == 0 || x.Cols == 0) return 0;
        var g = x.Rows <= x.Cols ? LinearAlgebra.Gram(x) : LinearAlgebra.Multiply(x, x, Op.Transpose, Op.None);
        var vals = SymmetricEigen.Compute(g).Values;
        return Math.Max(vals[^1], 0);
    }

    private static double SumSquares(double[] v)
    {
        double s = 0;
        foreach (double a in v) s += a * a;
        return s;
    }

    internal static double[] ColumnMeans(Matrix m)
    {
        var mean = new double[m.Cols];
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < m.Cols; j++) mean[j] += m[i, j];
        for (int j = 0; j < m.Cols; j++) mean[j] /= Math.Max(m.Rows, 1);
        return mean;
    }

    private static Matrix Center(Matrix m, double[] mean)
    {
        var c = m.Clone();
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < m.Cols; j++) c[i, j] -= mean[j];
        return c;
    }
}

/// <summary>What gradient descent did.</summary>
/// <param name="LearningRate">η used.</param>
/// <param name="StableBound">2/σ₁²: gradient descent converges iff 0 &lt; η &lt; this.</param>
/// <param name="Steps">Steps taken.</param>
/// <param name="Converged">Whether the gradient-norm tolerance was met.</param>
/// <param name="Losses">½‖Xw − Y‖² recorded every <paramref name="LossEvery"/> steps.</param>
/// <param name="LossEvery">Recording interval.</param>
public sealed record GradientDescentTrace(double LearningRate, double StableBound, int Steps, bool Converged, double[] Losses, int LossEvery);

/// <summary>A fitted linear model f(x) = x·W + b.</summary>
public sealed class LinearRegressionModel
{
    private readonly Matrix _w;
    private readonly double[] _b;

    internal LinearRegressionModel(Matrix weights, double[] intercept, GradientDescentTrace? trace)
    {
        _w = weights;
        _b = intercept;
        Trace = trace;
    }

    /// <summary>The weights W (d×k), a copy.</summary>
    public Matrix Weights => _w.Clone();

    /// <summary>The intercept b (length k; zeros unless fitted), a copy.</summary>
    public double[] Intercept => (double[])_b.Clone();

    /// <summary>The gradient-descent trace, when that method was used.</summary>
    public GradientDescentTrace? Trace { get; }

    /// <summary>X*·W + b.</summary>
    public Matrix Predict(Matrix x)
    {
        Validate.TestInputs(x, _w.Rows);
        var p = LinearAlgebra.Multiply(x, _w);
        for (int i = 0; i < p.Rows; i++)
            for (int c = 0; c < p.Cols; c++) p[i, c] += _b[c];
        return p;
    }
}
