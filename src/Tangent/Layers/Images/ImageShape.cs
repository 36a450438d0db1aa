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

/// <summary>
/// The geometry of a sliding window over an H×W grid: for each output pixel the input pixels under
/// the window, offset by offset (−1 where the window covers zero padding). Shared by the kernel
/// rules and the finite-width twins so both see the same alignment.
/// </summary>
internal sealed class WindowGeometry
{
    public readonly int InHeight, InWidth, OutHeight, OutWidth, WindowSize;
    /// <summary>Input pixel (or −1) for output pixel o and window offset k: Index[o·WindowSize + k].</summary>
    public readonly int[] Index;

    public WindowGeometry(int inHeight, int inWidth, int kh, int kw, int sh, int sw, Padding padding, string layer)
    {
        InHeight = inHeight; InWidth = inWidth; WindowSize = kh * kw;
        (OutHeight, int padTop) = Axis(inHeight, kh, sh, padding, layer, "height");
        (OutWidth, int padLeft) = Axis(inWidth, kw, sw, padding, layer, "width");
        Index = new int[OutHeight * OutWidth * WindowSize];
        int n = 0;
        for (int oy = 0; oy < OutHeight; oy++)
            for (int ox = 0; ox < OutWidth; ox++)
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int y = oy * sh - padTop + dy, x = ox * sw - padLeft + dx;
                        if (padding == Padding.Circular) { y = Mod(y, inHeight); x = Mod(x, inWidth); }
                        Index[n++] = y < 0 || y >= inHeight || x < 0 || x >= inWidth ? -1 : y * inWidth + x;
                    }
    }

    public int OutPixels => OutHeight * OutWidth;

    private static int Mod(int a, int m) => ((a % m) + m) % m;

    private static (int Out, int PadBefore) Axis(int n, int k, int s, Padding padding, string layer, string axis)
    {
        if (padding == Padding.Valid)
        {
            if (n < k)
                throw new ArgumentException($"{layer}: the image {axis} is {n} but the window is {k} with padding=valid; use padding=same, a smaller size, or fewer pooling layers before it.");
            return ((n - k) / s + 1, 0);
        }
        int outN = (n + s - 1) / s;
        int total = Math.Max((outN - 1) * s + k - n, 0);
        return (outN, total / 2);
    }
}
