namespace Tangent.Kernels;

/// <summary>
/// A kernel matrix came out with NaN or ±infinity although its inputs were finite: an intermediate
/// (an inner product, a squared norm, a power) went beyond the largest double, about 1.8e308. The
/// one-line message names the kernel, the first bad entry (1-based), what overflowed and what to
/// do: rescale or standardize the inputs, or choose a smaller degree or γ.
/// </summary>
/// <remarks>
/// Derives from <see cref="InvalidOperationException"/> (not <see cref="ArithmeticException"/>), so
/// callers such as the command line report it as a problem with the input, not as a crash.
/// </remarks>
public sealed class KernelOverflowException : InvalidOperationException
{
    /// <summary>The kernel, as <see cref="IKernel.Describe"/> gives it.</summary>
    public string Kernel { get; }

    /// <summary>The 1-based row of the first bad entry of the kernel matrix (row-major order).</summary>
    public int Row { get; }

    /// <summary>The 1-based column of the first bad entry.</summary>
    public int Column { get; }

    /// <summary>Creates the exception.</summary>
    /// <param name="kernel">The kernel's description.</param>
    /// <param name="row">The 1-based row of the first bad entry.</param>
    /// <param name="column">The 1-based column of the first bad entry.</param>
    /// <param name="message">What overflowed and what to do, on one line.</param>
    public KernelOverflowException(string kernel, int row, int column, string message) : base(message)
    {
        Kernel = kernel ?? "";
        Row = row;
        Column = column;
    }
}
