using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>What a target column asks for: a number per row, or one of a set of classes.</summary>
public enum TaskKind
{
    /// <summary>Numeric targets, predicted as numbers.</summary>
    Regression,
    /// <summary>Class labels (integers or strings), encoded one-hot for the kernel models and decoded on output.</summary>
    Classification,
}

/// <summary>
/// The classes of a classification target and their one-hot code (docs/DATA.md). Classes are sorted
/// numerically when every label is an integer, otherwise ordinally (byte order of the text), so the code
/// does not depend on the order of the rows. Labels are compared as text after trimming ("1" and "1.0"
/// are the same class only when both parse as the same integer).
/// </summary>
public sealed class LabelEncoder
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Wraps classes given in their code order.</summary>
    /// <exception cref="ArgumentException">Fewer than two classes, or a class given twice.</exception>
    public LabelEncoder(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count < 2)
            throw new ArgumentException($"A classification target needs at least two classes, got {classes.Count} ({string.Join(", ", classes)}).", nameof(classes));
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < classes.Count; k++)
            if (!_index.TryAdd(Normalize(classes[k]), k))
                throw new ArgumentException($"Class '{classes[k]}' is given twice.", nameof(classes));
        Classes = classes.Select(Normalize).ToArray();
    }

    /// <summary>The classes, in code order (column k of the one-hot code is class k).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Number of classes.</summary>
    public int Count => Classes.Count;

    /// <summary>The classes present in <paramref name="labels"/>, sorted as the class comment says.</summary>
    /// <exception cref="ArgumentException">Fewer than two distinct labels, or an empty label.</exception>
    public static LabelEncoder Fit(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        int row = 0;
        foreach (var l in labels)
        {
            row++;
            var s = Normalize(l);
            if (s.Length == 0) throw new ArgumentException($"Row {row} has an empty label; every row needs a class.", nameof(labels));
            distinct.Add(s);
        }
        var classes = distinct.All(IsInteger)
            ? distinct.OrderBy(s => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToList()
            : distinct.OrderBy(s => s, StringComparer.Ordinal).ToList();
        return new LabelEncoder(classes);
    }

    /// <summary>The class index of each label.</summary>
    /// <exception cref="ArgumentException">A label that is not one of the classes (the row is 1-based).</exception>
    public int[] Indices(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var idx = new int[labels.Count];
        for (int i = 0; i < idx.Length; i++)
        {
            if (!_index.TryGetValue(Normalize(labels[i]), out idx[i]))
                throw new ArgumentException($"Row {i + 1}: label '{labels[i]}' is not one of the {Count} classes seen in training ({Describe()}).", nameof(labels));
        }
        return idx;
    }

    /// <summary>The one-hot code, n×k: 1 in the label's column, 0 elsewhere.</summary>
    /// <exception cref="ArgumentException">A label that is not one of the classes.</exception>
    public Matrix OneHot(IReadOnlyList<string> labels)
    {
        var idx = Indices(labels);
        var m = new Matrix(idx.Length, Count);
        for (int i = 0; i < idx.Length; i++) m[i, idx[i]] = 1;
        return m;
    }

    /// <summary>The predicted class of each row of scores (n×k): the column with the largest score (the first on ties).</summary>
    /// <exception cref="ArgumentException">The scores do not have one column per class.</exception>
    public string[] Decode(Matrix scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Cols != Count) throw new ArgumentException($"Scores are {scores.Shape} but there are {Count} classes: one column per class.", nameof(scores));
        var o = new string[scores.Rows];
        for (int i = 0; i < o.Length; i++)
        {
            var r = scores.Row(i);
            int best = 0;
            for (int k = 1; k < r.Length; k++) if (r[k] > r[best]) best = k;
            o[i] = Classes[best];
        }
        return o;
    }

    /// <summary>The classes as text for messages (the first ten).</summary>
    public string Describe() => string.Join(", ", Classes.Take(10)) + (Count > 10 ? ", …" : "");

    private static string Normalize(string s) => (s ?? "").Trim();

    private static bool IsInteger(string s) => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
}
