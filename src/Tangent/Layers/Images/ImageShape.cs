namespace Tangent.Layers;

/// <summary>The shape of one image, H×W×C, stored row-major in H, W, C order (channels last), as
/// <see cref="Data.ImageSet"/> and Neural Tangents' NHWC layout. A 1-D signal of length L with C
/// channels is the image 1×L×C.</summary>
/// <param name="Height">Rows H ≥ 1.</param>
/// <param name="Width">Columns W ≥ 1.</param>
/// <param name="Channels">Channels C ≥ 1.</param>
public readonly record struct ImageShape(int Height, int Width, int Channels)
{
    /// <summary>Pixels P = H·W.</summary>
    public int Pixels => Height * Width;

    /// <summary>Features per image H·W·C (the columns of the input matrix).</summary>
    public int Features => Height * Width * Channels;

    /// <summary>Throws when a dimension is below 1.</summary>
    /// <exception cref="ArgumentException">A dimension is below 1.</exception>
    public void Validate()
    {
        if (Height < 1 || Width < 1 || Channels < 1)
            throw new ArgumentException($"Image shape {this} is invalid: height, width and channels must all be ≥ 1.");
    }

    /// <summary>Parses "HxWxC" (or "HxW" for one channel), e.g. "28x28x1".</summary>
    /// <exception cref="FormatException">Not of that form.</exception>
    public static ImageShape Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('x', 'X', '×', ',');
        if (parts.Length is < 2 or > 3 || !parts.All(p => int.TryParse(p.Trim(), out int v) && v >= 1))
            throw new FormatException($"Image shape '{text}' must be HxWxC with whole numbers ≥ 1, e.g. 28x28x1 or 32x32x3.");
        var v = parts.Select(p => int.Parse(p.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new ImageShape(v[0], v[1], v.Length == 3 ? v[2] : 1);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Height}x{Width}x{Channels}";
}

/// <summary>How a convolution or pooling window treats the border (Neural Tangents <c>Padding</c>).</summary>
public enum Padding
{
    /// <summary>Zero padding, output size ⌈in/stride⌉ (TensorFlow's convention: extra padding after). The default.</summary>
    Same,
    /// <summary>No padding: output size ⌊(in − k)/stride⌋ + 1.</summary>
    Valid,
    /// <summary>Periodic (wrap-around) padding, output size ⌈in/stride⌉.</summary>
    Circular,
}
