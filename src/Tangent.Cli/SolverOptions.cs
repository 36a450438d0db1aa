using System.CommandLine;
using Tangent.Cluster;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// <c>--solver auto|cholesky|cg|nystrom[:M]|eigenpro</c> with <c>--tolerance</c>, <c>--max-iterations</c> and
/// <c>--centres</c> (docs/SOLVERS.md): how <c>tangent regress</c> solves kernel ridge regression; <c>--kernel-store K.zarr</c>
/// (with <c>--chunk</c>) keeps the training kernel in a kernel store on disk instead of memory (docs/SOLVERS.md, "Kernel stores");
/// <c>--cluster local|redis://HOST:PORT</c> (with cg or eigenpro) keeps it in row blocks on a Tangent cluster (docs/CLUSTER.md,
/// "Distributed conjugate gradient").
/// </summary>
internal sealed class SolverOptions
{
    /// <summary>Nyström centres when neither nystrom:M nor --centres says.</summary>
    internal const int DefaultCentres = 2000;

    public Option<string> Solver { get; } = new("--solver")
    {
        Description = "How to solve the kernel system: auto (cholesky when the kernel fits memory comfortably, else nystrom), cholesky, cg (preconditioned conjugate gradient), nystrom[:M] (Falkon-style, M centres), eigenpro.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<double> Tolerance { get; } = CliOptions.Number("--tolerance", "With --solver cg|nystrom|eigenpro: stop at this relative residual per target column (> 0).", 1e-8, NumberRange.Positive);

    public Option<int> MaxIterations { get; } = CliOptions.Int("--max-iterations", "With --solver cg|nystrom|eigenpro: the most iterations, ≥ 1.", 1000, 1);

    public Option<int?> Centres { get; } = CliOptions.OptionalInt("--centres", $"With --solver nystrom: the number of centres M ≥ 1 (default {DefaultCentres}, capped at the training rows).", 1);

    public Option<string?> KernelStore { get; } = new("--kernel-store")
    {
        Description = "With --solver cg or eigenpro (auto picks cg): keep K(train, train) in a kernel store, a folder ending in .zarr (docs/STORE.md), instead of memory: " +
            "an existing store must hold this kernel on these training inputs; a missing or unfinished one is computed (resumed) first; the solver's products stream from it.",
    };

    public Option<int?> Chunk { get; } = CliOptions.OptionalInt("--chunk", $"With --kernel-store, when the store is created: the chunk edge (default {Data.KernelStore.DefaultChunkSize}, smaller under --memory-budget).", 1, 65536);

    /// <summary>--cluster, the option `tangent kernel` has (<see cref="ClusterOptions"/>), with its help for regress.</summary>
    public ClusterOptions Cluster { get; } = CreateCluster();

    public IEnumerable<Option> All => [Solver, Tolerance, MaxIterations, Centres, KernelStore, Chunk, Cluster.Cluster, Cluster.Security.TlsCert, Cluster.Security.RedisPasswordFile];

    private static ClusterOptions CreateCluster()
    {
        var c = new ClusterOptions();
        c.Cluster.Description = "With --solver cg or eigenpro: keep K(train, train) in row blocks on a Tangent cluster, local (silos started on this machine with " +
            "tangent serve --cluster local) or redis://HOST:PORT, and run the solver's kernel products there; the kernel is never gathered in one place (docs/CLUSTER.md).";
        return c;
    }

    /// <summary>The solver named on the command line (before auto is resolved) and the centres of nystrom:M.</summary>
    internal static (string Name, int? Centres) Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        if (s is "auto" or "cholesky" or "cg" or "nystrom" or "eigenpro") return (s, null);
        if (s.StartsWith("nystrom:", StringComparison.Ordinal))
        {
            string m = s["nystrom:".Length..];
            if (int.TryParse(m, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int c) && c >= 1) return ("nystrom", c);
            throw new CliError($"--solver {text}: the number of centres must be a whole number ≥ 1, not '{m}'.", "e.g. --solver nystrom:2000");
        }
        throw new CliError($"--solver '{text}' is not a solver.", "give auto, cholesky, cg, nystrom, nystrom:M or eigenpro.");
    }

    /// <summary>Refuses the solver options with linear regression, and iteration options with cholesky.</summary>
    public (string Name, int? Centres) Validate(ParseResult r, bool linear)
    {
        bool Given(Option o) => r.GetResult(o) is { Implicit: false };
        if (linear)
        {
            foreach (var o in All)
                if (Given(o)) throw new CliError($"{o.Name} applies only to kernel regression, not --kernel none.", "drop it, or give a --kernel or --arch.");
            return ("cholesky", null);
        }
        var (name, centres) = Parse(r.GetValue(Solver)!);
        if (r.GetValue(Cluster.Cluster) is { } cluster)
        {
            Cluster.Security.Apply(r, ClusterOptions.ParseAddress(cluster)).Security?.Certificate?.Dispose();
            if (name is not ("cg" or "eigenpro"))
                throw new CliError($"--cluster runs the kernel products of --solver cg or eigenpro on the cluster; --solver {name} " +
                    (name == "auto" ? "does not say which." : name == "cholesky" ? "needs the whole kernel on one machine." : "computes only the kernel against its centres, on one machine."),
                    "give --solver cg (or eigenpro), or drop --cluster.");
            if (Given(KernelStore))
                throw new CliError("--cluster keeps the kernel in the silos' memory; --kernel-store keeps it in a store on this machine: give one of them.", "drop --kernel-store, or drop --cluster.");
        }
        else Cluster.Security.RefuseWithoutCluster(r);
        if (r.GetValue(KernelStore) is { } store)
        {
            TrainKernelStore.RequirePath(store);
            if (name is "cholesky" or "nystrom")
                throw new CliError($"--kernel-store works with --solver cg or eigenpro (their products stream from the store); --solver {name} " +
                    (name == "cholesky" ? "needs the whole kernel in memory." : "computes only the kernel against its centres."), "give --solver cg (or eigenpro), or drop --kernel-store.");
        }
        else if (Given(Chunk)) throw new CliError("--chunk applies only to a kernel store: give --kernel-store K.zarr too.", "drop --chunk, or add --kernel-store K.zarr");
        if (name == "cholesky")
            foreach (var o in new Option[] { Tolerance, MaxIterations })
                if (Given(o)) throw new CliError($"{o.Name} applies only to an iterative solver; --solver cholesky factorizes exactly.", "drop it, or give --solver cg, nystrom or eigenpro.");
        if (Given(Centres))
        {
            if (name is not ("nystrom" or "auto")) throw new CliError($"--centres applies only to --solver nystrom (or auto); the solver is {name}.", "drop --centres, or give --solver nystrom.");
            if (centres is { } c && c != r.GetValue(Centres)) throw new CliError($"--solver nystrom:{c} and --centres {r.GetValue(Centres)} disagree.", "give the number of centres once.");
            centres = r.GetValue(Centres);
        }
        return (name, centres);
    }

    /// <summary>auto: cg with a kernel store; else cholesky when its peak (the upper half of the kernel in tiles, factored in place,
    /// plus a test block: docs/SOLVERS.md "Memory of the exact solve") fits in three quarters of the budget (or the memory
    /// available; half of it up to 2048 rows, where the dense path runs), else nystrom.</summary>
    internal static string Resolve(string name, int n, ComputeOptions compute, bool store = false)
    {
        if (name != "auto") return name;
        if (store) return "cg";
        long budget = compute.MemoryBudget ?? MemoryGuard.AvailableBytes;
        // Up to one tile the dense path runs (kernel, copy, factor) and keeps the earlier rule of half the budget.
        double share = n <= SymmetricTiles.DefaultTileSize ? 0.5 : 0.75;
        return CholeskyPeakBytes(n) <= share * budget ? "cholesky" : "nystrom";
    }

    /// <summary>The exact solve's peak for n training rows: the tiles, one tile in flight and a block of test rows.</summary>
    internal static double CholeskyPeakBytes(int n) =>
        n <= SymmetricTiles.DefaultTileSize
            ? 3.6 * 8.0 * n * n
            : SymmetricTiles.BytesFor(n) + 8.0 * SymmetricTiles.DefaultTileSize * SymmetricTiles.DefaultTileSize + KernelTiles.DefaultBlockBytes;

    /// <summary>Fits with the chosen solver and returns the predictions on <paramref name="xs"/> and a one-line description of the solve.</summary>
    public (Matrix Prediction, string Description, double Ridge) FitPredict(ParseResult r, (string Name, int? Centres) choice, IKernel k, Ridge ridge, Matrix x, Matrix y, Matrix xs, ComputeOptions compute)
    {
        string? store = r.GetValue(KernelStore);
        string name = Resolve(choice.Name, x.Rows, compute, store is not null);
        string chosen = choice.Name == "auto" ? $"{name} (auto)" : name;
        double tol = r.GetValue(Tolerance);
        int maxIt = r.GetValue(MaxIterations);
        if (store is not null) return FitPredictFromStore(store, r.GetValue(Chunk), name, chosen, k, ridge, x, y, xs, compute, tol, maxIt);
        if (r.GetValue(Cluster.Cluster) is { } cluster) return FitPredictOnCluster(Cluster.Security.Apply(r, ClusterOptions.ParseAddress(cluster)), name, k, ridge, x, y, xs, compute, tol, maxIt);
        switch (name)
        {
            case "cholesky":
            {
                var model = CliProgress.Run($"fit {k.Describe()}", p => new KernelRegression(k) { Ridge = ridge }.Fit(x, y, compute with { Progress = p }));
                var pred = CliProgress.Run("predict", p => model.Predict(xs, compute with { Progress = p }));
                return (pred, $"solver: {chosen}", model.Ridge);
            }
            case "nystrom":
            {
                int m = Math.Min(choice.Centres ?? DefaultCentres, x.Rows);
                var model = CliProgress.Run($"fit {k.Describe()} (nystrom, {m} centres)", p =>
                    new NystromRegression(k) { Centres = m, Ridge = ridge, Tolerance = tol, MaxIterations = maxIt }.Fit(x, y, compute with { Progress = p }));
                var pred = CliProgress.Run("predict", p => model.Predict(xs, compute with { Progress = p }));
                return (pred, $"solver: {chosen}, {model.CentreCount} centres, CG {model.Solve.Summary}", model.Ridge);
            }
            default:
            {
                var method = name == "eigenpro" ? IterativeMethod.EigenPro : IterativeMethod.ConjugateGradient;
                var (model, solve) = CliProgress.Run($"fit {k.Describe()} ({name})", p =>
                    new IterativeKernelRegression(k) { Ridge = ridge, Tolerance = tol, MaxIterations = maxIt, Method = method }.Fit(x, y, compute with { Progress = p }));
                var pred = CliProgress.Run("predict", p => model.Predict(xs, compute with { Progress = p }));
                return (pred, $"solver: {chosen}, {solve.Summary}", model.Ridge);
            }
        }
    }

    /// <summary>
    /// The --kernel-store path of <see cref="FitPredict"/>: opens the store (refusing one that holds another kernel or other inputs) or
    /// creates it, computes its missing chunks (a stopped run resumes), solves with the products streamed from it, and predicts
    /// in blocks of test rows (docs/SOLVERS.md, "Kernel stores").
    /// </summary>
    private static (Matrix Prediction, string Description, double Ridge) FitPredictFromStore(string path, int? chunk, string name, string chosen, IKernel k,
        Ridge ridge, Matrix x, Matrix y, Matrix xs, ComputeOptions compute, double tol, int maxIt)
    {
        var (store, before, written) = TrainKernelStore.OpenAndFill(path, chunk, k, x, compute);
        var method = name == "eigenpro" ? IterativeMethod.EigenPro : IterativeMethod.ConjugateGradient;
        var (model, solve, op) = CliProgress.Run($"fit {k.Describe()} ({name}, from {Path.GetFileName(store.Path)})", p =>
            new IterativeKernelRegression(k) { Ridge = ridge, Tolerance = tol, MaxIterations = maxIt, Method = method }.FitStore(store, x, y, compute with { Progress = p }));
        var pred = CliProgress.Run("predict", p => IterativeKernelRegression.PredictInBlocks(k, x, model.Coefficients, xs, compute with { Progress = p }));
        string storeLine = TrainKernelStore.Describe(path, store, before, written, op);
        return (pred, $"{storeLine}\nsolver: {chosen}, {solve.Summary}", model.Ridge);
    }

    /// <summary>
    /// The --cluster path of <see cref="FitPredict"/> (docs/CLUSTER.md, "Distributed conjugate gradient"): connects (an unreachable
    /// cluster is refused with how to start one), loads K(train, train) in row blocks on the silos, solves with the products run
    /// there, and predicts here in blocks of test rows; a relative ridge takes the trace from the kernel's diagonal, computed here.
    /// </summary>
    private static (Matrix Prediction, string Description, double Ridge) FitPredictOnCluster(ClusterAddress address, string name, IKernel k,
        Ridge ridge, Matrix x, Matrix y, Matrix xs, ComputeOptions compute, double tol, int maxIt)
    {
        ClusterKernelSpec.From(k);   // a kernel that cannot travel is refused before connecting
        var connection = ClusterHosting.ConnectAsync(address, TangentCli.Cancellation).GetAwaiter().GetResult();
        try
        {
            var op = CliProgress.Run($"load {k.Describe()} on the cluster", p =>
                ClusterKernelOperator.CreateAsync(connection.Client, k, x, compute: compute with { Progress = p }).GetAwaiter().GetResult());
            ConjugateGradientResult solve;
            try
            {
                double lambda = ridge.RelativeToMeanDiagonal && ridge.Value != 0 ? ridge.Value * op.Trace() / x.Rows : ridge.Value;   // as Ridge.ValueFor, from kernel.Diagonal
                var method = name == "eigenpro" ? IterativeMethod.EigenPro : IterativeMethod.ConjugateGradient;
                solve = CliProgress.Run($"fit {k.Describe()} ({name}, on the cluster)", p =>
                    new IterativeKernelRegression(k) { Ridge = ridge, Tolerance = tol, MaxIterations = maxIt, Method = method }
                        .FitOperator(op.Multiply, y, lambda, compute with { Progress = p }));
                var pred = CliProgress.Run("predict", p => IterativeKernelRegression.PredictInBlocks(k, x, solve.Solution, xs, compute with { Progress = p }));
                int silos = op.Silos.Distinct().Count();
                string clusterLine = $"cluster: {address}, {op.Blocks.Count} row blocks of up to {op.BlockRows} rows on {silos} silo{(silos == 1 ? "" : "s")}, " +
                    $"{op.Products} products, {op.Reloads} blocks reloaded";
                return (pred, $"{clusterLine}\nsolver: {name}, {solve.Summary}", lambda);
            }
            finally
            {
                op.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
