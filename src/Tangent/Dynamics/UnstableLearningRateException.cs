namespace Tangent.Dynamics;

/// <summary>
/// A learning rate at or above the largest stable rate of gradient descent (2/σ₁² for linear
/// regression, 2N/λ_max(Θ) in the kernel regime; docs/DYNAMICS.md). It carries the numbers so that a
/// front end can word the fix in its own terms (the command line names its flags).
/// </summary>
public sealed class UnstableLearningRateException : ArgumentException
{
    /// <summary>Creates the exception with its numbers and the library's message.</summary>
    /// <param name="learningRate">The rate asked for.</param>
    /// <param name="bound">The largest stable rate.</param>
    /// <param name="boundFormula">How the bound is made, e.g. "2/σ₁²" or "2N/λ_max".</param>
    /// <param name="message">The whole message.</param>
    public UnstableLearningRateException(double learningRate, double bound, string boundFormula, string message)
        : base(message)
    {
        LearningRate = learningRate;
        Bound = bound;
        BoundFormula = boundFormula;
    }

    /// <summary>The learning rate asked for.</summary>
    public double LearningRate { get; }

    /// <summary>The largest stable learning rate.</summary>
    public double Bound { get; }

    /// <summary>The formula of the bound (for messages).</summary>
    public string BoundFormula { get; }
}
