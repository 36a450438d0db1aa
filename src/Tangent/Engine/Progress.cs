namespace Tangent.Engine;

/// <summary>How far a long operation has come; reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Done">Units of work finished (e.g. kernel entries).</param>
/// <param name="Total">Units of work in all.</param>
/// <param name="Stage">What is being done, e.g. "kernel 2000×1000".</param>
/// <param name="Elapsed">Time since the operation started.</param>
public readonly record struct ProgressInfo(long Done, long Total, string Stage, TimeSpan Elapsed)
{
    /// <summary>Fraction done in [0, 1].</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Done / Total, 0, 1);

    /// <summary>Estimated time left, by linear extrapolation (null before any progress).</summary>
    public TimeSpan? Remaining => Done <= 0 || Total <= 0 ? null : TimeSpan.FromSeconds(Elapsed.TotalSeconds * (Total - Done) / Done);
}
