using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>The outcome of choosing ridge's λ by <see cref="RidgeSelection"/>.</summary>
/// <param name="Method">"leave-one-out" or "k-fold (K)".</param>
/// <param name="Alphas">The λ tried, in the order given.</param>
/// <param name="Errors">The validation mean squared error at each λ (over rows and target columns).</param>
/// <param name="BestAlpha">The λ of the smallest error (the first one on ties).</param>
/// <param name="Model">Ridge at <paramref name="BestAlpha"/> refitted on all rows.</param>
public sealed record RidgeSelectionResult(string Method, IReadOnlyList<double> Alphas, IReadOnlyList<double> Errors, double BestAlpha, LinearRegressionModel Model)
{
    /// <summary>The index of <see cref="BestAlpha"/> in <see cref="Alphas"/>.</summary>
    public int BestIndex => Alphas.Select((a, i) => (a, i)).First(p => p.a == BestAlpha).i;
}

/// <summary>
/// Chooses the ridge λ of <see cref="LinearRegression"/> with <see cref="LinearMethod.Ridge"/> (w = (XᵀX + λI)⁻¹XᵀY,
/// an absolute λ, scikit-learn's <c>alpha</c>) by leave-one-out or K-fold cross-validation (docs/MATH.md §8).
/// One eigendecomposition of the smaller Gram matrix (XᵀX or XXᵀ) per training set serves every λ; leave-one-out
/// then needs no refit at all: its residual is eᵢ/(1 − Hᵢᵢ), H = X(XᵀX + λI)⁻¹Xᵀ the hat matrix.
/// </summary>
public static class RidgeSelection
{
    /// <summary>
    /// Leave-one-out cross-validation in closed form (scikit-learn's <c>RidgeCV</c> with its default efficient
    /// leave-one-out): for each λ the mean over rows and target columns of ((yᵢ − ŷᵢ)/(1 − Hᵢᵢ))². With
    /// <paramref name="fitIntercept"/> the intercept is fitted and not penalised (X and y centred; H gains 1/n),
    /// which is exactly what refitting ridge with an intercept on the other n − 1 rows gives.
    /// </summary>
    /// <exception cref="ArgumentException">Bad data, no λ, or a λ that is not a finite number &gt; 0.</exception>
    public static RidgeSelectionResult LeaveOneOut(Matrix x, Matrix y, IReadOnlyList<double> alphas, bool fitIntercept = false)
    {
        Check(x, y, alphas);
        var solver = new Solver(x, y, fitIntercept);
        var errors = alphas.Select(a =>
        {
            var r = solver.LeaveOneOut(a);
            return r.Data.Sum(v => v * v) / r.Data.Length;
        }).ToArray();
        return Result("leave-one-out", x, y, alphas, errors, fitIntercept);
    }

    /// <summary>The leave-one-out residuals yᵢ − ŷ₋ᵢ (n×k) of ridge at λ = <paramref name="alpha"/>: row i is the error
    /// of the model fitted without row i, computed as eᵢ/(1 − Hᵢᵢ) from the one fit on all rows.</summary>
    /// <exception cref="ArgumentException">Bad data or a λ that is not a finite number &gt; 0.</exception>
    public static Matrix LeaveOneOutResiduals(Matrix x, Matrix y, double alpha, bool fitIntercept = false)
    {
        Check(x, y, [alpha]);
        var solver = new Solver(x, y, fitIntercept);
        return solver.LeaveOneOut(alpha);
    }

    /// <summary>
    /// K-fold cross-validation: the rows are shuffled with <paramref name="seed"/> and cut into <paramref name="folds"/>
    /// folds, the first n mod K one row larger (scikit-learn's <c>KFold(shuffle=True)</c> sizes); the error at λ is the
    /// mean over folds of the held-out fold's mean squared error (scikit-learn's <c>GridSearchCV</c> score).
    /// </summary>
    /// <exception cref="ArgumentException">Bad data, no λ, a λ that is not a finite number &gt; 0, or K outside 2..n.</exception>
    public static RidgeSelectionResult KFold(Matrix x, Matrix y, IReadOnlyList<double> alphas, int folds = 5, int seed = 0, bool fitIntercept = false)
    {
        Check(x, y, alphas);
        var sets = Folds(x.Rows, folds, seed);
        var errors = new double[alphas.Count];
        foreach (var held in sets)
        {
            var heldSet = new HashSet<int>(held);
            var train = Enumerable.Range(0, x.Rows).Where(i => !heldSet.Contains(i)).ToArray();
            var solver = new Solver(x.SelectRows(train), y.SelectRows(train), fitIntercept);
            var xv = x.SelectRows(held);
            var yv = y.SelectRows(held);
            for (int a = 0; a < alphas.Count; a++)
            {
                var (w, b) = solver.Weights(alphas[a]);
                var p = LinearAlgebra.Multiply(xv, w);
                double s = 0;
                for (int i = 0; i < p.Rows; i++)
                    for (int c = 0; c < p.Cols; c++)
                    {
                        double e = yv[i, c] - p[i, c] - b[c];
                        s += e * e;
                    }
                errors[a] += s / p.Data.Length / sets.Count;
            }
        }
        return Result($"k-fold ({folds})", x, y, alphas, errors, fitIntercept);
    }

    /// <summary>The validation rows of each of the <paramref name="folds"/> folds of <see cref="KFold"/> on <paramref name="rows"/> rows (each sorted).</summary>
    /// <exception cref="ArgumentException">K outside 2..rows.</exception>
    public static IReadOnlyList<int[]> Folds(int rows, int folds, int seed)
    {
        if (folds < 2 || folds > rows)
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"K-fold cross-validation needs 2 ≤ K ≤ n = {rows} folds; give e.g. K = {Math.Clamp(5, 2, Math.Max(rows, 2))}.");
        var rng = new Random(seed);
        var perm = Enumerable.Range(0, rows).ToArray();
        for (int i = rows - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        var result = new int[folds][];
        int start = 0;
        for (int f = 0; f < folds; f++)
        {
            int size = rows / folds + (f < rows % folds ? 1 : 0);
            result[f] = perm.AsSpan(start, size).ToArray().Order().ToArray();
            start += size;
        }
        return result;
    }

    private static RidgeSelectionResult Result(string method, Matrix x, Matrix y, IReadOnlyList<double> alphas, double[] errors, bool fitIntercept)
    {
        int best = 0;
        for (int a = 1; a < errors.Length; a++)
            if (errors[a] < errors[best]) best = a;
        var model = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(alphas[best]), FitIntercept = fitIntercept }.Fit(x, y);
        return new RidgeSelectionResult(method, alphas.ToArray(), errors, alphas[best], model);
    }

    private static void Check(Matrix x, Matrix y, IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        Validate.TrainingPair(x, y);
        if (alphas.Count == 0) throw new ArgumentException("Give at least one ridge λ to try (e.g. 0.01, 0.1, 1, 10).", nameof(alphas));
        for (int i = 0; i < alphas.Count; i++)
            if (!(alphas[i] > 0) || !double.IsFinite(alphas[i]))
                throw new ArgumentOutOfRangeException(nameof(alphas), alphas[i], $"Ridge λ number {i + 1} must be a finite number > 0 (λ = 0 is least squares, whose leave-one-out error is undefined when it interpolates).");
    }

    /// <summary>Ridge on one training set through the eigendecomposition of its smaller Gram matrix.</summary>
    private sealed class Solver
    {
        private readonly Matrix _x, _y;           // centred when fitting an intercept
        private readonly double[] _xMean, _yMean;
        private readonly bool _intercept;
        private readonly double[] _values;        // eigenvalues of XᵀX (n > d) or XXᵀ (n ≤ d), clipped at 0
        private readonly Matrix _a;               // n > d: A = X·V (n×d); n ≤ d: U (n×n)
        private readonly Matrix _c;               // Aᵀ·Y (or Uᵀ·Y)
        private readonly Matrix? _v;              // n > d: the eigenvectors V of XᵀX
        private readonly bool _primal;

        public Solver(Matrix x, Matrix y, bool intercept)
        {
            _intercept = intercept;
            _xMean = intercept ? LinearRegression.ColumnMeans(x) : new double[x.Cols];
            _yMean = intercept ? LinearRegression.ColumnMeans(y) : new double[y.Cols];
            _x = intercept ? Matrix.Build(x.Rows, x.Cols, (i, j) => x[i, j] - _xMean[j]) : x;
            _y = intercept ? Matrix.Build(y.Rows, y.Cols, (i, j) => y[i, j] - _yMean[j]) : y;
            _primal = x.Rows > x.Cols;
            if (_primal)
            {
                var eig = SymmetricEigen.Compute(LinearAlgebra.Multiply(_x, _x, Op.Transpose, Op.None));
                _values = eig.Values.Select(v => Math.Max(v, 0)).ToArray();
                _v = eig.Vectors;
                _a = LinearAlgebra.Multiply(_x, _v);
            }
            else
            {
                var eig = SymmetricEigen.Compute(LinearAlgebra.Gram(_x));
                _values = eig.Values.Select(v => Math.Max(v, 0)).ToArray();
                _a = eig.Vectors;
            }
            _c = LinearAlgebra.Multiply(_a, _y, Op.Transpose, Op.None);
        }

        // The spectral filter of the fitted values ŷ = A·diag(φ)·Aᵀy: φ = 1/(λⱼ + λ) for A = XV, λⱼ/(λⱼ + λ) for A = U.
        private double Filter(int j, double lambda) => _primal ? 1 / (_values[j] + lambda) : _values[j] / (_values[j] + lambda);

        public Matrix LeaveOneOut(double lambda)
        {
            int n = _x.Rows, m = _values.Length, k = _y.Cols;
            var scaled = _c.Clone();
            var phi = new double[m];
            for (int j = 0; j < m; j++)
            {
                phi[j] = Filter(j, lambda);
                var row = scaled.Row(j);
                for (int c = 0; c < k; c++) row[c] *= phi[j];
            }
            var fitted = LinearAlgebra.Multiply(_a, scaled);
            var r = new Matrix(n, k);
            for (int i = 0; i < n; i++)
            {
                var ai = _a.Row(i);
                double h = _intercept ? 1.0 / n : 0;
                for (int j = 0; j < m; j++) h += ai[j] * ai[j] * phi[j];
                double denominator = 1 - h;
                for (int c = 0; c < k; c++) r[i, c] = (_y[i, c] - fitted[i, c]) / denominator;
            }
            return r;
        }

        public (Matrix Weights, double[] Intercept) Weights(double lambda)
        {
            int m = _values.Length, k = _y.Cols;
            var scaled = _c.Clone();
            for (int j = 0; j < m; j++)
            {
                double s = 1 / (_values[j] + lambda);
                var row = scaled.Row(j);
                for (int c = 0; c < k; c++) row[c] *= s;
            }
            // n > d: w = V·diag(1/(λⱼ + λ))·(XV)ᵀy; n ≤ d: w = Xᵀ·U·diag(1/(λⱼ + λ))·Uᵀy.
            var w = _primal ? LinearAlgebra.Multiply(_v!, scaled) : LinearAlgebra.Multiply(_x, LinearAlgebra.Multiply(_a, scaled), Op.Transpose, Op.None);
            var b = new double[k];
            if (_intercept)
                for (int c = 0; c < k; c++)
                {
                    double s = _yMean[c];
                    for (int j = 0; j < _x.Cols; j++) s -= _xMean[j] * w[j, c];
                    b[c] = s;
                }
            return (w, b);
        }
    }
}
