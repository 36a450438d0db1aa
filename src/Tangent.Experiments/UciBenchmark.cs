using System.Collections.Concurrent;
using System.Diagnostics;
using Tangent.Data;
using Tangent.Diagnostics;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>How the benchmark uses the cores.</summary>
public enum UciParallelism
{
    /// <summary>Several data sets at once, each on one thread (kernels and fits single-threaded).</summary>
    DataSets,
    /// <summary>One data set at a time: kernels on every thread, the regularisation values of a grid and the 4 test folds in parallel.</summary>
    GridPoints,
}

/// <summary>Settings of <see cref="UciBenchmark.Run"/>.</summary>
public sealed record UciBenchmarkSettings
{
    /// <summary>The methods, in report order (default: NTK-SVM, the method of Arora et al.; <see cref="UciMethods.Parse"/>).</summary>
    public IReadOnlyList<UciMethod> Methods { get; init; } = [UciMethods.NtkSvm()];

    /// <summary>The data sets to run (folder names); null = every set in the folder.</summary>
    public IReadOnlyList<string>? Sets { get; init; }

    /// <summary>How the cores are used.</summary>
    public UciParallelism Parallelism { get; init; } = UciParallelism.DataSets;

    /// <summary>Threads (default: the processor count).</summary>
    public int? Threads { get; init; }
}

/// <summary>One method's result on one data set.</summary>
/// <param name="Method">The method's name (e.g. <c>ntk-svm</c>).</param>
/// <param name="Choice">The selected grid point, e.g. <c>dep=2 fix=1 C=10</c>.</param>
/// <param name="ValidationAccuracy">Its accuracy on the validation rows of conxuntos.dat (0..1).</param>
/// <param name="FoldAccuracies">The test accuracy on each of the 4 folds of conxuntos_kfold.dat (0..1).</param>
/// <param name="Seconds">Time spent fitting and predicting (selection and test; kernels not included).</param>
/// <param name="Grid">The grid it was selected from (<see cref="UciMethod.Grid"/>).</param>
public sealed record UciMethodResult(string Method, string Choice, double ValidationAccuracy, IReadOnlyList<double> FoldAccuracies, double Seconds, string Grid)
{
    /// <summary>The reported accuracy: the mean of the fold accuracies (0..1).</summary>
    public double TestAccuracy => FoldAccuracies.Average();
}

/// <summary>The results of one data set.</summary>
/// <param name="Name">The data set.</param>
/// <param name="Rows">n.</param>
/// <param name="Features">d.</param>
/// <param name="Classes">k.</param>
/// <param name="KernelSeconds">Time spent computing kernels.</param>
/// <param name="Methods">One result per method.</param>
public sealed record UciSetResult(string Name, int Rows, int Features, int Classes, double KernelSeconds, IReadOnlyList<UciMethodResult> Methods)
{
    /// <summary>The result of <paramref name="method"/>, or null.</summary>
    public UciMethodResult? Of(string method) => Methods.FirstOrDefault(m => m.Method == method);
}

/// <summary>A whole run: the per-set results (sorted by name) and the wall time.</summary>
/// <param name="Sets">One entry per data set, by name.</param>
/// <param name="Seconds">Wall time of this run (resumed sets cost nothing).</param>
/// <param name="Resumed">How many sets were read back from earlier runs instead of computed.</param>
public sealed record UciBenchmarkRun(IReadOnlyList<UciSetResult> Sets, double Seconds, int Resumed);

/// <summary>
/// The UCI-90 benchmark of Arora et al. 2020 ("Harnessing the Power of Infinitely Wide Deep Nets on Small-data
/// Tasks", ICLR 2020; docs/UCI.md). Per data set and method: every kernel of the method's grid is computed once over
/// all rows; hyperparameters are selected on the conxuntos.dat split (train on line 1, validate on line 2; the first
/// best accuracy in grid order wins); the selected setting is then fitted on each of the 4 training sets of
/// conxuntos_kfold.dat and scored on its test set, and the mean of the 4 accuracies is reported. Blocks are sliced
/// from the all-rows kernels (a kernel entry depends only on its two rows).
/// </summary>
public static class UciBenchmark
{
    /// <summary>The marker file that makes an output folder the benchmark's own (resumable, replaceable).</summary>
    public const string MarkerName = ".tangent-uci";

    /// <summary>The folder of per-set result files inside the output folder.</summary>
    public const string SetsFolder = "sets";

    /// <summary>The report folder inside the output folder.</summary>
    public const string ReportFolder = "report";

    /// <summary>Runs the protocol for <paramref name="methods"/> on one data set (no files).</summary>
    /// <param name="set">The data set.</param>
    /// <param name="methods">The methods; kernels with the same <see cref="UciKernel.Key"/> are computed once for all of them.</param>
    /// <param name="parallelGrid">True to fit regularisation values and folds in parallel.</param>
    /// <param name="options">How kernels are computed (threads, provider, cancellation).</param>
    public static UciSetResult RunSet(UciDataset set, IReadOnlyList<UciMethod> methods, bool parallelGrid = false, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(methods);
        options ??= ComputeOptions.Default;
        var ct = options.CancellationToken;
        var states = methods.Select(m => new Selection(m)).ToArray();
        var tr = set.Validation.Train;
        var val = set.Validation.Test;
        var yTrain = Pick(set.Labels, tr);
        var kernelClock = new Stopwatch();
        var keys = methods.SelectMany(m => m.Kernels).DistinctBy(k => k.Key).ToArray();
        foreach (var kernel in keys)
        {
            ct.ThrowIfCancellationRequested();
            kernelClock.Start();
            var k = kernel.Compute(set.X, options);
            kernelClock.Stop();
            var fit = new UciFit(k.Select(tr, tr), yTrain, set.ClassCount, k.Select(val, tr));
            foreach (var s in states)
            {
                int ki = IndexOf(s.Method.Kernels, kernel.Key);
                if (ki < 0) continue;
                var clock = Stopwatch.StartNew();
                var predictions = s.Method.Classifier(fit, s.Method.Regularization, parallelGrid, ct);
                for (int r = 0; r < predictions.Length; r++)
                {
                    int hits = Hits(predictions[r], set.Labels, val);
                    // Arora et al.: a point replaces the best only with a strictly higher accuracy, scanning (kernel, C) in order.
                    if (hits > s.Hits || hits == s.Hits && (ki < s.KernelIndex || ki == s.KernelIndex && r < s.RegularizationIndex))
                        (s.Hits, s.KernelIndex, s.RegularizationIndex, s.Kernel) = (hits, ki, r, k);
                }
                s.Seconds += clock.Elapsed.TotalSeconds;
            }
        }
        var results = new UciMethodResult[states.Length];
        for (int i = 0; i < states.Length; i++)
        {
            var s = states[i];
            var clock = Stopwatch.StartNew();
            var folds = new double[set.Folds.Count];
            var po = new ParallelOptions { MaxDegreeOfParallelism = parallelGrid ? options.Threads : 1, CancellationToken = ct };
            double reg = s.Method.Regularization[s.RegularizationIndex];
            Unwrapped(() => Parallel.For(0, folds.Length, po, f =>
            {
                var split = set.Folds[f];
                var fit = new UciFit(s.Kernel!.Select(split.Train, split.Train), Pick(set.Labels, split.Train), set.ClassCount, s.Kernel!.Select(split.Test, split.Train));
                var p = s.Method.Classifier(fit, [reg], false, ct)[0];
                folds[f] = (double)Hits(p, set.Labels, split.Test) / split.Test.Length;
            }));
            s.Seconds += clock.Elapsed.TotalSeconds;
            results[i] = new UciMethodResult(s.Method.Name, s.Method.Label(s.KernelIndex, s.RegularizationIndex),
                (double)s.Hits / val.Length, folds, s.Seconds, s.Method.Grid);
        }
        return new UciSetResult(set.Name, set.Count, set.Features, set.ClassCount, kernelClock.Elapsed.TotalSeconds, results);
    }

    /// <summary>
    /// Runs the benchmark over the data sets under <paramref name="dataRoot"/> (an extracted uci90 folder), writing one
    /// result file per data set into <paramref name="output"/>/sets as each finishes (atomically: an interrupted run leaves
    /// no half-written file). A rerun with the same output folder reads back the sets already done (for the same methods
    /// and grids) and computes only the rest.
    /// </summary>
    /// <param name="dataRoot">The folder with one sub-folder per data set.</param>
    /// <param name="output">The output folder: new, empty, or one this benchmark wrote before.</param>
    /// <param name="settings">Methods, sets, parallelism.</param>
    /// <param name="setFinished">Called (from the worker thread) after each set, with true when it was read back.</param>
    /// <param name="cancellationToken">Stops between kernels and fits; the set in progress writes nothing.</param>
    /// <exception cref="DirectoryNotFoundException">The data folder does not exist.</exception>
    /// <exception cref="ArgumentException">A set name that is not in the data folder, or no set at all.</exception>
    /// <exception cref="IOException">The output folder is a file, or a non-empty folder that this benchmark did not write.</exception>
    public static UciBenchmarkRun Run(string dataRoot, string output, UciBenchmarkSettings settings,
        Action<UciSetResult, bool>? setFinished = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var names = SelectSets(dataRoot, settings.Sets);
        var store = UciResultStore.Open(output);
        var clock = Stopwatch.StartNew();
        int threads = Math.Max(1, settings.Threads ?? Environment.ProcessorCount);
        bool bySet = settings.Parallelism == UciParallelism.DataSets;
        var options = new ComputeOptions { MaxThreads = bySet ? 1 : threads, CancellationToken = cancellationToken };
        var results = new UciSetResult?[names.Count];
        int resumed = 0;
        // Largest first, so that the last set to finish is a small one (balances the data-set parallelism).
        var order = Enumerable.Range(0, names.Count).OrderByDescending(i => new FileInfo(Path.Combine(dataRoot, names[i], names[i] + "_R.dat")).Length).ThenBy(i => i).ToArray();
        var po = new ParallelOptions { MaxDegreeOfParallelism = bySet ? threads : 1, CancellationToken = cancellationToken };
        // NoBuffering: each thread takes the next set when it is free (the default range partitioning would hand one thread all the large sets).
        Unwrapped(() => Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering), po, i =>
        {
            var stored = store.Read(names[i]);
            var missing = settings.Methods.Where(m => stored?.Of(m.Name) is not { } r || r.Grid != m.Grid).ToArray();
            UciSetResult result;
            bool fromFile = missing.Length == 0;
            if (fromFile)
            {
                result = stored! with { Methods = settings.Methods.Select(m => stored!.Of(m.Name)!).ToArray() };
                Interlocked.Increment(ref resumed);
            }
            else
            {
                var set = Uci90.Load(dataRoot, names[i]);
                UciSetResult fresh;
                try
                {
                    fresh = RunSet(set, missing, !bySet, options);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"Data set '{set.Name}': {(e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message)}", e);   // e.g. a split with one class
                }
                // Keep what the file had for other methods (another run's --methods), replace what was recomputed.
                var kept = stored?.Methods.Where(m => missing.All(x => x.Name != m.Method)) ?? [];
                var merged = fresh with { KernelSeconds = fresh.KernelSeconds + (stored?.KernelSeconds ?? 0), Methods = [.. kept, .. fresh.Methods] };
                store.Write(merged);
                result = merged with { Methods = settings.Methods.Select(m => merged.Of(m.Name)!).ToArray() };
            }
            results[i] = result;
            setFinished?.Invoke(result, fromFile);
        }));
        return new UciBenchmarkRun(results.Select(r => r!).ToArray(), clock.Elapsed.TotalSeconds, resumed);
    }

    /// <summary>
    /// Checks, before any work and without changing anything, that <paramref name="output"/> may be the output folder of
    /// <see cref="Run"/>: absent, empty, or one this benchmark wrote (it holds <see cref="MarkerName"/>).
    /// </summary>
    /// <exception cref="IOException">It is a file, or a non-empty folder without the marker; the message says what to give.</exception>
    public static void EnsureWritable(string output)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        UciResultStore.CheckUsable(Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)), output);
    }

    /// <summary>The sets to run: <paramref name="requested"/> checked against the folder, or every set in it.</summary>
    /// <exception cref="ArgumentException">A requested name that is not a set there (with the nearest name), or no sets.</exception>
    /// <param name="dataRoot">The folder of data sets.</param>
    /// <param name="requested">Names, or null for all.</param>
    /// <param name="shownAs">The data's name in messages (e.g. the archive it was extracted from); default <paramref name="dataRoot"/>.</param>
    public static IReadOnlyList<string> SelectSets(string dataRoot, IReadOnlyList<string>? requested, string? shownAs = null)
    {
        var all = Uci90.List(dataRoot);
        shownAs ??= dataRoot;
        if (requested is null)
            return all.Count > 0 ? all : throw new ArgumentException($"The folder '{shownAs}' holds no UCI data set (a sub-folder NAME with NAME_R.dat); give the extracted uci90 folder or uci90.txz.");
        var list = new List<string>();
        foreach (string raw in requested)
        {
            string name = raw.Trim();
            if (!all.Contains(name, StringComparer.Ordinal))
            {
                string? near = Spelling.Nearest(name, all);
                throw new ArgumentException($"'{name}' is not a data set in '{shownAs}'{(near is null ? "" : $"; did you mean '{near}'")}? Give names of its sub-folders, comma-separated (e.g. iris,wine).");
            }
            if (!list.Contains(name, StringComparer.Ordinal)) list.Add(name);
        }
        if (list.Count == 0) throw new ArgumentException("No data set given; list names such as iris,wine.");
        return list;
    }

    /// <summary>The best grid point of one method so far.</summary>
    private sealed class Selection(UciMethod method)
    {
        public UciMethod Method { get; } = method;
        public int Hits = -1, KernelIndex, RegularizationIndex;
        public Matrix? Kernel;
        public double Seconds;
    }

    /// <summary>Runs a parallel loop and rethrows its first failure as itself (a cancellation when the run was cancelled), not wrapped in an AggregateException.</summary>
    internal static void Unwrapped(Action loop)
    {
        try
        {
            loop();
        }
        catch (AggregateException e)
        {
            var inner = e.Flatten().InnerExceptions;
            var first = inner.FirstOrDefault(x => x is not OperationCanceledException) ?? inner[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private static int IndexOf(IReadOnlyList<UciKernel> kernels, string key)
    {
        for (int i = 0; i < kernels.Count; i++) if (kernels[i].Key == key) return i;
        return -1;
    }

    private static int Hits(int[] predicted, int[] labels, int[] rows)
    {
        int hits = 0;
        for (int i = 0; i < rows.Length; i++) if (predicted[i] == labels[rows[i]]) hits++;
        return hits;
    }

    private static int[] Pick(int[] values, int[] rows) => rows.Select(r => values[r]).ToArray();

}
