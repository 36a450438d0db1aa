using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// An image H×W×C (values in H, W, C order, channels last, as everywhere in Tangent) with missing values
/// (docs/COMPLETION.md). The mask has one entry per pixel (H·W: a pixel is missing in every channel) or one per value
/// (H·W·C); 1 = observed, 0 = missing. Immutable.
/// </summary>
public sealed class IncompleteImage
{
    private readonly double[] _values;   // 0 where missing
    private readonly bool[] _observed;   // per value

    private IncompleteImage(ImageShape shape, double[] values, bool[] observed)
    {
        Shape = shape;
        _values = values;
        _observed = observed;
        ObservedCount = observed.Count(o => o);
        if (ObservedCount == 0) throw new ArgumentException($"No value of the {shape} image is observed; inpainting needs observed pixels to start from.");
    }

    /// <summary>An image and its mask (H·W entries, one per pixel, or H·W·C, one per value).</summary>
    /// <exception cref="ArgumentException">The image does not have H·W·C values, the mask has neither H·W nor H·W·C entries, a mask
    /// entry is neither 0 nor 1, an observed value is not finite, or nothing is observed.</exception>
    public IncompleteImage(ImageShape shape, IReadOnlyList<double> pixels, IReadOnlyList<double> mask)
        : this(shape, Build(shape, pixels, mask, out var observed), observed) { }

    /// <summary>An image whose NaN values are the missing ones.</summary>
    /// <exception cref="ArgumentException">The image does not have H·W·C values, a value is ±∞, or every value is NaN.</exception>
    public static IncompleteImage FromNaN(ImageShape shape, IReadOnlyList<double> pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckLength(shape, pixels.Count, "image");
        var v = new double[pixels.Count];
        var o = new bool[v.Length];
        for (int k = 0; k < v.Length; k++)
        {
            double x = pixels[k];
            if (double.IsNaN(x)) continue;
            if (!double.IsFinite(x))
                throw new ArgumentException($"The image has {IncompleteMatrix.Text(x)} at {Where(shape, k)}; a missing value is NaN, an observed one a finite number.");
            v[k] = x;
            o[k] = true;
        }
        return new IncompleteImage(shape, v, o);
    }

    /// <summary>The image shape.</summary>
    public ImageShape Shape { get; }

    /// <summary>Observed values (over all channels).</summary>
    public int ObservedCount { get; }

    /// <summary>Missing values (over all channels).</summary>
    public int MissingCount => _values.Length - ObservedCount;

    /// <summary>True when value k (index in H, W, C order) is observed.</summary>
    public bool IsObserved(int k) => _observed[k];

    /// <summary>The values with zeros where missing, a copy.</summary>
    public double[] ZeroFilled() => (double[])_values.Clone();

    /// <summary>The mask, one entry per value (1 observed, 0 missing).</summary>
    public double[] Mask() => [.. _observed.Select(o => o ? 1.0 : 0.0)];

    /// <summary>Channel <paramref name="c"/> as an H×W incomplete matrix (for matrix methods such as <see cref="SoftImpute"/>).</summary>
    public IncompleteMatrix Channel(int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(c, Shape.Channels);
        int h = Shape.Height, w = Shape.Width, ch = Shape.Channels;
        var values = new Matrix(h, w);
        var mask = new Matrix(h, w);
        for (int p = 0; p < h * w; p++)
        {
            values.Data[p] = _values[p * ch + c];
            mask.Data[p] = _observed[p * ch + c] ? 1 : 0;
        }
        if (mask.Data.All(m => m == 0))
            throw new ArgumentException($"Channel {c + 1} of the {Shape} image has no observed value; a matrix method needs some in every channel.");
        return new IncompleteMatrix(values, mask);
    }

    /// <summary>The observed values, and <paramref name="fill"/> (H·W·C values) where missing.</summary>
    internal double[] Merge(double[] fill)
    {
        var m = new double[_values.Length];
        for (int k = 0; k < m.Length; k++) m[k] = _observed[k] ? _values[k] : fill[k];
        return m;
    }

    internal double ValueAt(int k) => _values[k];

    internal static string Where(ImageShape shape, int k)
    {
        int c = k % shape.Channels, p = k / shape.Channels;
        return $"row {p / shape.Width + 1}, column {p % shape.Width + 1}" + (shape.Channels > 1 ? $", channel {c + 1}" : "");
    }

    private static void CheckLength(ImageShape shape, int count, string what)
    {
        shape.Validate();
        if (count != shape.Features)
            throw new ArgumentException($"The {what} has {count} values but an image of {shape} has {shape.Features} (H·W·C).");
    }

    private static double[] Build(ImageShape shape, IReadOnlyList<double> pixels, IReadOnlyList<double> mask, out bool[] observed)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(mask);
        CheckLength(shape, pixels.Count, "image");
        int ch = shape.Channels;
        bool perPixel = mask.Count == shape.Pixels;
        if (!perPixel && mask.Count != shape.Features)
            throw new ArgumentException($"The mask has {mask.Count} entries but the {shape} image has {shape.Pixels} pixels ({shape.Features} values); give one mask entry per pixel (H×W) or per value (H×W×C), 1 = observed, 0 = missing.");
        var v = new double[pixels.Count];
        observed = new bool[v.Length];
        for (int k = 0; k < v.Length; k++)
        {
            int mk = perPixel ? k / ch : k;
            double m = mask[mk];
            if (m != 0 && m != 1)
                throw new ArgumentException($"The mask has {IncompleteMatrix.Text(m)} at {(perPixel ? Where(new ImageShape(shape.Height, shape.Width, 1), mk) : Where(shape, mk))}; use 1 for an observed value and 0 for a missing one.");
            if (m == 0) continue;
            double x = pixels[k];
            if (!double.IsFinite(x))
                throw new ArgumentException($"The image has {IncompleteMatrix.Text(x)} at {Where(shape, k)}, which the mask marks observed; give a finite value or mark it 0 (missing) in the mask.");
            v[k] = x;
            observed[k] = true;
        }
        return v;
    }
}

/// <summary>An inpainted image: the observed values as given, the missing ones predicted. Immutable.</summary>
public sealed class InpaintingResult
{
    private readonly double[] _pixels;

    internal InpaintingResult(double[] pixels, IncompleteImage input, string method)
    {
        _pixels = pixels;
        Input = input;
        Method = method;
    }

    /// <summary>Assembles the result of a matrix method run channel by channel (<see cref="IncompleteImage.Channel"/>).</summary>
    /// <exception cref="ArgumentException">Not one H×W matrix per channel.</exception>
    public static InpaintingResult FromChannels(IncompleteImage input, IReadOnlyList<Matrix> channels, string method)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(channels);
        var s = input.Shape;
        if (channels.Count != s.Channels || channels.Any(m => m.Rows != s.Height || m.Cols != s.Width))
            throw new ArgumentException($"Expected {s.Channels} channel matrices of {s.Height}×{s.Width}.");
        var fill = new double[s.Features];
        for (int p = 0; p < s.Pixels; p++)
            for (int c = 0; c < s.Channels; c++) fill[p * s.Channels + c] = channels[c].Data[p];
        return new InpaintingResult(input.Merge(fill), input, method);
    }

    /// <summary>The inpainted image (H·W·C values, a copy).</summary>
    public double[] Pixels => (double[])_pixels.Clone();

    /// <summary>The image shape.</summary>
    public ImageShape Shape => Input.Shape;

    /// <summary>The incomplete image.</summary>
    public IncompleteImage Input { get; }

    /// <summary>What inpainted it.</summary>
    public string Method { get; }

    /// <summary>RMSE over the missing values against <paramref name="truth"/>.</summary>
    /// <exception cref="ArgumentException">The truth has another size, or nothing was missing.</exception>
    public double MissingRmse(IReadOnlyList<double> truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (truth.Count != _pixels.Length) throw new ArgumentException($"The true image has {truth.Count} values; expected {_pixels.Length}.");
        if (Input.MissingCount == 0) throw new ArgumentException("No value is missing, so there is no error on missing values to measure.");
        double s = 0;
        for (int k = 0; k < _pixels.Length; k++)
        {
            if (Input.IsObserved(k)) continue;
            double d = _pixels[k] - truth[k];
            s += d * d;
        }
        return Math.Sqrt(s / Input.MissingCount);
    }

    /// <summary>Peak signal-to-noise ratio over the missing values, 10·log10(peak² / MSE) in dB (peak: the value range, e.g. 1 or 255).</summary>
    public double Psnr(IReadOnlyList<double> truth, double peak)
    {
        if (!(peak > 0)) throw new ArgumentOutOfRangeException(nameof(peak), peak, "The peak value must be positive (1 for images in [0, 1], 255 for 8-bit).");
        double rmse = MissingRmse(truth);
        return 10 * Math.Log10(peak * peak / (rmse * rmse));
    }
}
