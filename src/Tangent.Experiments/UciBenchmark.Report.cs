using System.Globalization;
using Tangent.Data;

namespace Tangent.Experiments;

/// <summary>One column of the comparison: a method of this run or a classifier of Delgado's table.</summary>
/// <param name="Title">The column's name, e.g. <c>NTK-SVM</c> or <c>RF (Delgado)</c>.</param>
/// <param name="Sets">The data sets it has a result on.</param>
/// <param name="MeanAccuracy">Its mean accuracy (%) over the common sets (those where every column has a result).</param>
/// <param name="MeanOverItsSets">Its mean accuracy (%) over all its sets.</param>
/// <param name="AverageRank">Its Friedman rank over the common sets (1 = best), null with fewer than two columns.</param>
public sealed record UciColumnSummary(string Title, int Sets, double MeanAccuracy, double MeanOverItsSets, double? AverageRank);

/// <summary>The comparison over data sets.</summary>
/// <param name="Columns">One entry per column, in table order.</param>
/// <param name="CommonSets">The data sets where every column has a result (the means and ranks are over these).</param>
/// <param name="Friedman">The Friedman test over the common sets, or null (fewer than two columns or no common set).</param>
/// <param name="WithoutDelgado">Data sets of this run that have no row in Delgado's table (empty without a table).</param>
/// <param name="Scores">Accuracy (%) per data set (rows, in run order) and column; NaN where missing.</param>
public sealed record UciSummary(IReadOnlyList<UciColumnSummary> Columns, IReadOnlyList<string> CommonSets, FriedmanResult? Friedman,
    IReadOnlyList<string> WithoutDelgado, IReadOnlyList<double[]> Scores);

/// <summary>The report of a UCI benchmark run (docs/UCI.md): means, Friedman ranks, per-set tables, plots, CSV.</summary>
public static class UciBenchmarkReport
{
    /// <summary>The Delgado columns compared with, as (column in the file, title).</summary>
    public static IReadOnlyList<(string Column, string Title)> DelgadoColumns { get; } =
        [(DelgadoResults.RandomForest, "RF (Delgado)"), (DelgadoResults.GaussianSvm, "Gaussian SVM (Delgado)")];

    /// <summary>
    /// The per-set accuracies of <paramref name="methods"/> and, with <paramref name="delgado"/>, of Delgado's random forest and
    /// Gaussian SVM; means and Friedman ranks over the sets where every column has a result. Accuracies are compared at 0.1 %,
    /// the precision of Delgado's table, so that a difference below it is a tie.
    /// </summary>
    public static UciSummary Summarize(IReadOnlyList<UciSetResult> sets, IReadOnlyList<UciMethod> methods, DelgadoResults? delgado)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(methods);
        var titles = methods.Select(m => m.Title).Concat(delgado is null ? [] : DelgadoColumns.Select(c => c.Title)).ToArray();
        var scores = sets.Select(s =>
        {
            var row = methods.Select(m => s.Of(m.Name) is { } r ? 100 * r.TestAccuracy : double.NaN).ToList();
            if (delgado is not null) row.AddRange(DelgadoColumns.Select(c => delgado.Accuracy(s.Name, c.Column) ?? double.NaN));
            return row.ToArray();
        }).ToArray();
        var common = Enumerable.Range(0, sets.Count).Where(i => scores[i].All(v => !double.IsNaN(v))).ToArray();
        FriedmanResult? friedman = titles.Length >= 2 && common.Length > 0
            ? Friedman.Test(common.Select(i => (IReadOnlyList<double>)scores[i].Select(v => Math.Round(v, 1)).ToArray()).ToArray())
            : null;
        var columns = titles.Select((t, j) =>
        {
            var mine = scores.Select(r => r[j]).Where(v => !double.IsNaN(v)).ToArray();
            return new UciColumnSummary(t, mine.Length, common.Length > 0 ? common.Average(i => scores[i][j]) : double.NaN,
                mine.Length > 0 ? mine.Average() : double.NaN, friedman?.AverageRanks[j]);
        }).ToArray();
        var without = delgado is null ? [] : sets.Where(s => delgado.Match(s.Name) is null).Select(s => s.Name).ToArray();
        return new UciSummary(columns, common.Select(i => sets[i].Name).ToArray(), friedman, without, scores);
    }

    /// <summary>Builds the report of <paramref name="run"/>.</summary>
    /// <param name="run">The results.</param>
    /// <param name="methods">The methods run, in column order.</param>
    /// <param name="delgado">Delgado's table, or null.</param>
    /// <param name="settings">Settings to list (data folder, command, load, …).</param>
    public static Report Build(UciBenchmarkRun run, IReadOnlyList<UciMethod> methods, DelgadoResults? delgado, IEnumerable<(string Key, string Value)> settings)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(settings);
        var sets = run.Sets;
        var summary = Summarize(sets, methods, delgado);
        var report = new Report("Tangent benchmark: UCI-90 (the protocol of Arora et al. 2020)");
        report.Paragraph($"{sets.Count} data sets of Fernández-Delgado et al. 2014. Per data set and method, hyperparameters are selected on the " +
                         "conxuntos.dat split (train on line 1, validate on line 2; the first best validation accuracy in grid order wins); the chosen " +
                         "setting is fitted on each of the 4 training sets of conxuntos_kfold.dat and the mean of the 4 test accuracies is reported. " +
                         "Kernels are computed once per data set over all its rows and sliced. See docs/UCI.md for the grids and the kernels.");

        report.Heading("Means and Friedman ranks");
        report.Paragraph($"Over the {summary.CommonSets.Count} data sets where every column has a result" +
                         (summary.CommonSets.Count < sets.Count ? $" (of {sets.Count}; the others lack a result in some column)" : "") +
                         ". Ranks: 1 = best on a data set, ties (at 0.1 %) share the average rank.");
        report.Table(["method", "mean accuracy %", "Friedman rank", "sets with a result", "mean over those sets %"],
            summary.Columns.Select(c => (IReadOnlyList<string>)[c.Title, Pct(c.MeanAccuracy), c.AverageRank is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "",
                c.Sets.ToString(CultureInfo.InvariantCulture), Pct(c.MeanOverItsSets)]), "summary.csv");
        if (summary.Friedman is { } f)
            report.Paragraph($"Friedman test: χ² = {f.Statistic.ToString("F2", CultureInfo.InvariantCulture)} with {f.DegreesOfFreedom} degrees of freedom over " +
                             $"{f.DataSets} data sets, p = {f.PValue.ToString("G3", CultureInfo.InvariantCulture)} (the chance of ranks this far apart if every method were equally good).");
        if (summary.WithoutDelgado.Count > 0)
            report.Paragraph($"No row in Delgado's table (not matched by name, case or '-'/'_'): {string.Join(", ", summary.WithoutDelgado)}.");

        int first = methods.Count > 0 ? 0 : -1;
        if (delgado is not null && first >= 0)
        {
            var pairs = sets.Select((s, i) => (X: summary.Scores[i][methods.Count], Y: summary.Scores[i][first])).Where(p => !double.IsNaN(p.X) && !double.IsNaN(p.Y)).ToArray();
            if (pairs.Length > 0)
            {
                double lo = Math.Min(pairs.Min(p => p.X), pairs.Min(p => p.Y)), hi = 100;
                report.Image($"uci-{methods[first].Name}-vs-rf.png", Charts.Lines($"UCI: {methods[first].Title} against Delgado's random forest, per data set",
                    "random forest accuracy % (Delgado)", $"{methods[first].Title} accuracy %",
                    [new Series("y = x", [lo, hi], [lo, hi]), new Series($"data sets ({pairs.Count(p => p.Y > p.X)} above the line, {pairs.Count(p => p.Y < p.X)} below)", pairs.Select(p => p.X).ToArray(), pairs.Select(p => p.Y).ToArray(), Points: true)]),
                    $"{methods[first].Title} against random forest: points above the diagonal are data sets where {methods[first].Title} is more accurate");
            }
        }
        if (summary.Friedman is not null)
            report.Image("uci-ranks.png", Charts.Bars("UCI: average Friedman rank (lower is better)", "average rank",
                summary.Columns.Select(c => (c.Title, c.AverageRank ?? double.NaN)).ToList()), "average Friedman rank of each method");

        report.Heading("Per data set");
        var headers = new List<string> { "data set", "n", "d", "k" };
        headers.AddRange(summary.Columns.Select(c => c.Title + " %"));
        report.Table(headers, sets.Select((s, i) => (IReadOnlyList<string>)[s.Name, Int(s.Rows), Int(s.Features), Int(s.Classes), .. summary.Scores[i].Select(Pct)]));

        report.Heading("Chosen hyperparameters");
        report.Paragraph("Per method: the grid point selected on the validation split, its validation accuracy %, and the fitting time (selection and the 4 folds) in seconds; " +
                         "kernel seconds are the time spent computing the data set's kernels (shared by the methods).");
        var choiceHeaders = new List<string> { "data set" };
        foreach (var m in methods) choiceHeaders.AddRange([$"{m.Title} choice", "val %", "s"]);
        choiceHeaders.Add("kernel s");
        report.Table(choiceHeaders, sets.Select(s =>
        {
            var row = new List<string> { s.Name };
            foreach (var m in methods)
                row.AddRange(s.Of(m.Name) is { } r ? [r.Choice, Pct(100 * r.ValidationAccuracy), Seconds(r.Seconds)] : ["", "", ""]);
            row.Add(Seconds(s.KernelSeconds));
            return (IReadOnlyList<string>)row;
        }));

        report.Heading("Timings");
        report.Table(["part", "seconds"],
            methods.Select(m => (IReadOnlyList<string>)[$"{m.Title} fits", Seconds(sets.Sum(s => s.Of(m.Name)?.Seconds ?? 0))])
                .Append(["kernels", Seconds(sets.Sum(s => s.KernelSeconds))])
                .Append([$"wall time of this run ({run.Resumed} of {sets.Count} sets read back from earlier runs)", Seconds(run.Seconds)]));

        report.Csv("results.csv", CsvHeaders(methods, delgado is not null), sets.Select((s, i) => CsvRow(s, i, methods, summary)));
        foreach (var m in methods) report.Setting($"grid.{m.Name}", m.Grid);
        foreach (var (k, v) in settings) report.Setting(k, v);
        return report;
    }

    private static List<string> CsvHeaders(IReadOnlyList<UciMethod> methods, bool delgado)
    {
        var h = new List<string> { "set", "rows", "features", "classes" };
        foreach (var m in methods)
            h.AddRange([$"{m.Name}_accuracy", $"{m.Name}_validation", $"{m.Name}_choice", $"{m.Name}_fold1", $"{m.Name}_fold2", $"{m.Name}_fold3", $"{m.Name}_fold4", $"{m.Name}_seconds"]);
        if (delgado) h.AddRange(["rf_delgado", "svm_delgado"]);
        h.Add("kernel_seconds");
        return h;
    }

    private static List<string> CsvRow(UciSetResult s, int index, IReadOnlyList<UciMethod> methods, UciSummary summary)
    {
        var row = new List<string> { s.Name, Int(s.Rows), Int(s.Features), Int(s.Classes) };
        foreach (var m in methods)
        {
            if (s.Of(m.Name) is { } r)
            {
                row.AddRange([Raw(100 * r.TestAccuracy), Raw(100 * r.ValidationAccuracy), r.Choice]);
                for (int f = 0; f < 4; f++) row.Add(f < r.FoldAccuracies.Count ? Raw(100 * r.FoldAccuracies[f]) : "");
                row.Add(Raw(r.Seconds));
            }
            else row.AddRange(Enumerable.Repeat("", 8));
        }
        var scores = summary.Scores[index];
        for (int j = methods.Count; j < scores.Length; j++) row.Add(double.IsNaN(scores[j]) ? "" : Raw(scores[j]));
        row.Add(Raw(s.KernelSeconds));
        return row;
    }

    private static string Pct(double v) => double.IsNaN(v) ? "–" : v.ToString("F2", CultureInfo.InvariantCulture);

    private static string Seconds(double v) => v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Raw(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
