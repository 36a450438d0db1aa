using System.Globalization;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary><see cref="Metrics.Classification"/>: per-class precision, recall, F1 and support and their averages, by hand and against
/// scikit-learn's <c>classification_report</c>.</summary>
public sealed class ClassificationReportTests
{
    [Fact]
    public void PerClassScoresMatchHandComputedValuesWithZeroForEmptyDenominators()
    {
        // Class 2 is never predicted (precision 0/0 → 0); class 3 has no rows (recall 0/0 → 0) and is never predicted.
        int[] truth = [0, 0, 0, 1, 1, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 1, 0, 1, 1];
        var r = Metrics.Classification(truth, predicted, ["a", "b", "c", "d"]);
        Assert.Equal(4.0 / 8, r.Accuracy);
        Assert.Equal([2, 1, 0, 0], r.ConfusionMatrix[0]);
        Assert.Equal([1, 2, 0, 0], r.ConfusionMatrix[2]);
        var a = r.PerClass[0];
        Assert.Equal(("a", 2.0 / 3, 2.0 / 3, 3), (a.Class, a.Precision, a.Recall, a.Support));
        Assert.Equal(2.0 / 3, a.F1, 15);
        var b = r.PerClass[1];
        Assert.Equal(2.0 / 5, b.Precision);
        Assert.Equal(1.0, b.Recall);
        Assert.Equal(2 * 0.4 / 1.4, b.F1, 15);
        Assert.Equal((0.0, 0.0, 0.0, 3), (r.PerClass[2].Precision, r.PerClass[2].Recall, r.PerClass[2].F1, r.PerClass[2].Support));
        Assert.Equal((0.0, 0.0, 0.0, 0), (r.PerClass[3].Precision, r.PerClass[3].Recall, r.PerClass[3].F1, r.PerClass[3].Support));
        Assert.Equal((2.0 / 3 + 0.4) / 4, r.MacroAverage.Precision, 15);
        Assert.Equal((2.0 / 3 * 3 + 1.0 * 2) / 8, r.WeightedAverage.Recall, 15);
        Assert.Equal(8, r.WeightedAverage.Support);
    }

    [Fact]
    public void MismatchedOrEmptyInputsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Classification([0, 1], [0], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => Metrics.Classification([], [], ["a", "b"]));
        var e = Assert.Throws<ArgumentException>(() => Metrics.Classification([0, 2], [0, 1], ["a", "b"]));
        Assert.Contains("Row 2", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ScoresAgreeWithScikitLearnsClassificationReport()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var rng = new Random(7);
        int n = 90, k = 5;
        // Mostly right, with class 4 rare in the truth and never predicted, so the zero-division rule is exercised.
        var truth = Enumerable.Range(0, n).Select(_ => rng.Next(10) == 0 ? 4 : rng.Next(4)).ToArray();
        var predicted = truth.Select(t => rng.NextDouble() < 0.7 ? Math.Min(t, 3) : rng.Next(4)).ToArray();
        var mine = Metrics.Classification(truth, predicted, ["a", "b", "c", "d", "e"]);
        string script = """
            from sklearn.metrics import precision_recall_fscore_support, accuracy_score, confusion_matrix
            t = M['t'].ravel().astype(int); p = M['p'].ravel().astype(int); L = list(range(5))
            rows = []
            for avg in [None, 'macro', 'weighted']:
                pr, rc, f1, s = precision_recall_fscore_support(t, p, labels=L, average=avg, zero_division=0)
                rows.append(np.atleast_1d(pr)); rows.append(np.atleast_1d(rc)); rows.append(np.atleast_1d(f1))
            flat = np.concatenate(rows + [[accuracy_score(t, p)], confusion_matrix(t, p, labels=L).ravel()])
            emit(flat)
            """;
        var input = Python.Encode(("t", Matrix.Build(n, 1, (i, _) => truth[i])), ("p", Matrix.Build(n, 1, (i, _) => predicted[i])));
        var sk = Python.Evaluate(script, input).Data;
        int at = 0;
        for (int c = 0; c < k; c++) Assert.Equal(sk[at + c], mine.PerClass[c].Precision, 14);
        at += k;
        for (int c = 0; c < k; c++) Assert.Equal(sk[at + c], mine.PerClass[c].Recall, 14);
        at += k;
        for (int c = 0; c < k; c++) Assert.Equal(sk[at + c], mine.PerClass[c].F1, 14);
        at += k;
        foreach (var avg in new[] { mine.MacroAverage, mine.WeightedAverage })
        {
            Assert.Equal(sk[at++], avg.Precision, 14);
            Assert.Equal(sk[at++], avg.Recall, 14);
            Assert.Equal(sk[at++], avg.F1, 14);
        }
        Assert.Equal(sk[at++], mine.Accuracy, 14);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                Assert.True(sk[at++] == mine.ConfusionMatrix[i][j], string.Create(CultureInfo.InvariantCulture, $"confusion ({i}, {j})"));
    }
}
