namespace Tangent.Experiments;

/// <summary>The Friedman test's outcome.</summary>
/// <param name="AverageRanks">Each method's rank averaged over the data sets (1 = best on every set).</param>
/// <param name="Statistic">Friedman's χ² = 12N/(k(k+1))·(Σⱼ R̄ⱼ² − k(k+1)²/4), divided by the tie correction
/// 1 − Σ(t³ − t)/(N·k·(k² − 1)) over groups of t tied methods (as scipy.stats.friedmanchisquare).</param>
/// <param name="DegreesOfFreedom">k − 1.</param>
/// <param name="PValue">P(χ²(k − 1) ≥ statistic): the chance of ranks this far apart if every method were equally good.</param>
/// <param name="DataSets">N, the data sets ranked.</param>
public sealed record FriedmanResult(IReadOnlyList<double> AverageRanks, double Statistic, int DegreesOfFreedom, double PValue, int DataSets);

/// <summary>
/// Friedman ranks (Friedman 1937; Demšar 2006, "Statistical comparisons of classifiers over multiple data sets",
/// JMLR 7, §3.2.2), as Arora et al. 2020 and Fernández-Delgado et al. 2014 rank classifiers: on each data set the
/// methods are ranked by accuracy, the best 1; tied methods share the average of the ranks they span.
/// </summary>
public static class Friedman
{
    /// <summary>The ranks of one data set's scores (higher is better), ties averaged: 90, 80, 80, 70 → 1, 2.5, 2.5, 4.</summary>
    public static double[] Ranks(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start + 1;
            while (end < order.Length && scores[order[end]] == scores[order[start]]) end++;
            double average = (start + 1 + end) / 2.0;   // ranks start+1..end
            for (int i = start; i < end; i++) ranks[order[i]] = average;
            start = end;
        }
        return ranks;
    }

    /// <summary>The test over a table of scores, one row per data set and one column per method (higher is better).</summary>
    /// <exception cref="ArgumentException">No rows, rows of different lengths, fewer than two methods, or a NaN score.</exception>
    public static FriedmanResult Test(IReadOnlyList<IReadOnlyList<double>> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("The Friedman test needs at least one data set.", nameof(scores));
        int k = scores[0].Count, n = scores.Count;
        if (k < 2) throw new ArgumentException($"The Friedman test compares at least two methods, got {k}.", nameof(scores));
        var sum = new double[k];
        double ties = 0;
        for (int r = 0; r < n; r++)
        {
            if (scores[r].Count != k) throw new ArgumentException($"Row {r + 1} has {scores[r].Count} scores but row 1 has {k}; give every method a score on every data set.", nameof(scores));
            if (scores[r].Any(double.IsNaN)) throw new ArgumentException($"Row {r + 1} has a NaN score; leave that data set out.", nameof(scores));
            var ranks = Ranks(scores[r]);
            for (int j = 0; j < k; j++) sum[j] += ranks[j];
            foreach (var group in ranks.GroupBy(x => x)) ties += Math.Pow(group.Count(), 3) - group.Count();
        }
        var average = sum.Select(s => s / n).ToArray();
        double squares = average.Sum(a => a * a);
        double statistic = 12.0 * n / (k * (k + 1.0)) * (squares - k * (k + 1.0) * (k + 1.0) / 4);
        double correction = 1 - ties / (n * k * (k * (double)k - 1));
        statistic = correction > 0 ? Math.Max(0, statistic / correction) : 0;   // every row all tied: no evidence of a difference
        return new FriedmanResult(average, statistic, k - 1, ChiSquareSurvival(statistic, k - 1), n);
    }

    /// <summary>P(χ²(<paramref name="degrees"/>) ≥ <paramref name="x"/>) = Q(ν/2, x/2), the regularised upper incomplete gamma function.</summary>
    public static double ChiSquareSurvival(double x, int degrees)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degrees, 1);
        return x <= 0 ? 1 : UpperGamma(degrees / 2.0, x / 2);
    }

    /// <summary>Q(a, x) by its series (x &lt; a + 1) or its continued fraction (Numerical Recipes, 3rd ed., §6.2), to about 1e-14.</summary>
    private static double UpperGamma(double a, double x)
    {
        double logPrefix = a * Math.Log(x) - x - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 1000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Max(0, 1 - sum * Math.Exp(logPrefix));
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 1000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(logPrefix) * h;
    }

    /// <summary>ln Γ(a) for a &gt; 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).</summary>
    private static double LogGamma(double a)
    {
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (a < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * a))) - LogGamma(1 - a);
        a -= 1;
        double s = c[0];
        for (int i = 1; i < 9; i++) s += c[i] / (a + i);
        double t = a + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (a + 0.5) * Math.Log(t) - t + Math.Log(s);
    }
}
