using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>The outputs of one network (linearized, or infinitely wide) at one training time.</summary>
/// <param name="Time">The training time t (steps of gradient descent; +∞ at convergence).</param>
/// <param name="Tau">τ = η·t/N.</param>
/// <param name="TrainOutputs">f(X) at t, n×k.</param>
/// <param name="TestOutputs">f(X*) at t, n*×k, when a test-train NTK was given; else null.</param>
/// <param name="TrainLoss">L = 1/(2N)·Σ(f(X) − Y)² at t.</param>
public sealed record GradientDescentSnapshot(double Time, double Tau, Matrix TrainOutputs, Matrix? TestOutputs, double TrainLoss);

/// <summary>
/// Gradient descent (gradient flow) on L = 1/(2N)·Σ(f − y)² in the kernel regime, for one network
/// with given initial outputs f₀ (docs/MATH.md §4; Lee et al. 2019 eqs. 9-10; Neural Tangents'
/// <c>predict.gradient_descent_mse</c>). With τ = η·t/N and E_τ = e^{−(Θ + λI)τ}:
/// f_τ(X) = Y + E_τ·(f₀(X) − Y),  f_τ(X*) = f₀(X*) + Θ*ₓ·(Θ + λI)⁻¹(I − E_τ)·(Y − f₀(X)).
/// One eigendecomposition of Θ + λI (on the first finite time) serves every later time.
/// </summary>
public sealed class GradientDescentMse
{
    private readonly KernelFlow _flow;
    private readonly Matrix _y;

    /// <summary>Prepares the dynamics for a train-train NTK and targets.</summary>
    /// <param name="ntkTrainTrain">Θ(X, X), n×n.</param>
    /// <param name="yTrain">The n×k training targets.</param>
    /// <param name="options">Learning rate, ridge, solver; null: the defaults.</param>
    /// <exception cref="ArgumentException">A shape disagrees or a value is not finite.</exception>
    public GradientDescentMse(Matrix ntkTrainTrain, Matrix yTrain, DynamicsOptions? options = null)
    {
        Shapes.RequireKernel(ntkTrainTrain, nameof(ntkTrainTrain));
        Shapes.RequireRows(yTrain, ntkTrainTrain.Rows, nameof(yTrain), "training targets, one row per training input");
        _flow = new KernelFlow(ntkTrainTrain, yTrain.Rows * yTrain.Cols, options ?? DynamicsOptions.Default, "train-train NTK");
        _y = yTrain.Clone();
    }

    /// <summary>n, the number of training inputs.</summary>
    public int TrainCount => _flow.Order;

    /// <summary>2N/λ_max(Θ + λI) (computes the eigendecomposition).</summary>
    public double MaxLearningRate => _flow.MaxLearningRate;

    /// <summary>τ = η·t/N.</summary>
    public double Tau(double t) => _flow.Tau(t);

    /// <summary>The outputs at time <paramref name="t"/>.</summary>
    /// <param name="t">Training time (≥ 0, or +∞).</param>
    /// <param name="initialTrainOutputs">f₀(X), n×k (null: zeros, the ensemble mean).</param>
    /// <param name="ntkTestTrain">Θ(X*, X), n*×n, for test outputs (null: train outputs only).</param>
    /// <param name="initialTestOutputs">f₀(X*), n*×k (null: zeros).</param>
    /// <exception cref="ArgumentException">A shape disagrees, or the learning rate is above 2N/λ_max.</exception>
    public GradientDescentSnapshot Predict(double t, Matrix? initialTrainOutputs = null, Matrix? ntkTestTrain = null, Matrix? initialTestOutputs = null)
        => Trajectory([t], initialTrainOutputs, ntkTestTrain, initialTestOutputs)[0];

    /// <summary>The outputs at many times, sharing the work that does not depend on t.</summary>
    /// <param name="times">Training times (each ≥ 0, or +∞).</param>
    /// <param name="initialTrainOutputs">f₀(X), n×k (null: zeros, the ensemble mean).</param>
    /// <param name="ntkTestTrain">Θ(X*, X), n*×n, for test outputs (null: train outputs only).</param>
    /// <param name="initialTestOutputs">f₀(X*), n*×k (null: zeros).</param>
    /// <exception cref="ArgumentException">A shape disagrees, or the learning rate is above 2N/λ_max.</exception>
    public IReadOnlyList<GradientDescentSnapshot> Trajectory(IReadOnlyList<double> times, Matrix? initialTrainOutputs = null,
        Matrix? ntkTestTrain = null, Matrix? initialTestOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(times);
        foreach (double t in times) Shapes.RequireTime(t);
        int n = _flow.Order, k = _y.Cols;
        if (initialTrainOutputs is not null) Shapes.Require(initialTrainOutputs, n, k, nameof(initialTrainOutputs), "initial train outputs f₀(X), shaped like Y_train");
        int m = 0;
        if (ntkTestTrain is not null)
        {
            m = ntkTestTrain.Rows;
            Shapes.Require(ntkTestTrain, m, n, nameof(ntkTestTrain), $"test-train NTK Θ(X*, X), n*×{n}");
            if (initialTestOutputs is not null) Shapes.Require(initialTestOutputs, m, k, nameof(initialTestOutputs), "initial test outputs f₀(X*), n*×k");
        }
        else if (initialTestOutputs is not null)
            throw new ArgumentException("Initial test outputs were given without the test-train NTK Θ(X*, X); pass ntkTestTrain too.", nameof(initialTestOutputs));

        var p = _flow.Provider;
        var residual = initialTrainOutputs is null ? _y.Clone() : DenseOps.AddScaled(_y, -1, initialTrainOutputs); // Y − f₀
        var results = new GradientDescentSnapshot[times.Count];
        bool finite = times.Any(t => !double.IsPositiveInfinity(t));
        bool exactInfinity = !_flow.UsesPseudoInverseAtInfinity;
        Matrix? rv = null, testV = null;
        if (finite) _flow.RequireStableLearningRate();
        if (finite || !exactInfinity)
        {
            var v = _flow.Eigen.Vectors;
            rv = DenseOps.Mul(v, residual, p, Op.Transpose);
            if (ntkTestTrain is not null) testV = DenseOps.Mul(ntkTestTrain, v, p);
        }
        Matrix? testAtInfinity = null;
        for (int q = 0; q < times.Count; q++)
        {
            double t = times[q], tau = _flow.Tau(t);
            Matrix train;
            Matrix? test = null;
            if (double.IsPositiveInfinity(t) && exactInfinity)
            {
                train = _y.Clone(); // E_∞ = 0 for a positive-definite kernel
                if (ntkTestTrain is not null)
                {
                    testAtInfinity ??= DenseOps.Mul(ntkTestTrain, _flow.SolveAtInfinity(residual), p);
                    test = testAtInfinity.Clone();
                }
            }
            else
            {
                var e = _flow.Decay(tau);
                train = DenseOps.AddScaled(_y, -1, DenseOps.Mul(_flow.Eigen.Vectors, DenseOps.ScaleRows(rv!, e), p)); // Y − E_τ(Y − f₀)
                if (testV is not null) test = DenseOps.Mul(testV, DenseOps.ScaleRows(rv!, _flow.Growth(tau)), p);
            }
            if (test is not null && initialTestOutputs is not null)
                for (int i = 0; i < test.Data.Length; i++) test.Data[i] += initialTestOutputs.Data[i];
            results[q] = new GradientDescentSnapshot(t, tau, train, test, MseLoss(train, _y));
        }
        return results;
    }

    /// <summary>L = 1/(2N)·Σ(f − y)² with N the number of entries (docs/MATH.md §4).</summary>
    public static double MseLoss(Matrix outputs, Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        Shapes.Require(outputs, targets.Rows, targets.Cols, nameof(outputs), "outputs, shaped like the targets");
        double s = 0;
        for (int i = 0; i < outputs.Data.Length; i++) { double d = outputs.Data[i] - targets.Data[i]; s += d * d; }
        return outputs.Data.Length == 0 ? 0 : s / (2.0 * outputs.Data.Length);
    }
}
