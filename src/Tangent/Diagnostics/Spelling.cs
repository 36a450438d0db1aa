namespace Tangent.Diagnostics;

/// <summary>"Did you mean …?" for names typed by people: layer names in specs, options and kernels on the command line.</summary>
public static class Spelling
{
    /// <summary>The Levenshtein distance (insertions, deletions and substitutions of one character each cost 1).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The candidate closest to <paramref name="word"/> (case-insensitive), or null when none is within
    /// <paramref name="maxDistance"/> edits (default: a third of the word's length, at least 2).</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates, int? maxDistance = null)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(candidates);
        int limit = maxDistance ?? Math.Max(2, word.Length / 3);
        string lower = word.ToLowerInvariant();
        var best = candidates.Select(c => (c, d: Distance(lower, c.ToLowerInvariant()))).OrderBy(t => t.d).FirstOrDefault();
        return best.c is not null && best.d <= limit ? best.c : null;
    }
}
