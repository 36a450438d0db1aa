using Tangent.Experiments;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Completion;

/// <summary>Low-rank matrices and random masks for the completion tests: the completion experiment's own generators.</summary>
internal static class CompletionTestData
{
    /// <summary>U·V with U (m×r) and V (r×n) standard Gaussian, V scaled by 1/√r (entries of variance about 1).</summary>
    public static Matrix LowRank(int m, int n, int rank, int seed) => CompletionExperiment.LowRank(m, n, rank, seed);

    /// <summary>A 0/1 mask with each entry observed with probability <paramref name="fraction"/>, redrawn until every row
    /// and column has at least one observed entry.</summary>
    public static Matrix Mask(int m, int n, double fraction, int seed) => CompletionExperiment.Mask(m, n, fraction, seed);
}
