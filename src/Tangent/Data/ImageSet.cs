using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// A set of n images of H×W pixels with C channels: the pixels as a matrix n×(H·W·C) in
/// H, W, C order (pixel (h, w, c) of image i is <c>Pixels[i, (h·W + w)·C + c]</c>, the NHWC layout of
/// Neural Tangents' convolutions), usually scaled to [0, 1], and the integer labels.
/// </summary>
public sealed class ImageSet
{
    /// <summary>Number of images n.</summary>
    public int Count => Pixels.Rows;

    /// <summary>Image height H.</summary>
    public int Height { get; }

    /// <summary>Image width W.</summary>
    public int Width { get; }

    /// <summary>Channels per pixel C (1 for grey, 3 for RGB).</summary>
    public int Channels { get; }

    /// <summary>The pixels, n×(H·W·C), H, W, C order.</summary>
    public Matrix Pixels { get; }

    /// <summary>The label of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Class names (label i is ClassNames[i]).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Creates an image set.</summary>
    /// <exception cref="ArgumentException">The pixel matrix or labels do not fit the dimensions.</exception>
    public ImageSet(int height, int width, int channels, Matrix pixels, int[] labels, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if ((long)height * width * channels != pixels.Cols)
            throw new ArgumentException($"Images of {height}×{width}×{channels} need {(long)height * width * channels} columns; the pixel matrix is {pixels.Shape}.", nameof(pixels));
        if (labels.Length != pixels.Rows)
            throw new ArgumentException($"There are {pixels.Rows} images but {labels.Length} labels; give one label per image.", nameof(labels));
        Height = height;
        Width = width;
        Channels = channels;
        Pixels = pixels;
        Labels = labels;
        int k = labels.Length == 0 ? 0 : labels.Max() + 1;
        ClassNames = classNames ?? Enumerable.Range(0, k).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Values per image, H·W·C.</summary>
    public int PixelsPerImage => Pixels.Cols;

    /// <summary>The shape (n, H, W, C), e.g. to write the pixels as a 4-D .npy array.</summary>
    public int[] Shape => [Count, Height, Width, Channels];

    /// <summary>The first <paramref name="count"/> images (copies; all of them when count ≥ n).</summary>
    public ImageSet Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int m = Math.Min(count, Count);
        return new ImageSet(Height, Width, Channels, Pixels.SliceRows(0, m), Labels[..m], ClassNames);
    }

    /// <summary>The images at the given indices, in that order (copies).</summary>
    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new ImageSet(Height, Width, Channels, Pixels.SelectRows(indices), indices.Select(i => Labels[i]).ToArray(), ClassNames);
    }

    /// <summary>The images whose label is in <paramref name="classes"/>, relabelled 0..m-1 in the order given (e.g. CIFAR-2 = classes 0 and 1).</summary>
    public ImageSet WhereClass(params int[] classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var map = new Dictionary<int, int>();
        for (int i = 0; i < classes.Length; i++)
            if (!map.TryAdd(classes[i], i)) throw new ArgumentException($"Class {classes[i]} is listed twice.", nameof(classes));
        var idx = Enumerable.Range(0, Count).Where(i => map.ContainsKey(Labels[i])).ToArray();
        var names = classes.Select(c => c < ClassNames.Count ? ClassNames[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new ImageSet(Height, Width, Channels, Pixels.SelectRows(idx), idx.Select(i => map[Labels[i]]).ToArray(), names);
    }

    /// <summary>A copy with other pixel values of the same shape (e.g. after normalisation).</summary>
    public ImageSet WithPixels(Matrix pixels) => new(Height, Width, Channels, pixels, Labels, ClassNames);

    /// <summary>The most classes a label file may imply (labels 0..MaxClasses-1); a larger label is taken for a corrupt or wrongly encoded file.</summary>
    public const int MaxClasses = 1 << 20;

    /// <summary>One-hot targets n×k with an optional shift (Arora et al. 2019 use -0.1).</summary>
    public Matrix OneHot(double shift = 0) => Preprocessing.OneHot(Labels, ClassCount, shift);

    /// <summary>
    /// Builds an image set from NumPy arrays: images of shape (n, H, W, C) or (n, H, W) (then C = 1),
    /// channels last, and integer labels of shape (n,) or (n, 1).
    /// </summary>
    /// <param name="imagesPath">The image array (<c>.npy</c> or <c>.npy.gz</c>).</param>
    /// <param name="labelsPath">The label array.</param>
    /// <param name="scale">Multiplies every pixel, e.g. 1/255 for uint8 images (default 1).</param>
    /// <exception cref="DataFormatException">A shape is not as described, the counts differ, or a label is not a non-negative integer.</exception>
    public static ImageSet FromNpy(string imagesPath, string labelsPath, double scale = 1.0)
    {
        var img = Npy.Read(imagesPath);
        if (img.Rank is not (3 or 4))
            throw new DataFormatException(imagesPath,
                $"expected images of shape (n, H, W, C) or (n, H, W), got {img.ShapeText}. Reshape to channels-last (e.g. arr.transpose(0, 2, 3, 1) for (n, C, H, W)).");
        var lab = Npy.Read(labelsPath);
        if (!(lab.Rank == 1 || lab.Rank == 2 && lab.Shape[1] == 1))
            throw new DataFormatException(labelsPath, $"expected labels of shape (n,) or (n, 1), got {lab.ShapeText}. Give class indices, not one-hot rows (use argmax).");
        if (lab.Shape[0] != img.Shape[0])
            throw new DataFormatException(labelsPath, $"{lab.Shape[0]} labels for {img.Shape[0]} images in '{imagesPath}'. Give one label per image.");
        var labels = new int[lab.Shape[0]];
        for (int i = 0; i < labels.Length; i++)
        {
            double v = lab.Values.Data[i];
            if (v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                throw new DataFormatException(labelsPath, i + 1, null, $"label {v} is not a non-negative integer class index.");
            if (v >= MaxClasses)
                throw new DataFormatException(labelsPath, i + 1, null,
                    $"label {v} would make {v + 1} classes (one-hot targets of {v + 1} columns); at most {MaxClasses} classes are supported. Labels must be class indices 0..k-1: remap them first.");
            labels[i] = (int)v;
        }
        var px = img.Values;
        if (scale != 1.0)
            foreach (ref double p in px.Data.AsSpan()) p *= scale;
        return new ImageSet(img.Shape[1], img.Shape[2], img.Rank == 4 ? img.Shape[3] : 1, px, labels);
    }
}

/// <summary>
/// Per-channel normalisation of images: subtract each channel's mean and divide by its standard
/// deviation (population std over all images and pixels), both fitted on training images and then
/// applied unchanged to test images. A constant channel keeps scale 1.
/// </summary>
public static class ChannelNormalizer
{
    /// <summary>Fits per-channel means and standard deviations on <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">The set is empty.</exception>
    public static FittedChannelNormalizer Fit(ImageSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("Cannot fit a channel normaliser on an empty image set.", nameof(train));
        int c = train.Channels;
        var sum = new double[c];
        var data = train.Pixels.Data;
        for (long i = 0; i < data.LongLength; i++) sum[i % c] += data[i];
        long per = data.LongLength / c;
        var mean = sum.Select(s => s / per).ToArray();
        var ss = new double[c];
        for (long i = 0; i < data.LongLength; i++)
        {
            double d = data[i] - mean[i % c];
            ss[i % c] += d * d;
        }
        var std = ss.Select((s, k) =>
        {
            double sd = Math.Sqrt(s / per);
            return sd <= 1e-12 * (1 + Math.Abs(mean[k])) ? 1.0 : sd;
        }).ToArray();
        return new FittedChannelNormalizer(mean, std);
    }
}

/// <summary>Fitted per-channel means and standard deviations (see <see cref="ChannelNormalizer"/>).</summary>
public sealed class FittedChannelNormalizer
{
    private readonly double[] _mean, _std;

    internal FittedChannelNormalizer(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
    }

    /// <summary>The channel means.</summary>
    public IReadOnlyList<double> Means => _mean;

    /// <summary>The channel standard deviations (1 for a constant channel).</summary>
    public IReadOnlyList<double> StandardDeviations => _std;

    /// <summary>Returns a copy of <paramref name="images"/> with (x - mean_c)/std_c in every channel c.</summary>
    /// <exception cref="ArgumentException">The channel count differs from the fitted one.</exception>
    public ImageSet Transform(ImageSet images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Channels != _mean.Length)
            throw new ArgumentException($"The normaliser was fitted on {_mean.Length} channels but the images have {images.Channels}.", nameof(images));
        var p = images.Pixels.Clone();
        int c = _mean.Length;
        var d = p.Data;
        for (long i = 0; i < d.LongLength; i++) d[i] = (d[i] - _mean[i % c]) / _std[i % c];
        return images.WithPixels(p);
    }
}
