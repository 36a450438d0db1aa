using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>One point of soft-impute's λ path: the held-out error at that λ and the rank of the fit there.</summary>
/// <param name="Lambda">The threshold λ.</param>
/// <param name="ValidationRmse">RMSE on the held-out observed entries.</param>
/// <param name="Rank">Rank of the fit at λ (singular values above λ).</param>
public sealed record LambdaPoint(double Lambda, double ValidationRmse, int Rank);

/// <summary>
/// A completed matrix (docs/COMPLETION.md): the observed entries exactly as given, the missing ones filled by a
/// method, and what the method chose on the way. Immutable: <see cref="Completed"/> returns a copy.
/// </summary>
public sealed class CompletionResult
{
    private readonly Matrix _completed;

    internal CompletionResult(Matrix completed, IncompleteMatrix input, string method)
    {
        _completed = completed;
        Input = input;
        Method = method;
    }

    /// <summary>The completed matrix (a copy): observed entries as given, missing ones predicted.</summary>
    public Matrix Completed => _completed.Clone();

    /// <summary>The incomplete matrix that was completed.</summary>
    public IncompleteMatrix Input { get; }

    /// <summary>What completed it, e.g. <c>ntk of dense(w=1.41) relu dense, prior observed</c> or <c>soft-impute λ = 0.52</c>.</summary>
    public string Method { get; init; }

    /// <summary>Soft-impute: the threshold λ used (given, or chosen on held-out entries); null for the kernel methods.</summary>
    public double? Lambda { get; init; }

    /// <summary>Soft-impute: the rank of the completed matrix's low-rank part; null for the kernel methods.</summary>
    public int? Rank { get; init; }

    /// <summary>Iterations run: soft-impute's total SVD-thresholding steps, or the kernel completion's passes.</summary>
    public int Iterations { get; init; }

    /// <summary>Soft-impute with λ chosen on held-out entries: the path it was chosen from (largest λ first); empty otherwise.</summary>
    public IReadOnlyList<LambdaPoint> LambdaPath { get; init; } = [];

    /// <summary>RMSE over the missing entries against the true matrix <paramref name="truth"/> (for experiments).</summary>
    /// <exception cref="ArgumentException">The shapes differ, or nothing was missing.</exception>
    public double MissingRmse(Matrix truth) => Input.MissingRmse(_completed, truth);
}
