using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>What <see cref="Preprocessing.ProjectToSphere"/> does with a row of zeros, which has no direction.</summary>
public enum ZeroRowPolicy
{
    /// <summary>Throw an exception naming the row (default).</summary>
    Error,
    /// <summary>Leave the row at zero (its kernel values with every input are then those of the zero vector).</summary>
    LeaveZero,
}

/// <summary>Row normalisation, one-hot targets and seeded train/test splits.</summary>
public static class Preprocessing
{
    /// <summary>
    /// Projects every row onto the sphere of the given radius: x ↦ radius·x/‖x‖₂. With radius 1 the
    /// inputs lie on the unit sphere, where the dot-product kernels of docs/MATH.md §2 depend only on
    /// the angle ξ = x·x' (the setting of the course's one-hidden-layer NTK formula).
    /// </summary>
    /// <param name="x">The inputs, a row per sample (not modified).</param>
    /// <param name="radius">The radius (default 1; √d keeps ‖x‖²/d = 1 instead).</param>
    /// <param name="zeroRows">What to do with an all-zero row (default: error).</param>
    /// <exception cref="ArgumentException">A row is zero under <see cref="ZeroRowPolicy.Error"/>, or a value is not finite.</exception>
    public static Matrix ProjectToSphere(Matrix x, double radius = 1.0, ZeroRowPolicy zeroRows = ZeroRowPolicy.Error)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(radius > 0) || !double.IsFinite(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), $"The radius must be positive and finite; got {radius}.");
        var y = x.Clone();
        for (int i = 0; i < y.Rows; i++)
        {
            var r = y.Row(i);
            double s = 0;
            foreach (double v in r) s += v * v;
            if (!double.IsFinite(s))
                throw new ArgumentException($"Row {i + 1} has a NaN or infinite value (or overflows). Clean or rescale the data first.", nameof(x));
            if (s == 0)
            {
                if (zeroRows == ZeroRowPolicy.LeaveZero) continue;
                throw new ArgumentException(
                    $"Row {i + 1} is all zeros and has no direction, so it cannot be projected onto the sphere. Remove it, or pass ZeroRowPolicy.LeaveZero to keep it at the origin.",
                    nameof(x));
            }
            double f = radius / Math.Sqrt(s);
            for (int j = 0; j < r.Length; j++) r[j] *= f;
        }
        return y;
    }

    /// <summary>
    /// One-hot targets: row i is shift + e_{labels[i]}, i.e. 1 + shift in the label's column and
    /// shift elsewhere. Arora et al. 2019 (CNTK) use shift = -0.1 (0.9 / -0.1); docs/MATH.md §5.
    /// </summary>
    /// <param name="labels">Class labels 0..k-1.</param>
    /// <param name="classCount">k; default max(label) + 1.</param>
    /// <param name="shift">Added to every entry (default 0).</param>
    /// <exception cref="ArgumentException">A label is negative or not below <paramref name="classCount"/>.</exception>
    public static Matrix OneHot(IReadOnlyList<int> labels, int? classCount = null, double shift = 0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int max = -1;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0)
                throw new ArgumentException($"Label {labels[i]} at position {i} is negative. Labels must be 0..k-1; remap them first.", nameof(labels));
            max = Math.Max(max, labels[i]);
        }
        int k = classCount ?? max + 1;
        if (k <= 0)
            throw new ArgumentException("One-hot encoding needs at least one class; the label list is empty and no class count was given.", nameof(classCount));
        if (max >= k)
            throw new ArgumentException($"Label {max} does not fit {k} classes (labels must be 0..{k - 1}). Pass a larger class count.", nameof(labels));
        Engine.MemoryGuard.Require(checked((long)labels.Count * k * sizeof(double)), $"one-hot targets of {labels.Count} labels × {k} classes",
            "check that the labels are class indices 0..k-1 (remap large or sparse label values first)");
        var y = new Matrix(labels.Count, k);
        if (shift != 0) Array.Fill(y.Data, shift);
        for (int i = 0; i < labels.Count; i++) y.Data[(long)i * k + labels[i]] = 1 + shift;
        return y;
    }

    /// <summary>The predicted class of each row: the index of its largest entry (first on ties); docs/MATH.md §5.</summary>
    public static int[] ArgMax(Matrix scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Cols == 0) throw new ArgumentException("Cannot take the argmax of rows with no columns.", nameof(scores));
        var r = new int[scores.Rows];
        for (int i = 0; i < scores.Rows; i++)
        {
            var row = scores.Row(i);
            int best = 0;
            for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
            r[i] = best;
        }
        return r;
    }

    /// <summary>
    /// The class labels of one-hot (or shifted one-hot) target rows: the index of each row's unique
    /// largest entry; null when the targets are not class labels (fewer than 2 columns, or a row
    /// without a unique largest entry).
    /// </summary>
    public static int[]? LabelsOf(Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Cols < 2) return null;
        var labels = new int[targets.Rows];
        for (int i = 0; i < targets.Rows; i++)
        {
            var row = targets.Row(i);
            int best = 0;
            bool unique = true;
            for (int j = 1; j < row.Length; j++)
            {
                if (row[j] > row[best]) { best = j; unique = true; }
                else if (row[j] == row[best]) unique = false;
            }
            if (!unique) return null;
            labels[i] = best;
        }
        return labels;
    }

    /// <summary>
    /// The one accuracy of the library (Metrics, GeneralizationError and the command line use it): the
    /// fraction of rows whose argmax of <paramref name="scores"/> equals the label.
    /// </summary>
    /// <exception cref="ArgumentException">The row and label counts differ.</exception>
    public static double Accuracy(Matrix scores, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Rows != labels.Count) throw new ArgumentException($"{scores.Rows} score rows but {labels.Count} labels.");
        if (scores.Rows == 0) return 0;
        var predicted = ArgMax(scores);
        int hit = 0;
        for (int i = 0; i < predicted.Length; i++)
            if (predicted[i] == labels[i]) hit++;
        return (double)hit / scores.Rows;
    }

    /// <summary>
    /// A seeded random split of 0..n-1 into train and test indices (each sorted ascending).
    /// The same (n, testCount, seed) always gives the same split.
    /// </summary>
    /// <param name="n">Number of samples.</param>
    /// <param name="testCount">How many go to the test set (0..n).</param>
    /// <param name="seed">The random seed.</param>
    public static (int[] Train, int[] Test) SplitIndices(int n, int testCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (testCount < 0 || testCount > n)
            throw new ArgumentOutOfRangeException(nameof(testCount), $"The test set size must be 0..{n} for {n} samples; got {testCount}.");
        var perm = Permutation(n, seed);
        var test = perm[..testCount];
        var train = perm[testCount..];
        Array.Sort(test);
        Array.Sort(train);
        return (train, test);
    }

    /// <summary>A seeded split with the test fraction in (0, 1); the test size is round(fraction·n).</summary>
    public static (int[] Train, int[] Test) SplitIndices(int n, double testFraction, int seed)
    {
        if (!(testFraction >= 0 && testFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"The test fraction must be in [0, 1]; got {testFraction}.");
        return SplitIndices(n, (int)Math.Round(testFraction * n, MidpointRounding.AwayFromZero), seed);
    }

    /// <summary>Splits X and Y by the same seeded indices (see <see cref="SplitIndices(int, int, int)"/>).</summary>
    /// <exception cref="ArgumentException">X and Y have different row counts.</exception>
    public static (Matrix XTrain, Matrix YTrain, Matrix XTest, Matrix YTest) TrainTestSplit(Matrix x, Matrix y, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Rows)
            throw new ArgumentException($"Shape mismatch: X is {x.Shape} but Y is {y.Shape}; they need the same number of rows (one per sample).", nameof(y));
        var (tr, te) = SplitIndices(x.Rows, testFraction, seed);
        return (x.SelectRows(tr), y.SelectRows(tr), x.SelectRows(te), y.SelectRows(te));
    }

    /// <summary>A seeded random permutation of 0..n-1 (Fisher-Yates with <see cref="Random"/>(seed)).</summary>
    public static int[] Permutation(int n, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        var rng = new Random(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
