using System.Numerics;
using System.Runtime.CompilerServices;

namespace Tangent.Layers;

/// <summary>
/// The self pass of <see cref="ConvolutionalKernel"/> over one image: <see cref="K"/> is K(x, x) in the
/// layout, mapped in place (or replaced) by each layer's <see cref="Layer.SelfStep"/>; activations record
/// their input pixel variances (<see cref="Record"/>) for the tile pass.
/// </summary>
internal sealed class ImageSelfPass(double[] k, ImageShape shape, bool full, double[][] slots, int image, int count)
{
    /// <summary>The image's covariance with itself, P or P² values.</summary>
    public double[] K = k;
    /// <summary>The shape coming into the current layer.</summary>
    public ImageShape Shape = shape;
    /// <summary>True for the full P×P layout.</summary>
    public readonly bool Full = full;
    /// <summary>The current layer's window on <see cref="Shape"/> (<see cref="Layer.Window"/>).</summary>
    public WindowGeometry? Window;
    private int _slot;

    /// <summary>Pixels coming into the current layer.</summary>
    public int Pixels => Shape.Pixels;

    /// <summary>The diagonal K[p, p] of the current state into <paramref name="into"/>.</summary>
    public void Diagonal(Span<double> into)
    {
        int P = Pixels;
        for (int p = 0; p < P; p++) into[p] = Full ? K[p * P + p] : K[p];
    }

    /// <summary>Records an activation's input pixel variances ([p·n + image] in the next slot).</summary>
    public void Record(ReadOnlySpan<double> variances)
    {
        var slot = slots[_slot++];
        for (int p = 0; p < variances.Length; p++) slot[p * count + image] = variances[p];
    }
}

/// <summary>
/// The tile pass of <see cref="ConvolutionalKernel"/>: image row i of X1 against images [J0, J0 + Len) of X2.
/// The state buffers are pixel-pair-major, segment-minor ([pair·Len + j]): <see cref="A"/> the NNGP,
/// <see cref="B"/> the NTK (empty without it); a layer writes into <see cref="A2"/>/<see cref="B2"/> and
/// calls <see cref="Swap"/>, or maps in place. Activations read the recorded variances in slot order.
/// </summary>
internal sealed class ImageTilePass(int pairs, int segment, bool withNtk)
{
    public double[] A = new double[pairs * segment], B = withNtk ? new double[pairs * segment] : [];
    public double[] A2 = new double[pairs * segment], B2 = withNtk ? new double[pairs * segment] : [];
    public readonly bool WithNtk = withNtk;
    /// <summary>True for the full P×P layout.</summary>
    public bool Full;
    /// <summary>The shape coming into the current layer, and its window.</summary>
    public ImageShape Shape;
    public WindowGeometry? Window;
    /// <summary>Row i, first column J0, segment length Len; n1 and n2 index the recorded variances.</summary>
    public int I, J0, Len, N1, N2, Slot;
    /// <summary>Recorded input variances (pixel-major, [p·n + image]) and their square roots, per activation, of X1 and X2.</summary>
    public double[][] Cov1 = [], Sqrt1 = [], Cov2 = [], Sqrt2 = [];
    private double[] _temp = [];

    /// <summary>Pixels coming into the current layer.</summary>
    public int Pixels => Shape.Pixels;

    /// <summary>Pairs per buffer in the current layout.</summary>
    public int Pairs => Full ? Pixels * Pixels : Pixels;

    /// <summary>Exchanges the input and output buffers after a layer wrote into A2/B2.</summary>
    public void Swap() { (A, A2) = (A2, A); (B, B2) = (B2, B); }

    /// <summary>A scratch buffer of at least <paramref name="size"/> values.</summary>
    public double[] Temp(int size) => _temp.Length >= size ? _temp : _temp = new double[size];
}

/// <summary>Vector helpers of the image rules (segments of the pass buffers).</summary>
internal static class ImageMath
{
    /// <summary>y += x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ReadOnlySpan<double> x, Span<double> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            for (; j + Vector<double>.Count <= x.Length; j += Vector<double>.Count)
                (new Vector<double>(x[j..]) + new Vector<double>(y[j..])).CopyTo(y[j..]);
        }
        for (; j < x.Length; j++) y[j] += x[j];
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            for (; j + Vector<double>.Count <= x.Length; j += Vector<double>.Count)
                (va * new Vector<double>(x[j..]) + new Vector<double>(y[j..])).CopyTo(y[j..]);
        }
        for (; j < x.Length; j++) y[j] += a * x[j];
    }
}
