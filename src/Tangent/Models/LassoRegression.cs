using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// The lasso (Tibshirani 1996; docs/MATH.md §8): minimises (1/2n)·‖y − X·w − b‖² + α·‖w‖₁ for each target
/// column by cyclic coordinate descent with soft thresholding (Friedman, Hastie &amp; Tibshirani 2010), the
/// objective, α and the stopping rule of scikit-learn's <c>Lasso</c>. This object is the configuration;
/// <see cref="Fit"/> returns the model and <see cref="Path(Matrix, Matrix, int, double)"/> a warm-started path.
/// </summary>
public sealed record LassoRegression
{
    /// <summary>The L1 strength α ≥ 0 (scikit-learn's <c>alpha</c>); α = 0 is least squares by coordinate descent.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>Centre X and y and fit an unpenalised intercept b = ȳ − x̄·w (default true, as scikit-learn).</summary>
    public bool FitIntercept { get; init; } = true;

    /// <summary>
    /// Stopping tolerance, scikit-learn's <c>tol</c>: after a sweep whose largest coefficient change is below
    /// Tolerance·max|w| (or whose coefficients are all zero) the duality gap is computed, and the fit stops when
    /// the gap of the n-scaled objective ½‖r‖² + nα‖w‖₁ is at most Tolerance·‖y − ȳ‖².
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Maximum number of full sweeps over the coordinates.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>
    /// Covariance updates: work with G = XᵀX and q = Xᵀy (d×d, formed once) instead of the residual, so a sweep
    /// costs O(d²) rather than O(n·d); worth it when n ≫ d or along a path (scikit-learn's <c>precompute=True</c>).
    /// </summary>
    public bool CovarianceUpdates { get; init; }

    /// <summary>Fits on X (n×d) and Y (n×k); each target column is an independent lasso, started from w = 0.</summary>
    /// <exception cref="ArgumentException">Bad shapes, non-finite values, or a bad α, tolerance or iteration count.</exception>
    public LassoRegressionModel Fit(Matrix x, Matrix y)
    {
        Check(x, y);
        if (!(Alpha >= 0) || !double.IsFinite(Alpha))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "The lasso's α must be a finite number ≥ 0 (e.g. 0.1; α_max = ‖Xᵀ(y − ȳ)‖∞/n already gives w = 0).");
        var problem = Problem.Create(x, y, FitIntercept, CovarianceUpdates);
        return problem.Solve(Alpha, new Matrix(x.Cols, y.Cols), this);
    }

    /// <summary>
    /// The lasso path over <paramref name="count"/> values of α spaced evenly in log from α_max = ‖Xᵀ(y − ȳ)‖∞/n
    /// (the smallest α whose solution is w = 0) down to <paramref name="epsilon"/>·α_max, as scikit-learn's
    /// <c>lasso_path</c> grid; each fit is warm-started from the previous one.
    /// </summary>
    /// <exception cref="ArgumentException">Bad data, a count below 1 or an ε outside (0, 1].</exception>
    public LassoPath Path(Matrix x, Matrix y, int count = 100, double epsilon = 1e-3)
    {
        Check(x, y);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "The path needs at least one α (e.g. 100).");
        if (!(epsilon > 0 && epsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε = α_min/α_max must lie in (0, 1] (e.g. 1e-3).");
        var problem = Problem.Create(x, y, FitIntercept, CovarianceUpdates);
        double max = problem.AlphaMax();
        var alphas = new double[count];
        if (max == 0)
        {
            // y is constant (after centring) or X is zero: every α gives w = 0; keep a grid that ends at ε.
            max = epsilon;
        }
        for (int i = 0; i < count; i++)
            alphas[i] = count == 1 ? max : max * Math.Pow(epsilon, (double)i / (count - 1));   // the first is α_max exactly
        return Run(problem, alphas, x.Cols, y.Cols);
    }

    /// <summary>The lasso path over the given α (sorted into decreasing order), each fit warm-started from the previous one.</summary>
    /// <exception cref="ArgumentException">Bad data, no α, or an α that is negative or not finite.</exception>
    public LassoPath Path(Matrix x, Matrix y, IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        Check(x, y);
        if (alphas.Count == 0) throw new ArgumentException("The path needs at least one α; give e.g. [1, 0.1, 0.01] or a count.", nameof(alphas));
        for (int i = 0; i < alphas.Count; i++)
            if (!(alphas[i] >= 0) || !double.IsFinite(alphas[i]))
                throw new ArgumentOutOfRangeException(nameof(alphas), alphas[i], $"α number {i + 1} of the path must be a finite number ≥ 0.");
        var problem = Problem.Create(x, y, FitIntercept, CovarianceUpdates);
        return Run(problem, alphas.OrderByDescending(a => a).ToArray(), x.Cols, y.Cols);
    }

    /// <summary>α_max = ‖Xᵀ(y − ȳ)‖∞/n (without centring when <see cref="FitIntercept"/> is false), the smallest α
    /// whose lasso solution is w = 0, over all target columns.</summary>
    public double AlphaMax(Matrix x, Matrix y)
    {
        Check(x, y);
        return Problem.Create(x, y, FitIntercept, covariance: false).AlphaMax();
    }

    private LassoPath Run(Problem problem, double[] alphas, int d, int k)
    {
        var models = new LassoRegressionModel[alphas.Length];
        var w = new Matrix(d, k);
        for (int i = 0; i < alphas.Length; i++)
        {
            models[i] = problem.Solve(alphas[i], w, this);
            w = models[i].Weights;
        }
        return new LassoPath(alphas, models);
    }

    private void Check(Matrix x, Matrix y)
    {
        Validate.TrainingPair(x, y);
        if (!(Tolerance >= 0) || !double.IsFinite(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "The tolerance must be a finite number ≥ 0 (e.g. 1e-4).");
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1 (e.g. 1000).");
    }

    /// <summary>The soft-thresholding operator S(z, γ) = sign(z)·max(|z| − γ, 0), the proximal map of γ|·|.</summary>
    public static double SoftThreshold(double z, double gamma) => z > gamma ? z - gamma : z < -gamma ? z + gamma : 0.0;

    /// <summary>The centred data of one fit, shared by the α of a path.</summary>
    private sealed class Problem
    {
        private readonly int _rows;
        private readonly double[][] _cols;     // the columns of the centred X
        private readonly double[][] _ys;       // the centred target columns
        private readonly double[] _xMean, _yMean;
        private readonly double[] _colNorm2;   // ‖x_j‖²
        private readonly Matrix? _gram;        // XᵀX for covariance updates
        private readonly double[][]? _xty;     // Xᵀy per target

        private Problem(int rows, double[][] cols, double[][] ys, double[] xMean, double[] yMean, double[] colNorm2, Matrix? gram, double[][]? xty)
        {
            _rows = rows;
            _cols = cols;
            _ys = ys;
            _xMean = xMean;
            _yMean = yMean;
            _colNorm2 = colNorm2;
            _gram = gram;
            _xty = xty;
        }

        public static Problem Create(Matrix x, Matrix y, bool intercept, bool covariance)
        {
            int n = x.Rows, d = x.Cols, k = y.Cols;
            var xMean = intercept ? LinearRegression.ColumnMeans(x) : new double[d];
            var yMean = intercept ? LinearRegression.ColumnMeans(y) : new double[k];
            var cols = new double[d][];
            var norm2 = new double[d];
            for (int j = 0; j < d; j++)
            {
                var c = new double[n];
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    c[i] = x[i, j] - xMean[j];
                    s += c[i] * c[i];
                }
                cols[j] = c;
                norm2[j] = s;
            }
            var ys = new double[k][];
            for (int c = 0; c < k; c++)
            {
                var v = new double[n];
                for (int i = 0; i < n; i++) v[i] = y[i, c] - yMean[c];
                ys[c] = v;
            }
            Matrix? gram = null;
            double[][]? xty = null;
            if (covariance)
            {
                var centred = Matrix.Build(n, d, (i, j) => cols[j][i]);
                gram = LinearAlgebra.Multiply(centred, centred, Op.Transpose, Op.None);
                xty = ys.Select(v => cols.Select(col => Dot(col, v)).ToArray()).ToArray();
            }
            return new Problem(n, cols, ys, xMean, yMean, norm2, gram, xty);
        }

        public double AlphaMax()
        {
            double max = 0;
            foreach (var v in _ys)
                foreach (var col in _cols) max = Math.Max(max, Math.Abs(Dot(col, v)));
            return max / _rows;
        }

        public LassoRegressionModel Solve(double alpha, Matrix start, LassoRegression cfg)
        {
            int d = _cols.Length, k = _ys.Length;
            var w = start.Clone();
            var intercept = new double[k];
            int iterations = 0;
            bool converged = true;
            double gap = 0;
            for (int c = 0; c < k; c++)
            {
                var wc = new double[d];
                for (int j = 0; j < d; j++) wc[j] = w[j, c];
                // α ≥ ‖Xᵀy‖∞/n: w = 0 is the exact solution (duality gap 0); deciding it here keeps the rounding of
                // α·n against |x_jᵀy| at α = α_max from leaving a coefficient of 1e-17.
                double columnMax = 0;
                foreach (var col in _cols) columnMax = Math.Max(columnMax, Math.Abs(Dot(col, _ys[c])));
                var (it, ok, g) = alpha >= columnMax / _rows ? (0, true, 0.0)
                    : _gram is null ? Residual(alpha, wc, _ys[c], cfg) : Covariance(alpha, wc, c, cfg);
                if (alpha >= columnMax / _rows) Array.Clear(wc);
                iterations = Math.Max(iterations, it);
                converged &= ok;
                gap = Math.Max(gap, g);
                double b = _yMean[c];
                for (int j = 0; j < d; j++)
                {
                    w[j, c] = wc[j];
                    b -= _xMean[j] * wc[j];
                }
                intercept[c] = b;
            }
            return new LassoRegressionModel(alpha, w, intercept, iterations, converged, gap);
        }

        // Coordinate descent on the residual r = y − Xw (O(n) per coordinate).
        private (int Iterations, bool Converged, double Gap) Residual(double alpha, double[] w, double[] y, LassoRegression cfg)
        {
            int n = y.Length, d = w.Length;
            double l1 = alpha * n;                      // the n-scaled objective ½‖r‖² + nα‖w‖₁
            var r = (double[])y.Clone();
            for (int j = 0; j < d; j++)
                if (w[j] != 0) Axpy(-w[j], _cols[j], r);
            double stop = cfg.Tolerance * Dot(y, y);
            for (int it = 1; it <= cfg.MaxIterations; it++)
            {
                double wMax = 0, dMax = 0;
                for (int j = 0; j < d; j++)
                {
                    if (_colNorm2[j] == 0) { w[j] = 0; continue; }
                    double old = w[j];
                    var col = _cols[j];
                    // ρ = x_jᵀ(r + x_j·w_j) = x_jᵀr + ‖x_j‖²·w_j
                    double rho = Dot(col, r) + _colNorm2[j] * old;
                    double nw = SoftThreshold(rho, l1) / _colNorm2[j];
                    if (nw != old)
                    {
                        Axpy(old - nw, col, r);
                        w[j] = nw;
                    }
                    dMax = Math.Max(dMax, Math.Abs(nw - old));
                    wMax = Math.Max(wMax, Math.Abs(nw));
                }
                if (wMax == 0 || dMax / wMax < cfg.Tolerance || it == cfg.MaxIterations)
                {
                    double gap = GapFromResidual(r, y, w, l1);
                    if (gap <= stop) return (it, true, gap / n);
                    if (it == cfg.MaxIterations) return (it, false, gap / n);
                }
            }
            return (cfg.MaxIterations, false, double.NaN);
        }

        private double GapFromResidual(double[] r, double[] y, double[] w, double l1)
        {
            double dual = 0;
            foreach (var col in _cols) dual = Math.Max(dual, Math.Abs(Dot(col, r)));
            return Gap(Dot(r, r), Dot(r, y), dual, w, l1);
        }

        // Coordinate descent on G = XᵀX and q = Xᵀy, keeping h = G·w (O(d) per coordinate).
        private (int Iterations, bool Converged, double Gap) Covariance(double alpha, double[] w, int target, LassoRegression cfg)
        {
            var g = _gram!;
            var q = _xty![target];
            var y = _ys[target];
            int n = y.Length, d = w.Length;
            double l1 = alpha * n, yy = Dot(y, y);
            var h = new double[d];
            for (int j = 0; j < d; j++)
                if (w[j] != 0)
                    for (int m = 0; m < d; m++) h[m] += g[m, j] * w[j];
            double stop = cfg.Tolerance * yy;
            for (int it = 1; it <= cfg.MaxIterations; it++)
            {
                double wMax = 0, dMax = 0;
                for (int j = 0; j < d; j++)
                {
                    double gjj = g[j, j];
                    if (gjj == 0) { w[j] = 0; continue; }
                    double old = w[j];
                    double rho = q[j] - h[j] + gjj * old;
                    double nw = SoftThreshold(rho, l1) / gjj;
                    if (nw != old)
                    {
                        double delta = nw - old;
                        for (int m = 0; m < d; m++) h[m] += g[m, j] * delta;
                        w[j] = nw;
                    }
                    dMax = Math.Max(dMax, Math.Abs(nw - old));
                    wMax = Math.Max(wMax, Math.Abs(nw));
                }
                if (wMax == 0 || dMax / wMax < cfg.Tolerance || it == cfg.MaxIterations)
                {
                    // ‖r‖² = yᵀy − 2wᵀq + wᵀGw, Xᵀr = q − Gw, rᵀy = yᵀy − wᵀq.
                    double wq = Dot(w, q), wh = Dot(w, h), dual = 0;
                    for (int j = 0; j < d; j++) dual = Math.Max(dual, Math.Abs(q[j] - h[j]));
                    double gap = Gap(Math.Max(yy - 2 * wq + wh, 0), yy - wq, dual, w, l1);
                    if (gap <= stop) return (it, true, gap / n);
                    if (it == cfg.MaxIterations) return (it, false, gap / n);
                }
            }
            return (cfg.MaxIterations, false, double.NaN);
        }

        // The duality gap of P(w) = ½‖r‖² + λ‖w‖₁ at the dual point ν = s·r, s = min(1, λ/‖Xᵀr‖∞):
        // D(ν) = s·rᵀy − ½s²‖r‖², so P − D = ½(1 + s²)‖r‖² + λ‖w‖₁ − s·rᵀy.
        private static double Gap(double rr, double ry, double dualNorm, double[] w, double l1)
        {
            double s = dualNorm > l1 ? l1 / dualNorm : 1.0;
            double norm1 = 0;
            foreach (double v in w) norm1 += Math.Abs(v);
            return Math.Max(0.5 * (1 + s * s) * rr + l1 * norm1 - s * ry, 0);
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += a * x[i];
    }
}

/// <summary>A fitted lasso f(x) = x·W + b.</summary>
public sealed class LassoRegressionModel
{
    private readonly Matrix _w;
    private readonly double[] _b;

    internal LassoRegressionModel(double alpha, Matrix weights, double[] intercept, int iterations, bool converged, double gap)
    {
        Alpha = alpha;
        _w = weights;
        _b = intercept;
        Iterations = iterations;
        Converged = converged;
        DualityGap = gap;
    }

    /// <summary>The α of this fit.</summary>
    public double Alpha { get; }

    /// <summary>The weights W (d×k), a copy.</summary>
    public Matrix Weights => _w.Clone();

    /// <summary>The intercept b (length k; zeros unless fitted), a copy.</summary>
    public double[] Intercept => (double[])_b.Clone();

    /// <summary>Sweeps over the coordinates (the most over the target columns).</summary>
    public int Iterations { get; }

    /// <summary>Whether the duality gap met the tolerance for every target column within <see cref="LassoRegression.MaxIterations"/>.</summary>
    public bool Converged { get; }

    /// <summary>
    /// The duality gap at the last check, in the units of the objective (1/2n)‖y − Xw − b‖² + α‖w‖₁ (the largest
    /// over the target columns): the objective is at most this far above its minimum.
    /// </summary>
    public double DualityGap { get; }

    /// <summary>The number of non-zero weights (over all target columns).</summary>
    public int NonZeroCount => _w.Data.Count(v => v != 0);

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

/// <summary>A lasso path: one fit per α, in decreasing order of α.</summary>
public sealed class LassoPath
{
    private readonly double[] _alphas;

    internal LassoPath(double[] alphas, LassoRegressionModel[] models)
    {
        _alphas = alphas;
        Models = models;
    }

    /// <summary>The α, decreasing (a copy).</summary>
    public double[] Alphas => (double[])_alphas.Clone();

    /// <summary>The fit at each α.</summary>
    public IReadOnlyList<LassoRegressionModel> Models { get; }

    /// <summary>The coefficients of target column <paramref name="target"/> as a d×m matrix, column i at α_i (scikit-learn's <c>coefs</c>).</summary>
    public Matrix Coefficients(int target = 0)
    {
        int d = Models[0].Weights.Rows;
        var c = new Matrix(d, Models.Count);
        for (int i = 0; i < Models.Count; i++)
        {
            var w = Models[i].Weights;
            if (target < 0 || target >= w.Cols) throw new ArgumentOutOfRangeException(nameof(target), target, $"The path has {w.Cols} target column(s); give 0 to {w.Cols - 1}.");
            for (int j = 0; j < d; j++) c[j, i] = w[j, target];
        }
        return c;
    }

    /// <summary>The number of non-zero weights at each α.</summary>
    public int[] NonZeroCounts => Models.Select(m => m.NonZeroCount).ToArray();
}
