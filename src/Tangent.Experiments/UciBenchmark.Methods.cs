using System.Globalization;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>The blocks of one kernel that one fit needs, sliced from the kernel of all of a data set's rows.</summary>
/// <param name="TrainKernel">K(train, train), n_train × n_train.</param>
/// <param name="TrainLabels">The training classes, 0..k−1.</param>
/// <param name="ClassCount">k.</param>
/// <param name="TestTrainKernel">K(test, train), n_test × n_train.</param>
public sealed record UciFit(Matrix TrainKernel, int[] TrainLabels, int ClassCount, Matrix TestTrainKernel);

/// <summary>
/// A classifier on a precomputed kernel: fits on <see cref="UciFit.TrainKernel"/> once per value of
/// <paramref name="regularization"/> (SVM C, ridge, …) and returns, per value, the predicted class of every test row.
/// </summary>
/// <param name="fit">The kernel blocks and labels.</param>
/// <param name="regularization">The values to fit with, in grid order.</param>
/// <param name="parallel">True to fit the values in parallel (the benchmark's grid-point parallelism).</param>
/// <param name="cancellationToken">Stops between fits.</param>
public delegate int[][] UciClassifier(UciFit fit, IReadOnlyList<double> regularization, bool parallel, CancellationToken cancellationToken);

/// <summary>One kernel of a method's grid.</summary>
/// <param name="Key">Identifies the kernel across methods: methods that list the same key share one computation per data set.</param>
/// <param name="Label">The kernel's hyperparameters as written in reports, e.g. <c>dep=2 fix=1</c>.</param>
/// <param name="Compute">The kernel matrix of all rows of a data set (n×n).</param>
public sealed record UciKernel(string Key, string Label, Func<Matrix, ComputeOptions, Matrix> Compute);

/// <summary>
/// A method of the UCI benchmark: a grid of kernels, a grid of a regularisation parameter and a classifier.
/// Selection scans the grid in the order (kernel, regularisation) as listed; a point wins only with a strictly
/// higher validation accuracy, so ties go to the first (Arora et al.'s code).
/// </summary>
/// <param name="Name">The command-line name, e.g. <c>ntk-svm</c>.</param>
/// <param name="Title">The name in reports, e.g. <c>NTK-SVM</c>.</param>
/// <param name="Kernels">The kernel grid, in selection order.</param>
/// <param name="RegularizationName">The regularisation's name in labels, e.g. <c>C</c>.</param>
/// <param name="Regularization">The regularisation grid, in selection order.</param>
/// <param name="Classifier">Fits and predicts.</param>
public sealed record UciMethod(string Name, string Title, IReadOnlyList<UciKernel> Kernels, string RegularizationName,
    IReadOnlyList<double> Regularization, UciClassifier Classifier)
{
    /// <summary>The grid in words; stored with each result so that a rerun with another grid recomputes instead of resuming.</summary>
    public string Grid => $"kernels {string.Join(", ", Kernels.Select(k => k.Key))}; {RegularizationName} {string.Join(", ", Regularization.Select(UciMethods.Format))}";

    /// <summary>The label of one grid point, e.g. <c>dep=2 fix=1 C=10</c>.</summary>
    public string Label(int kernel, int regularization) =>
        $"{Kernels[kernel].Label} {RegularizationName}={UciMethods.Format(Regularization[regularization])}".Trim();
}

/// <summary>
/// The methods of the UCI benchmark (docs/UCI.md) and their kernels. The neural kernels are those of a fully
/// connected ReLU network without bias, σw = 1: <c>dense(w=1)</c> followed by dep × <c>relu dense(w=1)</c>
/// (dep hidden layers, dep = 0 the linear kernel), multiplied by the input dimension d so that the first layer's
/// kernel is X·Xᵀ as in Arora et al. 2020 (the library's dense layer divides the input Gram by d, docs/MATH.md §2);
/// the scale matters because the SVM's C grid is the same for every data set.
/// </summary>
public static class UciMethods
{
    /// <summary>The published C grid: 10⁻², 10⁻¹, …, 10⁴.</summary>
    public static IReadOnlyList<double> CGrid { get; } = [0.01, 0.1, 1, 10, 100, 1000, 10000];

    /// <summary>The depths (hidden layers) of the published grid: 0..4.</summary>
    public const int MaxDepth = 4;

    /// <summary>The Gaussian kernel's γ grid: 2⁻¹⁵, 2⁻¹³, …, 2³ (the grid of LibSVM's guide, as Delgado's svm_C).</summary>
    public static IReadOnlyList<double> GammaGrid { get; } = Enumerable.Range(0, 10).Select(i => Math.Pow(2, -15 + 2 * i)).ToArray();

    /// <summary>The ridge grid of NTK kernel regression, relative to the mean diagonal of the training kernel: 10⁻⁶, …, 10⁰.</summary>
    public static IReadOnlyList<double> RelativeRidgeGrid { get; } = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

    /// <summary>The method names, in report order (the default of <c>tangent benchmark uci --methods</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["ntk-svm", "nngp-svm", "gaussian-svm", "ntk-krr"];

    /// <summary>The NTK grid (dep, fix) in selection order: dep = 0..<paramref name="maxDepth"/>, fix = 0..dep (the first fix layers frozen).</summary>
    /// <param name="maxDepth">The deepest dep.</param>
    /// <param name="frozen">False: only fix = 0 (every layer trained).</param>
    public static IReadOnlyList<UciKernel> NtkKernels(int maxDepth = MaxDepth, bool frozen = true)
    {
        var list = new List<UciKernel>();
        for (int dep = 0; dep <= maxDepth; dep++)
            for (int fix = 0; fix <= (frozen ? dep : 0); fix++)
            {
                int d0 = dep, f0 = fix;
                list.Add(new UciKernel($"ntk dep={dep} fix={fix}", $"dep={dep} fix={fix}", (x, o) => Neural(x, d0, f0, KernelOutputs.Ntk, o)));
            }
        return list;
    }

    /// <summary>The NNGP grid in selection order: dep = 0..<paramref name="maxDepth"/>.</summary>
    public static IReadOnlyList<UciKernel> NngpKernels(int maxDepth = MaxDepth) =>
        Enumerable.Range(0, maxDepth + 1).Select(dep => new UciKernel($"nngp dep={dep}", $"dep={dep}", (x, o) => Neural(x, dep, 0, KernelOutputs.Nngp, o))).ToArray();

    /// <summary>The Gaussian kernels exp(−γ‖x − x'‖²) for the γ of <paramref name="gammas"/>, in that order.</summary>
    public static IReadOnlyList<UciKernel> GaussianKernels(IReadOnlyList<double>? gammas = null) =>
        (gammas ?? GammaGrid).Select(g => new UciKernel($"gaussian gamma={Format(g)}", $"gamma={Format(g)}", (x, o) => ClassicalKernel.Gaussian(g).Compute(x, null, o))).ToArray();

    /// <summary>The architecture of depth <paramref name="dep"/>: <c>dense(w=1)</c> then dep × <c>relu dense(w=1)</c>.</summary>
    public static Architecture Architecture(int dep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dep);
        var layers = new List<Layer> { new Dense(1) };
        for (int i = 0; i < dep; i++) { layers.Add(ABRelu.Relu()); layers.Add(new Dense(1)); }
        return new Architecture([.. layers]);
    }

    /// <summary>
    /// The NTK (or NNGP) of <see cref="Architecture"/>(<paramref name="dep"/>) with its first <paramref name="fix"/> layers
    /// frozen, over the rows of <paramref name="x"/>, times d (so that the input layer's kernel is X·Xᵀ).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fix"/> is not in 0..dep + 1.</exception>
    public static Matrix Neural(Matrix x, int dep, int fix, KernelOutputs get, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(x);
        var arch = Architecture(dep).FreezeBottom(fix);   // docs/LAYERS.md, "Frozen layers"
        var r = arch.ComputeKernels(x, null, get, options);
        var k = get == KernelOutputs.Nngp ? r.Nngp : r.Ntk;
        double d = x.Cols;
        var data = k.Data;
        for (int i = 0; i < data.Length; i++) data[i] *= d;
        return k;
    }

    /// <summary>
    /// Kernel ridge regression as a classifier (Arora et al.'s <c>tools.ridge_regression</c>): targets one-hot minus 1/k,
    /// α = (K + λI)⁻¹·Y with λ = r·mean(diag K_train) for each relative ridge r, the predicted class the argmax of K(test, train)·α
    /// (the first maximum). A K + λI that is not numerically positive definite is solved by the pseudo-inverse.
    /// </summary>
    public static UciClassifier KernelRidge { get; } = (fit, ridges, parallel, ct) =>
    {
        ArgumentNullException.ThrowIfNull(fit);
        int n = fit.TrainKernel.Rows, k = fit.ClassCount;
        var y = new Matrix(n, k);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) y[i, c] = (fit.TrainLabels[i] == c ? 1.0 : 0.0) - 1.0 / k;
        double meanDiagonal = 0;
        for (int i = 0; i < n; i++) meanDiagonal += fit.TrainKernel[i, i];
        meanDiagonal /= n;
        var result = new int[ridges.Count][];
        var po = new ParallelOptions { MaxDegreeOfParallelism = parallel ? Environment.ProcessorCount : 1, CancellationToken = ct };
        UciBenchmark.Unwrapped(() => Parallel.For(0, ridges.Count, po, r =>
        {
            var kr = fit.TrainKernel.Clone();
            kr.AddToDiagonal(ridges[r] * meanDiagonal);
            var chol = Cholesky.TryCompute(kr, out _);
            var alpha = chol is not null ? chol.Solve(y) : SymmetricEigen.Compute(kr).PseudoInverseApply(y);
            result[r] = ArgMax(LinearAlgebra.Multiply(fit.TestTrainKernel, alpha));
        }));
        return result;
    };

    /// <summary>
    /// The support vector classifier on a precomputed kernel (<see cref="SupportVectorClassifier"/> with LibSVM's defaults,
    /// as scikit-learn's <c>SVC(kernel="precomputed", C=C)</c> in Arora et al.'s <c>tools.svm</c>: tolerance 1e-3, shrinking,
    /// one-vs-one), one model per C, fitted along the C grid (<see cref="SupportVectorClassifier.FitKernelPath"/>: each C
    /// starts from the previous solution, and a low-rank kernel such as dep = 0's X·Xᵀ from an interior-point solution,
    /// docs/SVM.md). Every model stops at the same KKT tolerance as a fit from zero.
    /// </summary>
    public static UciClassifier SupportVectorMachine { get; } = (fit, cs, parallel, ct) =>
    {
        ArgumentNullException.ThrowIfNull(fit);
        var options = new ComputeOptions { MaxThreads = parallel ? Environment.ProcessorCount : 1, CancellationToken = ct };
        var models = new SupportVectorClassifier { LowRankStart = true }.FitKernelPath(fit.TrainKernel, fit.TrainLabels, fit.ClassCount, cs, options);
        return [.. models.Select(m => m.PredictFromKernel(fit.TestTrainKernel))];
    };

    /// <summary>NTK-SVM, the method of Arora et al. 2020: the 15 NTKs (dep 0..4, fix 0..dep) × C ∈ <see cref="CGrid"/>.</summary>
    public static UciMethod NtkSvm(bool frozen = true) =>
        new("ntk-svm", "NTK-SVM", NtkKernels(MaxDepth, frozen), "C", CGrid, SupportVectorMachine);

    /// <summary>NNGP-SVM: the NNGPs of dep 0..4 (the kernel of the network whose last layer alone is trained) × C ∈ <see cref="CGrid"/>.</summary>
    public static UciMethod NngpSvm() =>
        new("nngp-svm", "NNGP-SVM", NngpKernels(), "C", CGrid, SupportVectorMachine);

    /// <summary>The Gaussian SVM: γ ∈ <see cref="GammaGrid"/> × C ∈ <see cref="CGrid"/>.</summary>
    public static UciMethod GaussianSvm() =>
        new("gaussian-svm", "Gaussian SVM", GaussianKernels(), "C", CGrid, SupportVectorMachine);

    /// <summary>NTK kernel regression: the 15 NTKs (dep 0..4, fix 0..dep) × the relative ridges of <see cref="RelativeRidgeGrid"/>.</summary>
    public static UciMethod NtkKrr(bool frozen = true) =>
        new("ntk-krr", "NTK-KRR", NtkKernels(MaxDepth, frozen), "ridge", RelativeRidgeGrid, KernelRidge);

    /// <summary>The built-in methods named in <paramref name="names"/> (see <see cref="Names"/>), in that order.</summary>
    /// <exception cref="ArgumentException">An unknown or repeated name, or an empty list; the message lists the names.</exception>
    public static IReadOnlyList<UciMethod> Parse(IEnumerable<string> names, bool frozen = true)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = new List<UciMethod>();
        foreach (string raw in names)
        {
            string name = raw.Trim().ToLowerInvariant();
            if (list.Any(m => m.Name == name)) throw new ArgumentException($"The method '{name}' is listed twice; list each once (e.g. {string.Join(",", Names)}).");
            list.Add(name switch
            {
                "ntk-svm" => NtkSvm(frozen),
                "nngp-svm" => NngpSvm(),
                "gaussian-svm" => GaussianSvm(),
                "ntk-krr" => NtkKrr(frozen),
                _ => throw new ArgumentException($"Unknown method '{raw.Trim()}'; the methods are {string.Join(", ", Names)}."),
            });
        }
        if (list.Count == 0) throw new ArgumentException($"No method given; list one or more of {string.Join(", ", Names)}.");
        return list;
    }

    /// <summary>The index of each row's largest entry (the first on ties).</summary>
    internal static int[] ArgMax(Matrix scores)
    {
        var p = new int[scores.Rows];
        for (int i = 0; i < p.Length; i++)
        {
            var row = scores.Row(i);
            int best = 0;
            for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
            p[i] = best;
        }
        return p;
    }

    /// <summary>A grid value as written in labels and files: shortest round-trip form.</summary>
    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
