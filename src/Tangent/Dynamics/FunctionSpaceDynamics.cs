using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>The training loss whose gradient flow <see cref="FunctionSpaceDynamics"/> integrates.</summary>
public enum Loss
{
    /// <summary>L = 1/(2N)·Σ(f − y)², N = n·k entries (docs/MATH.md §4); ∇_f L = (f − y)/N.</summary>
    MeanSquaredError,
    /// <summary>L = −(1/N)·Σᵢ Σ_c y_ic·log softmax(fᵢ)_c, N = n·k entries: the mean over all entries,
    /// as in Neural Tangents' examples (<c>-np.mean(log_softmax(fx) * y)</c>), so that η has the same
    /// scale as for the MSE. ∇_{fᵢ} L = (softmax(fᵢ)·Σ_c y_ic − yᵢ)/N. The finite networks'
    /// finite networks train with this same enum and function. Multiply η by k to get the
    /// per-sample-mean convention 1/n.</summary>
    SoftmaxCrossEntropy,
}

/// <summary>Accuracy and effort settings of the adaptive ODE solver.</summary>
public sealed record OdeOptions
{
    /// <summary>Relative tolerance per component.</summary>
    public double RelativeTolerance { get; init; } = 1e-8;

    /// <summary>Absolute tolerance per component.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-10;

    /// <summary>Most steps (accepted + rejected) before giving up with an explanation.</summary>
    public int MaxSteps { get; init; } = 200_000;
}

/// <summary>The outputs along a solved trajectory, with the solver's effort.</summary>
/// <param name="Snapshots">One per requested time, in order.</param>
/// <param name="AcceptedSteps">Steps the solver accepted.</param>
/// <param name="RejectedSteps">Steps rejected by the error control.</param>
/// <param name="Evaluations">Evaluations of the loss gradient (each one n×n×k product with Θ).</param>
public sealed record FunctionSpaceTrajectory(IReadOnlyList<GradientDescentSnapshot> Snapshots, int AcceptedSteps, int RejectedSteps, int Evaluations);

/// <summary>
/// Gradient flow of any loss in function space, in the kernel regime: df(X)/dt = −η·Θ·∇_f L(f(X), Y)
/// and df(X*)/dt = −η·Θ*ₓ·∇_f L (Lee et al. 2019 eq. 6; Neural Tangents' <c>predict.gradient_descent</c>),
/// integrated by the adaptive Dormand-Prince 5(4) method. The test outputs follow from the integral
/// z(t) = ∫₀ᵗ ∇_f L ds carried along with f: f(X*) = f₀(X*) − η·Θ*ₓ·z(t), so a step costs products
/// with Θ only. For the MSE the result equals <see cref="GradientDescentMse"/> (which is exact and faster).
/// </summary>
/// <remarks>Gradient flow is stable for any η &gt; 0, so no learning-rate bound applies; the explicit
/// solver's step is however limited to about 3.3·N/(η·λ_max(Θ)), which makes long horizons costly.</remarks>
public sealed class FunctionSpaceDynamics
{
    private readonly Matrix _theta;
    private readonly Matrix _y;
    private readonly ILinearAlgebraProvider _provider;

    /// <summary>Prepares the flow for a train-train NTK, targets and a loss.</summary>
    /// <param name="ntkTrainTrain">Θ(X, X), n×n.</param>
    /// <param name="yTrain">The n×k targets (for cross-entropy: one-hot or probability rows).</param>
    /// <param name="loss">The loss.</param>
    /// <param name="options">Learning rate and ridge (added to Θ); null: the defaults.</param>
    /// <param name="ode">Solver tolerances; null: the defaults.</param>
    /// <exception cref="ArgumentException">A shape disagrees or a value is not finite.</exception>
    public FunctionSpaceDynamics(Matrix ntkTrainTrain, Matrix yTrain, Loss loss, DynamicsOptions? options = null, OdeOptions? ode = null)
    {
        Shapes.RequireKernel(ntkTrainTrain, nameof(ntkTrainTrain));
        Shapes.RequireRows(yTrain, ntkTrainTrain.Rows, nameof(yTrain), "training targets, one row per training input");
        Options = options ?? DynamicsOptions.Default;
        Ode = ode ?? new OdeOptions();
        if (!(Options.LearningRate > 0) || !double.IsFinite(Options.LearningRate))
            throw new ArgumentOutOfRangeException(nameof(options), Options.LearningRate, "The learning rate must be a finite number > 0.");
        if (!(Ode.RelativeTolerance > 0) || !(Ode.AbsoluteTolerance > 0) || Ode.MaxSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(ode), "Tolerances must be > 0 (e.g. 1e-8 and 1e-10) and MaxSteps > 0.");
        Loss = loss;
        _provider = Options.Provider ?? LinearAlgebra.Provider;
        _theta = ntkTrainTrain.Clone();
        double lambda = Options.Ridge.ValueFor(_theta);
        _theta.AddToDiagonal(lambda);
        _y = yTrain.Clone();
    }

    /// <summary>The loss.</summary>
    public Loss Loss { get; }

    /// <summary>Learning rate and ridge.</summary>
    public DynamicsOptions Options { get; }

    /// <summary>Solver settings.</summary>
    public OdeOptions Ode { get; }

    /// <summary>Solves the flow and reports the outputs at each time.</summary>
    /// <param name="times">Ascending finite times ≥ 0 (steps of gradient descent).</param>
    /// <param name="initialTrainOutputs">f₀(X), n×k (null: zeros).</param>
    /// <param name="ntkTestTrain">Θ(X*, X), n*×n, for test outputs (null: none).</param>
    /// <param name="initialTestOutputs">f₀(X*), n*×k (null: zeros).</param>
    /// <param name="cancellationToken">Stops the solver between steps.</param>
    /// <exception cref="ArgumentException">Times are not ascending and finite, or a shape disagrees.</exception>
    /// <exception cref="InvalidOperationException">More than <see cref="OdeOptions.MaxSteps"/> steps were needed.</exception>
    public FunctionSpaceTrajectory Solve(IReadOnlyList<double> times, Matrix? initialTrainOutputs = null, Matrix? ntkTestTrain = null,
        Matrix? initialTestOutputs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(times);
        for (int q = 0; q < times.Count; q++)
        {
            if (!double.IsFinite(times[q]) || times[q] < 0)
                throw new ArgumentException($"Time {q} is {times[q]}; the ODE solver needs finite times ≥ 0 (for t = ∞ with the MSE use GradientDescentMse).", nameof(times));
            if (q > 0 && times[q] < times[q - 1])
                throw new ArgumentException($"Times must be ascending: time {q} ({times[q]}) is before time {q - 1} ({times[q - 1]}).", nameof(times));
        }
        int n = _y.Rows, k = _y.Cols, nk = n * k;
        if (initialTrainOutputs is not null) Shapes.Require(initialTrainOutputs, n, k, nameof(initialTrainOutputs), "initial train outputs f₀(X), shaped like Y_train");
        if (ntkTestTrain is not null)
        {
            Shapes.Require(ntkTestTrain, ntkTestTrain.Rows, n, nameof(ntkTestTrain), $"test-train NTK Θ(X*, X), n*×{n}");
            if (initialTestOutputs is not null) Shapes.Require(initialTestOutputs, ntkTestTrain.Rows, k, nameof(initialTestOutputs), "initial test outputs f₀(X*), n*×k");
        }
        else if (initialTestOutputs is not null)
            throw new ArgumentException("Initial test outputs were given without the test-train NTK Θ(X*, X); pass ntkTestTrain too.", nameof(initialTestOutputs));

        double eta = Options.LearningRate;
        // State: [f (n×k, row-major), z (n×k)] with f' = −η·Θ·∇L(f), z' = ∇L(f).
        var state = new double[2 * nk];
        initialTrainOutputs?.Data.CopyTo(state, 0);
        var grad = new Matrix(n, k);
        var thetaGrad = new double[nk];
        void Derivative(double t, double[] y, double[] dy)
        {
            Gradient(Loss, y.AsSpan(0, nk), _y.Data, k, grad.Data);
            _provider.Gemm(Op.None, Op.None, n, k, n, -eta, _theta.Data, Math.Max(n, 1), grad.Data, Math.Max(k, 1), 0.0, thetaGrad, Math.Max(k, 1));
            thetaGrad.CopyTo(dy, 0);
            grad.Data.CopyTo(dy, nk);
        }

        var snapshots = new GradientDescentSnapshot[times.Count];
        var stats = DormandPrince.Integrate(Derivative, state, times, (q, y) =>
        {
            var f = new Matrix(n, k, y.AsSpan(0, nk).ToArray());
            Matrix? test = null;
            if (ntkTestTrain is not null)
            {
                var z = new Matrix(n, k, y.AsSpan(nk, nk).ToArray());
                test = LinearAlgebra.Multiply(ntkTestTrain, z, provider: _provider);
                for (int i = 0; i < test.Data.Length; i++)
                    test.Data[i] = (initialTestOutputs?.Data[i] ?? 0) - eta * test.Data[i];
            }
            snapshots[q] = new GradientDescentSnapshot(times[q], eta * times[q] / nk, f, test, Value(Loss, f, _y));
        }, Ode.RelativeTolerance, Ode.AbsoluteTolerance, Ode.MaxSteps, cancellationToken);
        return new FunctionSpaceTrajectory(snapshots, stats.Accepted, stats.Rejected, stats.Evaluations);
    }

    /// <summary>The loss value L(f, Y) with the normalisation of <see cref="Loss"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static double Value(Loss loss, Matrix outputs, Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        Shapes.Require(outputs, targets.Rows, targets.Cols, nameof(outputs), "outputs, shaped like the targets");
        if (loss == Loss.MeanSquaredError) return GradientDescentMse.MseLoss(outputs, targets);
        int n = outputs.Rows, k = outputs.Cols;
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            var f = outputs.Row(i);
            var y = targets.Row(i);
            double lse = LogSumExp(f);
            for (int c = 0; c < k; c++) s -= y[c] * (f[c] - lse);
        }
        return n * k == 0 ? 0 : s / (n * k);
    }

    /// <summary>∇_f L(f, Y) with the normalisation of <see cref="Loss"/> (a new matrix).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Matrix Gradient(Loss loss, Matrix outputs, Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        Shapes.Require(outputs, targets.Rows, targets.Cols, nameof(outputs), "outputs, shaped like the targets");
        var g = new Matrix(outputs.Rows, outputs.Cols);
        Gradient(loss, outputs.Data, targets.Data, outputs.Cols, g.Data);
        return g;
    }

    private static void Gradient(Loss loss, ReadOnlySpan<double> f, ReadOnlySpan<double> y, int k, Span<double> g)
    {
        int nk = f.Length;
        double inv = nk == 0 ? 0 : 1.0 / nk;
        if (loss == Loss.MeanSquaredError)
        {
            for (int i = 0; i < nk; i++) g[i] = (f[i] - y[i]) * inv;
            return;
        }
        for (int r = 0; r < nk; r += k)
        {
            var fr = f.Slice(r, k);
            double lse = LogSumExp(fr), ysum = 0;
            for (int c = 0; c < k; c++) ysum += y[r + c];
            for (int c = 0; c < k; c++) g[r + c] = (Math.Exp(fr[c] - lse) * ysum - y[r + c]) * inv;
        }
    }

    private static double LogSumExp(ReadOnlySpan<double> f)
    {
        double max = double.NegativeInfinity;
        foreach (double v in f) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max)) return max;
        double s = 0;
        foreach (double v in f) s += Math.Exp(v - max);
        return max + Math.Log(s);
    }
}
