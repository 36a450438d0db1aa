using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// A fitted support-vector classifier (docs/SVM.md): the support vectors, their dual coefficients and the intercepts of
/// every binary machine, laid out as scikit-learn's <c>SVC</c> lays out <c>support_</c>, <c>dual_coef_</c> and <c>intercept_</c>
/// (except that the support vectors are in ascending row order, where scikit-learn groups them by class). Immutable.
/// </summary>
public sealed class SupportVectorModel
{
    private readonly int[] _support;
    private readonly Matrix _dual;
    private readonly Matrix _weights;    // nSV × outputs: the decision values are K(x, SV)·W + intercepts
    private readonly double[] _intercepts;
    private readonly int[] _iterations;
    private readonly int[] _present;
    private readonly (int A, int B)[] _pairs;
    private readonly IKernel? _kernel;
    private readonly Matrix? _supportInputs;

    private SupportVectorModel(int classCount, int trainingRows, MultiClassStrategy strategy, int[] present, (int, int)[] pairs, int[] support,
        Matrix dual, Matrix weights, double[] intercepts, int[] iterations, bool converged, IKernel? kernel, Matrix? supportInputs)
    {
        ClassCount = classCount;
        TrainingRows = trainingRows;
        Strategy = strategy;
        _present = present;
        _pairs = pairs;
        _support = support;
        _dual = dual;
        _weights = weights;
        _intercepts = intercepts;
        _iterations = iterations;
        Converged = converged;
        _kernel = kernel;
        _supportInputs = supportInputs;
    }

    /// <summary>k, the class count given to the fit (classes absent from training are never predicted).</summary>
    public int ClassCount { get; }

    /// <summary>The classes with training rows, ascending (scikit-learn's <c>classes_</c>).</summary>
    public IReadOnlyList<int> PresentClasses => _present;

    /// <summary>The number of training rows n (the columns a test-train kernel must have).</summary>
    public int TrainingRows { get; }

    /// <summary>How the classes were split into binary machines.</summary>
    public MultiClassStrategy Strategy { get; }

    /// <summary>The training rows that are support vectors (α &gt; 0) of some binary machine, ascending (0-based).</summary>
    public IReadOnlyList<int> SupportIndices => _support;

    /// <summary>
    /// The dual coefficients y_i·α_i, one column per support vector (in <see cref="SupportIndices"/> order), a copy.
    /// One-vs-one: (k_present − 1) × nSV as scikit-learn's <c>dual_coef_</c> (for the machine of classes a &lt; b, with ranks
    /// r_a &lt; r_b among the present classes, the coefficients of a's rows are in row r_b − 1 and those of b's rows in row r_a;
    /// with two classes the sign is flipped, so that a positive decision value means the higher class, as scikit-learn's).
    /// One-vs-rest: k × nSV, row c for the machine of class c against the rest (zeros for an absent class).
    /// </summary>
    public Matrix DualCoefficients => _dual.Clone();

    /// <summary>
    /// The intercept of each machine (scikit-learn's <c>intercept_</c>, −ρ; ρ with two classes): one-vs-one in the pair order
    /// (0,1), (0,2), …, (1,2), … over the present classes; one-vs-rest one per class, −∞ for a class absent from training.
    /// </summary>
    public IReadOnlyList<double> Intercepts => _intercepts;

    /// <summary>The pairs of classes of the one-vs-one machines, in the order of <see cref="Intercepts"/> (empty for one-vs-rest).</summary>
    public IReadOnlyList<(int A, int B)> Pairs => _pairs;

    /// <summary>SMO steps taken by each binary machine, in the order of <see cref="Intercepts"/>.</summary>
    public IReadOnlyList<int> Iterations => _iterations;

    /// <summary>True when every binary machine met the tolerance; false when <see cref="SupportVectorClassifier.MaxIterations"/> stopped one.</summary>
    public bool Converged { get; }

    /// <summary>The kernel, when the model was fitted with <see cref="SupportVectorClassifier.Fit"/> (null for a precomputed kernel).</summary>
    public IKernel? Kernel => _kernel;

    /// <summary>
    /// Decision values from a precomputed test-train kernel (n_test × n over every training row): one-vs-one n_test × pairs
    /// (scikit-learn's <c>decision_function_shape='ovo'</c>; positive favours the pair's first class, except with two classes:
    /// n_test × 1, positive for the higher class, as scikit-learn's); one-vs-rest n_test × k (−∞ for an absent class).
    /// </summary>
    /// <exception cref="ArgumentException">The kernel has the wrong number of columns or is not finite.</exception>
    public Matrix DecisionValuesFromKernel(Matrix testTrainKernel)
    {
        ArgumentNullException.ThrowIfNull(testTrainKernel);
        if (testTrainKernel.Cols != TrainingRows)
            throw new ArgumentException($"The test-train kernel matrix is {testTrainKernel.Shape}; it needs {TrainingRows} columns, one per training row (K(X_test, X_train)).", nameof(testTrainKernel));
        SupportVectorClassifier.CheckFinite(testTrainKernel, "test-train kernel matrix");
        var values = LinearAlgebra.Multiply(testTrainKernel.SelectColumns(_support), _weights);
        AddIntercepts(values);
        return values;
    }

    /// <summary>Predicted classes from a precomputed test-train kernel (n_test × n): one-vs-one by votes, a tie going to the lowest
    /// class (libsvm); one-vs-rest by the largest decision value.</summary>
    /// <exception cref="ArgumentException">The kernel has the wrong number of columns or is not finite.</exception>
    public int[] PredictFromKernel(Matrix testTrainKernel) => Classes(DecisionValuesFromKernel(testTrainKernel));

    /// <summary>Decision values (as <see cref="DecisionValuesFromKernel"/>) of the inputs <paramref name="x"/>, computing only
    /// K(x, support vectors), in blocks of test rows. Only for a model fitted with <see cref="SupportVectorClassifier.Fit"/>.</summary>
    /// <exception cref="InvalidOperationException">The model was fitted on a precomputed kernel.</exception>
    /// <exception cref="ArgumentException">The inputs have the wrong number of features or are not finite.</exception>
    public Matrix DecisionValues(Matrix x, ComputeOptions? options = null)
    {
        if (_kernel is null || _supportInputs is null)
            throw new InvalidOperationException("This model was fitted on a precomputed kernel, so it has no kernel to evaluate on new inputs; use DecisionValuesFromKernel with K(X_test, X_train), or fit with SupportVectorClassifier.Fit(kernel, x, …).");
        Validate.TestInputs(x, _supportInputs.Cols);
        var values = _support.Length == 0
            ? new Matrix(x.Rows, _weights.Cols)
            : KernelTiles.MultiplyTestTrain(_kernel, x, _supportInputs, _weights, options ?? ComputeOptions.Default);
        AddIntercepts(values);
        return values;
    }

    /// <summary>Predicted classes of the inputs <paramref name="x"/> (as <see cref="PredictFromKernel"/>).</summary>
    /// <exception cref="InvalidOperationException">The model was fitted on a precomputed kernel.</exception>
    /// <exception cref="ArgumentException">The inputs have the wrong number of features or are not finite.</exception>
    public int[] Predict(Matrix x, ComputeOptions? options = null) => Classes(DecisionValues(x, options));

    /// <summary>The weights W (nSV × outputs, <see cref="SupportIndices"/> order): the decision values are K(x, SV)·W + intercepts.
    /// Not a copy; for <see cref="TabularModel"/>, which keeps the support vectors' inputs and saves the model.</summary>
    internal Matrix Weights => _weights;

    /// <summary>Decision values (as <see cref="DecisionValuesFromKernel"/>) from the kernel between test inputs and the support
    /// vectors only (n_test × nSV, in <see cref="SupportIndices"/> order): what a model that keeps only the support vectors'
    /// inputs computes (<see cref="TabularModel"/>).</summary>
    /// <exception cref="ArgumentException">The kernel does not have one column per support vector, or is not finite.</exception>
    internal Matrix DecisionValuesFromSupportKernel(Matrix supportKernel, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(supportKernel);
        if (supportKernel.Cols != _support.Length)
            throw new ArgumentException($"The test-support kernel matrix is {supportKernel.Shape}; it needs {_support.Length} columns, one per support vector.", nameof(supportKernel));
        SupportVectorClassifier.CheckFinite(supportKernel, "test-support kernel matrix");
        var values = _support.Length == 0 ? new Matrix(supportKernel.Rows, _weights.Cols) : LinearAlgebra.Multiply(supportKernel, _weights, provider: provider);
        AddIntercepts(values);
        return values;
    }

    /// <summary>The classes of decision values (n_test × outputs, as <see cref="DecisionValuesFromKernel"/> returns them).</summary>
    internal int[] ClassesOf(Matrix decisionValues) => Classes(decisionValues);

    /// <summary>
    /// A model from its parts, as <see cref="TabularModel"/> saved them (the support vectors' inputs are not part of it: it
    /// predicts from kernels). The shapes are checked against each other.
    /// </summary>
    /// <exception cref="ArgumentException">The parts disagree (counts, shapes, class indices).</exception>
    internal static SupportVectorModel Restore(int classCount, int trainingRows, MultiClassStrategy strategy, int[] present, (int A, int B)[] pairs,
        int[] support, Matrix dual, Matrix weights, double[] intercepts, int[] iterations, bool converged)
    {
        bool ovo = strategy == MultiClassStrategy.OneVsOne;
        int outputs = ovo ? pairs.Length : classCount;
        bool classesOk = classCount >= 2 && present.Length >= 2 && present.All(c => (uint)c < (uint)classCount)
            && pairs.All(p => (uint)p.A < (uint)classCount && (uint)p.B < (uint)classCount);
        if (!classesOk || (ovo && pairs.Length != present.Length * (present.Length - 1) / 2) || support.Any(i => (uint)i >= (uint)trainingRows)
            || weights.Rows != support.Length || weights.Cols != outputs || intercepts.Length != outputs || iterations.Length != (ovo ? pairs.Length : present.Length)
            || dual.Cols != support.Length || dual.Rows != (ovo ? present.Length - 1 : classCount))
            throw new ArgumentException($"The SVM's parts disagree: {classCount} classes ({present.Length} present), {pairs.Length} pairs, {support.Length} support vectors of {trainingRows} rows, " +
                $"weights {weights.Shape}, dual coefficients {dual.Shape}, {intercepts.Length} intercepts, {iterations.Length} iteration counts.");
        return new SupportVectorModel(classCount, trainingRows, strategy, present, pairs, support, dual, weights, intercepts, iterations, converged, null, null);
    }

    private void AddIntercepts(Matrix values)
    {
        for (int r = 0; r < values.Rows; r++)
        {
            var row = values.Row(r);
            for (int p = 0; p < row.Length; p++) row[p] += _intercepts[p];
        }
    }

    private int[] Classes(Matrix decision)
    {
        var result = new int[decision.Rows];
        if (Strategy == MultiClassStrategy.OneVsRest)
        {
            for (int r = 0; r < decision.Rows; r++)
            {
                int best = _present[0];
                foreach (int c in _present)
                    if (decision[r, c] > decision[r, best]) best = c;
                result[r] = best;
            }
            return result;
        }
        // libsvm's sign: positive for the pair's first class (scikit-learn flips the binary case).
        double sign = _pairs.Length == 1 ? -1 : 1;
        var votes = new int[ClassCount];
        for (int r = 0; r < decision.Rows; r++)
        {
            Array.Clear(votes);
            for (int p = 0; p < _pairs.Length; p++)
                votes[sign * decision[r, p] > 0 ? _pairs[p].A : _pairs[p].B]++;
            int best = _present[0];
            foreach (int c in _present)
                if (votes[c] > votes[best]) best = c;
            result[r] = best;
        }
        return result;
    }

    internal static SupportVectorModel Create(SupportVectorClassifier.FitPlan plan, SmoResult[] results, IKernel? kernel, Matrix? x)
    {
        var problems = plan.Problems;
        var isSupport = new bool[plan.Rows];
        for (int p = 0; p < problems.Length; p++)
            for (int t = 0; t < problems[p].Map.Length; t++)
                if (results[p].Alpha[t] > 0) isSupport[problems[p].Map[t]] = true;
        var support = Enumerable.Range(0, plan.Rows).Where(i => isSupport[i]).ToArray();
        var position = new int[plan.Rows];
        for (int s = 0; s < support.Length; s++) position[support[s]] = s;
        int kp = plan.Present.Length;
        var rank = new int[plan.ClassCount];
        for (int r = 0; r < kp; r++) rank[plan.Present[r]] = r;
        bool ovo = plan.Strategy == MultiClassStrategy.OneVsOne;
        bool binary = ovo && kp == 2;
        int outputs = ovo ? problems.Length : plan.ClassCount;
        var weights = new Matrix(support.Length, outputs);
        var dual = new Matrix(ovo ? kp - 1 : plan.ClassCount, support.Length);
        var intercepts = new double[outputs];
        if (!ovo) Array.Fill(intercepts, double.NegativeInfinity);
        double flip = binary ? -1 : 1;
        for (int p = 0; p < problems.Length; p++)
        {
            var sub = problems[p];
            int column = ovo ? p : sub.Positive;
            intercepts[column] = -flip * results[p].Rho;
            for (int t = 0; t < sub.Map.Length; t++)
            {
                double alpha = results[p].Alpha[t];
                if (alpha <= 0) continue;
                int s = position[sub.Map[t]];
                double coefficient = flip * sub.Y[t] * alpha;
                weights[s, column] = coefficient;
                int row = !ovo ? sub.Positive : sub.Y[t] > 0 ? rank[sub.Negative] - 1 : rank[sub.Positive];
                dual[row, s] = coefficient;
            }
        }
        var pairs = ovo ? problems.Select(q => (q.Positive, q.Negative)).ToArray() : [];
        return new SupportVectorModel(plan.ClassCount, plan.Rows, plan.Strategy, plan.Present, pairs, support, dual, weights, intercepts,
            [.. results.Select(r => r.Iterations)], results.All(r => r.Converged), kernel, x?.SelectRows(support));
    }
}
