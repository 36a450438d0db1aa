using Tangent.Layers;
using Tangent.Models;

namespace Tangent.Tests.Models.Completion;

public sealed class ImageInpaintingTests
{
    [Fact]
    public void OneConvolutionGivesTheInputCorrelationAndCountsTapsAtTheBorder()
    {
        // K'[p, q] = (1/9)·Σ_δ Σ₀[p + δ, q + δ], zero padding: ρ between two interior pixels, 1 on an interior diagonal,
        // 4/9 at a corner (4 of the 9 taps inside).
        var k = new ImageInpainting(Architecture.Parse("conv")) { Get = KernelOutputs.Nngp, InputCorrelation = 0.5 }.PositionKernel(4, 4);
        int P(int r, int c) => r * 4 + c;
        Assert.Equal(1, k[P(1, 1), P(1, 1)], 12);
        Assert.Equal(0.5, k[P(1, 1), P(2, 2)], 12);
        Assert.Equal(4.0 / 9, k[P(0, 0), P(0, 0)], 12);
        Assert.Equal(0.5 * 4 / 9, k[P(0, 0), P(1, 1)], 12);   // only the 4 offsets that keep the corner inside count
    }

    [Fact]
    public void AveragePoolingCorrelatesNeighboursByTheOverlapOfTheirWindows()
    {
        // White-noise input, one conv (interior variance 1), 3×3 pooling with stride 1: K[p, q] = overlap(W(p), W(q))/81.
        var k = new ImageInpainting(Architecture.Parse("conv avg_pool(size=3,stride=1,padding=same)")) { Get = KernelOutputs.Nngp }.PositionKernel(6, 6);
        int P(int r, int c) => r * 6 + c;
        Assert.Equal(9.0 / 81, k[P(2, 2), P(2, 2)], 12);
        Assert.Equal(6.0 / 81, k[P(2, 2), P(2, 3)], 12);
        Assert.Equal(4.0 / 81, k[P(2, 2), P(3, 3)], 12);
        Assert.Equal(0, k[P(2, 2), P(2, 5)], 12);
    }

    [Fact]
    public void InpaintingInterpolatesASmoothImageBetterThanTheMeanOfItsPixels()
    {
        var shape = new ImageShape(12, 12, 2);
        var truth = new double[shape.Features];
        for (int r = 0; r < 12; r++)
            for (int c = 0; c < 12; c++)
            {
                truth[(r * 12 + c) * 2] = Math.Sin(r / 4.0) + c / 12.0;
                truth[(r * 12 + c) * 2 + 1] = Math.Cos(c / 5.0) * r / 12.0;
            }
        var rng = new Random(5);
        var mask = Enumerable.Range(0, shape.Pixels).Select(_ => rng.NextDouble() < 0.5 ? 1.0 : 0.0).ToArray();
        var image = new IncompleteImage(shape, truth, mask);
        var result = ImageInpainting.Default.Inpaint(image);
        for (int k = 0; k < truth.Length; k++)
            if (image.IsObserved(k)) Assert.Equal(truth[k], result.Pixels[k]);
        double mean = Enumerable.Range(0, truth.Length).Where(image.IsObserved).Average(k => truth[k]);
        var zeroFill = InpaintingResult.FromChannels(image, [.. Enumerable.Range(0, 2).Select(c => image.Channel(c).ZeroFilled())], "zero");
        double meanRmse = Math.Sqrt(Enumerable.Range(0, truth.Length).Where(k => !image.IsObserved(k)).Average(k => Math.Pow(truth[k] - mean, 2)));
        Assert.True(result.MissingRmse(truth) < 0.3 * meanRmse, $"CNTK {result.MissingRmse(truth)}, mean fill {meanRmse}");
        Assert.True(zeroFill.MissingRmse(truth) > result.MissingRmse(truth));
    }

    [Fact]
    public void PerValueMaskAndPerPixelMaskAgreeWhenTheyMarkTheSamePixels()
    {
        var shape = new ImageShape(5, 5, 3);
        var rng = new Random(2);
        var pixels = Enumerable.Range(0, shape.Features).Select(_ => rng.NextDouble()).ToArray();
        var perPixel = Enumerable.Range(0, shape.Pixels).Select(p => p % 3 == 0 ? 0.0 : 1.0).ToArray();
        var perValue = Enumerable.Range(0, shape.Features).Select(k => perPixel[k / 3]).ToArray();
        var inpainting = new ImageInpainting(Architecture.Parse("conv relu avg_pool(size=3,stride=1,padding=same) conv"));
        var a = inpainting.Inpaint(new IncompleteImage(shape, pixels, perPixel)).Pixels;
        var b = inpainting.Inpaint(new IncompleteImage(shape, pixels, perValue)).Pixels;
        Assert.Equal(a, b);
    }

    [Fact]
    public void NetworksThatDoNotMapAnImageToAnImageAreRefused()
    {
        var image = IncompleteImage.FromNaN(new ImageShape(4, 4, 1), [.. Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? double.NaN : i)]);
        var readout = Assert.Throws<ArgumentException>(() => new ImageInpainting(Architecture.Parse("conv relu flatten dense")).Inpaint(image));
        Assert.Contains("readout", readout.Message);
        var smaller = Assert.Throws<ArgumentException>(() => new ImageInpainting(Architecture.Parse("conv(padding=valid)")).Inpaint(image));
        Assert.Contains("4×4 image into 2×2", smaller.Message);
    }

    [Fact]
    public void MaskOfTheWrongLengthIsRefusedWithBothSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => new IncompleteImage(new ImageShape(3, 3, 2), new double[18], new double[7]));
        Assert.Contains("7 entries", e.Message);
        Assert.Contains("9 pixels", e.Message);
    }
}
