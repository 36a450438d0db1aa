using System.Globalization;
using SkiaSharp;
using Tangent.Data;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="CompletionExperiment"/>.</summary>
public sealed record CompletionSettings
{
    /// <summary>Rows and columns of the synthetic matrices (square).</summary>
    public int Size { get; init; } = 100;

    /// <summary>Ranks of the synthetic matrices.</summary>
    public int[] Ranks { get; init; } = [3, 10];

    /// <summary>Observed fractions of the matrices.</summary>
    public double[] Fractions { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8];

    /// <summary>Standard deviation of Gaussian noise added to the observed matrix entries (the error is measured against the noiseless matrix).</summary>
    public double Noise { get; init; }

    /// <summary>Passes of the iterated NTK completion (the one-pass paper method is always run too).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Side of the square test images.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Observed fractions of the image pixels.</summary>
    public double[] ImageFractions { get; init; } = [0.2, 0.3, 0.5, 0.7, 0.9];

    /// <summary>The fraction shown in the before/after panel.</summary>
    public double PanelFraction { get; init; } = 0.3;

    /// <summary>The inpainting network (<see cref="ImageInpainting.DefaultArchitecture"/> by default).</summary>
    public string ImageArchitecture { get; init; } = ImageInpainting.DefaultArchitecture;

    /// <summary>Random seed (matrices, masks, noise, held-out splits).</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Matrix completion and inpainting with neural kernels against soft-impute (docs/COMPLETION.md): (a) synthetic
/// low-rank matrices U·V (Gaussian factors) with a growing fraction of observed entries, RMSE on the missing entries for
/// the NTK completion of Radhakrishnan et al. (one pass, and iterated) and for soft-impute with λ chosen on held-out
/// observed entries; (b) two images with missing pixels (a montage of four embedded digits, upsampled, and a synthetic
/// scene), PSNR on the missing pixels for the CNTK of a fully convolutional network and for soft-impute.
/// </summary>
public static class CompletionExperiment
{
    /// <summary>One matrix run.</summary>
    /// <param name="Rank">Rank of the matrix.</param>
    /// <param name="Fraction">Observed fraction asked for.</param>
    /// <param name="NtkRmse">NTK completion, one pass (the paper's method).</param>
    /// <param name="IteratedRmse">NTK completion, <see cref="CompletionSettings.Iterations"/> passes.</param>
    /// <param name="SoftImputeRmse">Soft-impute with the held-out λ.</param>
    /// <param name="Lambda">The λ soft-impute chose.</param>
    /// <param name="MeanRmse">Filling with each row's observed mean.</param>
    public sealed record MatrixPoint(int Rank, double Fraction, double NtkRmse, double IteratedRmse, double SoftImputeRmse, double Lambda, double MeanRmse);

    /// <summary>One image run.</summary>
    /// <param name="Image">The image's name.</param>
    /// <param name="Fraction">Observed fraction of pixels.</param>
    /// <param name="CntkPsnr">PSNR (dB, peak 1) of the CNTK inpainting on the missing pixels.</param>
    /// <param name="SoftImputePsnr">PSNR of soft-impute (λ held out).</param>
    /// <param name="MeanPsnr">PSNR of filling with the mean observed pixel.</param>
    public sealed record ImagePoint(string Image, double Fraction, double CntkPsnr, double SoftImputePsnr, double MeanPsnr);

    /// <summary>The before/after images of one test image at <see cref="CompletionSettings.PanelFraction"/>.</summary>
    /// <param name="Image">The image's name.</param>
    /// <param name="Truth">The true image.</param>
    /// <param name="Input">The incomplete image.</param>
    /// <param name="Cntk">The CNTK inpainting.</param>
    /// <param name="SoftImpute">The soft-impute inpainting.</param>
    public sealed record Panel(string Image, double[] Truth, IncompleteImage Input, double[] Cntk, double[] SoftImpute);

    /// <summary>The results.</summary>
    /// <param name="Matrices">One row per rank and fraction.</param>
    /// <param name="Images">One row per image and fraction.</param>
    /// <param name="Panels">One per image.</param>
    /// <param name="Seconds">Wall time of each part.</param>
    public sealed record Result(IReadOnlyList<MatrixPoint> Matrices, IReadOnlyList<ImagePoint> Images, IReadOnlyList<Panel> Panels, (double Matrices, double Images) Seconds);

    /// <summary>Runs the experiment.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static Result Run(CompletionSettings settings, IProgress<Engine.ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Check(settings);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = new Engine.ComputeOptions { CancellationToken = cancellationToken };
        int total = settings.Ranks.Length * settings.Fractions.Length + 2 * settings.ImageFractions.Length, done = 0;
        void Step() => progress?.Report(new Engine.ProgressInfo(++done, total, "completion", clock.Elapsed));

        var matrices = new List<MatrixPoint>();
        int n = settings.Size;
        foreach (int rank in settings.Ranks)
        {
            var truth = LowRank(n, n, rank, settings.Seed * 1000 + rank);
            var noisy = truth.Clone();
            var noise = new Random(settings.Seed * 1000 + rank + 500);
            if (settings.Noise > 0) for (int k = 0; k < noisy.Data.Length; k++) noisy.Data[k] += settings.Noise * Gauss(noise);
            foreach (double f in settings.Fractions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var data = new IncompleteMatrix(noisy, Mask(n, n, f, settings.Seed * 7919 + rank * 31 + (int)(f * 1000)));
                double ntk = NeuralMatrixCompletion.Default.Complete(data, null, options).MissingRmse(truth);
                double iterated = (NeuralMatrixCompletion.Default with { Iterations = settings.Iterations }).Complete(data, null, options).MissingRmse(truth);
                var soft = new SoftImpute { Seed = settings.Seed }.Complete(data, options);
                matrices.Add(new MatrixPoint(rank, f, ntk, iterated, soft.MissingRmse(truth), soft.Lambda ?? double.NaN, data.MissingRmse(RowMeans(data), truth)));
                Step();
            }
        }
        double matrixSeconds = clock.Elapsed.TotalSeconds;

        var inpainting = new ImageInpainting(Architecture.Parse(settings.ImageArchitecture));
        int s = settings.ImageSize;
        var kernel = inpainting.PositionKernel(s, s, options);
        var images = new List<ImagePoint>();
        var panels = new List<Panel>();
        var shape = new ImageShape(s, s, 1);
        foreach (var (name, truth) in new[] { ("digits", Digits(s)), ("synthetic", Scene(s)) })
        {
            foreach (double f in settings.ImageFractions.Append(settings.PanelFraction).Distinct())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var mask = Mask(s, s, f, settings.Seed * 104729 + (int)(f * 1000) + name.Length);
                var input = new IncompleteImage(shape, truth, mask.Data);
                var cntk = inpainting.Inpaint(input, kernel, options);
                var soft = InpaintingResult.FromChannels(input, [new SoftImpute { Seed = settings.Seed }.Complete(input.Channel(0), options).Completed], "soft-impute");
                double mean = Enumerable.Range(0, truth.Length).Where(input.IsObserved).Average(k => truth[k]);
                var meanFill = InpaintingResult.FromChannels(input, [Matrix.Build(s, s, (_, _) => mean)], "mean");
                if (settings.ImageFractions.Contains(f))
                {
                    images.Add(new ImagePoint(name, f, cntk.Psnr(truth, 1), soft.Psnr(truth, 1), meanFill.Psnr(truth, 1)));
                    Step();
                }
                if (f == settings.PanelFraction) panels.Add(new Panel(name, truth, input, cntk.Pixels, soft.Pixels));
            }
        }
        return new Result(matrices, images, panels, (matrixSeconds, clock.Elapsed.TotalSeconds - matrixSeconds));
    }

    /// <summary>Writes the report section.</summary>
    public static void AddTo(Report report, Result r, CompletionSettings s, string prefix = "completion")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Heading("(a) Synthetic low-rank matrices");
        report.Paragraph($"{s.Size}×{s.Size} matrices U·V of rank r (Gaussian factors, entries of variance about 1){(s.Noise > 0 ? $", observed with N(0, {Report.Num(s.Noise)}²) noise" : ", noiseless")}; " +
                         "each entry observed with the probability on the x-axis. RMSE on the missing entries against the true matrix for: " +
                         "the NTK completion of Radhakrishnan et al. (one-hidden-layer ReLU NTK between columns, each column's observed values as its features, one kernel regression per row: the paper's method and the infinite-width autoencoder view), " +
                         $"the same fed back {s.Iterations} times (each pass uses the previous completion as the features), soft-impute (Mazumder et al. 2010, λ chosen on 10 % of the observed entries held out, 20-point path with warm starts) and each row's observed mean. " +
                         $"Run time {Report.Num(r.Seconds.Matrices)} s.");
        foreach (int rank in s.Ranks)
        {
            var pts = r.Matrices.Where(p => p.Rank == rank).ToList();
            var x = pts.Select(p => p.Fraction).ToArray();
            report.Image($"{prefix}-rank{rank}.png", Charts.Lines($"Completion of a {s.Size}×{s.Size} matrix of rank {rank}", "observed fraction", "log10(RMSE on missing entries)",
            [
                new Series("NTK, one pass (Radhakrishnan et al.)", x, pts.Select(p => Math.Log10(p.NtkRmse)).ToArray()),
                new Series($"NTK, {s.Iterations} passes", x, pts.Select(p => Math.Log10(p.IteratedRmse)).ToArray()),
                new Series("soft-impute (held-out λ)", x, pts.Select(p => Math.Log10(p.SoftImputeRmse)).ToArray()),
                new Series("row means", x, pts.Select(p => Math.Log10(p.MeanRmse)).ToArray()),
            ]), $"RMSE against observed fraction, rank {rank}");
        }
        report.Table(["rank", "observed", "NTK", $"NTK ×{s.Iterations}", "soft-impute", "λ", "row means"],
            r.Matrices.Select(p => (IReadOnlyList<string>)[p.Rank.ToString(CultureInfo.InvariantCulture), Report.Num(p.Fraction), Report.Num(p.NtkRmse),
                Report.Num(p.IteratedRmse), Report.Num(p.SoftImputeRmse), Report.Num(p.Lambda), Report.Num(p.MeanRmse)]), $"{prefix}-matrices.csv");
        report.Paragraph(MatrixVerdict(r));

        report.Heading("(b) Images with missing pixels");
        report.Paragraph($"Two {s.ImageSize}×{s.ImageSize} grey images in [0, 1]: four embedded 8×8 digits, each upsampled bilinearly ×{s.ImageSize / 16} and set 2×2, and a synthetic scene " +
                         "(a ramp, a disc, a square and a stripe pattern). Each pixel is observed with the probability on the x-axis. " +
                         $"PSNR (dB, peak 1) on the missing pixels for the CNTK inpainting (the NTK between the output pixels of the fully convolutional network `{s.ImageArchitecture}` on a white-noise input, " +
                         "kernel regression from the observed pixels) and for soft-impute on the image as a matrix; the mean observed pixel as a floor. " +
                         $"Run time {Report.Num(r.Seconds.Images)} s (the pixel kernel is computed once).");
        foreach (var name in r.Images.Select(p => p.Image).Distinct())
        {
            var pts = r.Images.Where(p => p.Image == name).ToList();
            var x = pts.Select(p => p.Fraction).ToArray();
            report.Image($"{prefix}-{name}-psnr.png", Charts.Lines($"Inpainting the {name} image", "observed fraction of pixels", "PSNR on missing pixels (dB)",
            [
                new Series("CNTK (kernel regression over pixels)", x, pts.Select(p => p.CntkPsnr).ToArray()),
                new Series("soft-impute (held-out λ)", x, pts.Select(p => p.SoftImputePsnr).ToArray()),
                new Series("mean pixel", x, pts.Select(p => p.MeanPsnr).ToArray()),
            ]), $"PSNR against observed fraction, {name}");
        }
        report.Table(["image", "observed", "CNTK PSNR", "soft-impute PSNR", "mean PSNR"],
            r.Images.Select(p => (IReadOnlyList<string>)[p.Image, Report.Num(p.Fraction), Report.Num(p.CntkPsnr), Report.Num(p.SoftImputePsnr), Report.Num(p.MeanPsnr)]), $"{prefix}-images.csv");
        foreach (var p in r.Panels)
        {
            var shape = p.Input.Shape;
            var missing = Enumerable.Range(0, shape.Features).Select(k => !p.Input.IsObserved(k)).ToArray();
            report.Image($"{prefix}-{p.Image}-panel.png", CompletionPanels.Render(shape,
            [
                ("truth", p.Truth, null),
                ($"{Report.Num(100 * s.PanelFraction)} % observed", p.Input.ZeroFilled(), missing),
                ("CNTK", p.Cntk, null),
                ("soft-impute", p.SoftImpute, null),
            ], 0, 1), $"{p.Image}: truth, input (missing in red), CNTK, soft-impute");
        }
        report.Paragraph(ImageVerdict(r));
        report.Setting($"{prefix}.size", s.Size);
        report.Setting($"{prefix}.ranks", string.Join(",", s.Ranks));
        report.Setting($"{prefix}.fractions", string.Join(",", s.Fractions.Select(f => f.ToString(CultureInfo.InvariantCulture))));
        report.Setting($"{prefix}.noise", s.Noise);
        report.Setting($"{prefix}.iterations", s.Iterations);
        report.Setting($"{prefix}.image_size", s.ImageSize);
        report.Setting($"{prefix}.image_fractions", string.Join(",", s.ImageFractions.Select(f => f.ToString(CultureInfo.InvariantCulture))));
        report.Setting($"{prefix}.image_architecture", s.ImageArchitecture);
        report.Setting($"{prefix}.seed", s.Seed);
    }

    /// <summary>What the matrix runs show, in one paragraph computed from the numbers.</summary>
    public static string MatrixVerdict(Result r)
    {
        ArgumentNullException.ThrowIfNull(r);
        int softWins = r.Matrices.Count(p => p.SoftImputeRmse < Math.Min(p.NtkRmse, p.IteratedRmse));
        int ntkWins = r.Matrices.Count - softWins;
        var ntkBetter = r.Matrices.Where(p => Math.Min(p.NtkRmse, p.IteratedRmse) <= p.SoftImputeRmse).Select(p => $"rank {p.Rank} at {Report.Num(p.Fraction)}").ToList();
        return $"Soft-impute has the lower error in {softWins} of {r.Matrices.Count} runs; an NTK completion in {ntkWins}" +
               (ntkBetter.Count > 0 ? $" ({string.Join(", ", ntkBetter)})" : "") + ". " +
               "On exactly low-rank matrices the nuclear norm is the right prior and soft-impute recovers the matrix once enough entries are seen; " +
               "the one-pass NTK completion is a kernel smoother over columns whose features are themselves incomplete, so its error falls with the observed fraction but levels off; " +
               "feeding its completion back as the features closes much of the gap.";
    }

    /// <summary>What the image runs show.</summary>
    public static string ImageVerdict(Result r)
    {
        ArgumentNullException.ThrowIfNull(r);
        int cntkWins = r.Images.Count(p => p.CntkPsnr >= p.SoftImputePsnr);
        var softBetter = r.Images.Where(p => p.CntkPsnr < p.SoftImputePsnr).Select(p => $"{p.Image} at {Report.Num(p.Fraction)}").ToList();
        return $"The CNTK has the higher PSNR in {cntkWins} of {r.Images.Count} image runs" +
               (softBetter.Count > 0 ? $"; soft-impute in {string.Join(", ", softBetter)}" : "") + ". " +
               "Images are smooth rather than low-rank: the CNTK's pixel kernel (pooling correlates neighbouring pixels) interpolates from nearby observed pixels, " +
               "which helps most when few pixels are seen; with most pixels observed the low-rank fit catches up.";
    }

    /// <summary>U·V with Gaussian factors, V scaled by 1/√r.</summary>
    public static Matrix LowRank(int m, int n, int rank, int seed)
    {
        var rng = new Random(seed);
        var u = Matrix.Build(m, rank, (_, _) => Gauss(rng));
        var v = Matrix.Build(rank, n, (_, _) => Gauss(rng) / Math.Sqrt(rank));
        return LinearAlgebra.Multiply(u, v);
    }

    /// <summary>A 0/1 mask, each entry observed with probability <paramref name="fraction"/>, redrawn until every row and column has an observed entry.</summary>
    public static Matrix Mask(int m, int n, double fraction, int seed)
    {
        var rng = new Random(seed);
        for (int attempt = 0; ; attempt++)
        {
            var mask = Matrix.Build(m, n, (_, _) => rng.NextDouble() < fraction ? 1 : 0);
            bool rows = Enumerable.Range(0, m).All(i => Enumerable.Range(0, n).Any(j => mask[i, j] == 1));
            bool cols = Enumerable.Range(0, n).All(j => Enumerable.Range(0, m).Any(i => mask[i, j] == 1));
            if (rows && cols) return mask;
            if (attempt > 1000) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"An observed fraction of {fraction} leaves rows or columns of a {m}×{n} matrix empty; use a larger fraction.");
        }
    }

    /// <summary>Four embedded digits (the first four of the optical digits), each upsampled bilinearly from 8×8 to (size/2)×(size/2), set 2×2, in [0, 1].</summary>
    public static double[] Digits(int size)
    {
        var x = EmbeddedData.Digits().X;
        int half = size / 2;
        var image = new double[size * size];
        for (int d = 0; d < 4; d++)
        {
            int r0 = d / 2 * half, c0 = d % 2 * half;
            for (int r = 0; r < half; r++)
                for (int c = 0; c < half; c++)
                {
                    double u = half == 1 ? 0 : r * 7.0 / (half - 1), v = half == 1 ? 0 : c * 7.0 / (half - 1);
                    int i0 = Math.Min((int)u, 7), j0 = Math.Min((int)v, 7), i1 = Math.Min(i0 + 1, 7), j1 = Math.Min(j0 + 1, 7);
                    double fu = u - i0, fv = v - j0;
                    double at(int i, int j) => x[d, i * 8 + j] / 16.0;
                    image[(r0 + r) * size + c0 + c] = (1 - fu) * ((1 - fv) * at(i0, j0) + fv * at(i0, j1)) + fu * ((1 - fv) * at(i1, j0) + fv * at(i1, j1));
                }
        }
        return image;
    }

    /// <summary>A synthetic scene in [0, 1]: a ramp, a bright disc, a square and a faint stripe pattern.</summary>
    public static double[] Scene(int size)
    {
        var image = new double[size * size];
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
            {
                double y = (double)r / (size - 1), x = (double)c / (size - 1);
                double v = 0.3 + 0.4 * x * y + 0.1 * Math.Sin(8 * Math.PI * x);
                if ((x - 0.35) * (x - 0.35) + (y - 0.4) * (y - 0.4) < 0.06) v += 0.5;
                if (x > 0.6 && x < 0.9 && y > 0.55 && y < 0.85) v += 0.3;
                image[r * size + c] = Math.Clamp(v, 0, 1);
            }
        return image;
    }

    private static Matrix RowMeans(IncompleteMatrix data)
    {
        var m = new Matrix(data.Rows, data.Cols);
        for (int i = 0; i < data.Rows; i++)
        {
            double s = 0;
            int c = 0;
            for (int j = 0; j < data.Cols; j++) if (data.IsObserved(i, j)) { s += data[i, j]; c++; }
            double mean = c == 0 ? 0 : s / c;
            for (int j = 0; j < data.Cols; j++) m[i, j] = mean;
        }
        return m;
    }

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static void Check(CompletionSettings s)
    {
        if (s.Size < 2) throw new ArgumentOutOfRangeException(nameof(s), s.Size, "The matrices need at least 2 rows and columns.");
        if (s.Ranks.Length == 0 || s.Ranks.Any(r => r < 1 || r > s.Size)) throw new ArgumentOutOfRangeException(nameof(s), $"Ranks must be from 1 to the size {s.Size}.");
        if (s.Fractions.Length == 0 || s.Fractions.Any(f => !(f > 0 && f < 1)) || s.ImageFractions.Length == 0 || s.ImageFractions.Any(f => !(f > 0 && f < 1)) || !(s.PanelFraction > 0 && s.PanelFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(s), "Observed fractions must be in (0, 1).");
        if (s.Iterations < 1) throw new ArgumentOutOfRangeException(nameof(s), s.Iterations, "Iterations must be at least 1.");
        if (s.ImageSize < 4 || s.ImageSize % 2 != 0) throw new ArgumentOutOfRangeException(nameof(s), s.ImageSize, "The image size must be even and at least 4.");
        if (!(s.Noise >= 0) || !double.IsFinite(s.Noise)) throw new ArgumentOutOfRangeException(nameof(s), s.Noise, "The noise must be a finite number ≥ 0.");
    }
}

/// <summary>Image panels (PNG) for completion reports: images side by side, scaled up, missing values in red, a caption under each.</summary>
public static class CompletionPanels
{
    /// <summary>Renders images of one <paramref name="shape"/> (1 channel: grey; 3: colour; otherwise the first channel) side by
    /// side, values mapped linearly from [<paramref name="min"/>, <paramref name="max"/>] to black–white (clamped);
    /// values flagged in the optional missing array are drawn red.</summary>
    /// <returns>PNG bytes.</returns>
    public static byte[] Render(ImageShape shape, IReadOnlyList<(string Caption, double[] Pixels, bool[]? Missing)> images, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(images);
        int h = shape.Height, w = shape.Width, ch = shape.Channels;
        int scale = Math.Max(1, 256 / Math.Max(h, w));
        int tileW = w * scale, tileH = h * scale, gap = 12, caption = 28;
        int width = images.Count * tileW + (images.Count + 1) * gap, height = tileH + 2 * gap + caption;
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var font = new SKFont(SKTypeface.Default, 15);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            double range = max > min ? max - min : 1;
            byte Grey(double v) => (byte)Math.Round(255 * Math.Clamp((v - min) / range, 0, 1));
            for (int t = 0; t < images.Count; t++)
            {
                var (text, pixels, missing) = images[t];
                int x0 = gap + t * (tileW + gap);
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++)
                    {
                        int p = r * w + c;
                        bool gone = missing is not null && Enumerable.Range(0, ch).Any(k => missing[p * ch + k]);
                        SKColor color = gone ? new SKColor(220, 40, 40)
                            : ch == 3 ? new SKColor(Grey(pixels[p * 3]), Grey(pixels[p * 3 + 1]), Grey(pixels[p * 3 + 2]))
                            : new SKColor(Grey(pixels[p * ch]), Grey(pixels[p * ch]), Grey(pixels[p * ch]));
                        using var fill = new SKPaint { Color = color };
                        canvas.DrawRect(x0 + c * scale, gap + r * scale, scale, scale, fill);
                    }
                canvas.DrawText(text, x0 + tileW / 2f, gap + tileH + caption - 8, SKTextAlign.Center, font, ink);
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
