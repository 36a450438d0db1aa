using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

public sealed class CompletionExperimentTests
{
    private static readonly CompletionSettings Small = new()
    {
        Size = 40, Ranks = [2], Fractions = [0.3, 0.7], Iterations = 10, ImageSize = 16, ImageFractions = [0.3], PanelFraction = 0.3,
    };

    [Fact]
    public void SmallRunShowsWhatTheReportClaims()
    {
        var r = CompletionExperiment.Run(Small);
        Assert.Equal(2, r.Matrices.Count);
        foreach (var p in r.Matrices)
        {
            // Every method beats the row means; iterating the NTK helps; on exactly low-rank matrices soft-impute wins.
            Assert.True(p.NtkRmse < p.MeanRmse && p.IteratedRmse < p.NtkRmse, $"{p}");
            Assert.True(p.SoftImputeRmse < p.IteratedRmse, $"{p}");
        }
        Assert.True(r.Matrices[1].NtkRmse < r.Matrices[0].NtkRmse, "the NTK error falls with the observed fraction");
        // On images with 30 % of the pixels the CNTK beats soft-impute and the mean pixel.
        Assert.Equal(2, r.Images.Count);
        foreach (var p in r.Images) Assert.True(p.CntkPsnr > p.SoftImputePsnr && p.CntkPsnr > p.MeanPsnr, $"{p}");
        Assert.Equal(2, r.Panels.Count);
    }

    [Fact]
    public void ReportHasThePlotsTablesPanelsAndSettings()
    {
        var r = CompletionExperiment.Run(Small);
        var report = new Report("t");
        CompletionExperiment.AddTo(report, r, Small);
        foreach (var name in new[] { "completion-rank2.png", "completion-matrices.csv", "completion-images.csv", "completion-digits-psnr.png", "completion-synthetic-panel.png" })
            Assert.Contains(name, report.Files);
        Assert.Contains("Soft-impute has the lower error in 2 of 2", CompletionExperiment.MatrixVerdict(r));
    }

    [Fact]
    public void ImagesAreInTheUnitRange()
    {
        foreach (var image in new[] { CompletionExperiment.Digits(16), CompletionExperiment.Scene(16) })
        {
            Assert.Equal(256, image.Length);
            Assert.All(image, v => Assert.InRange(v, 0, 1));
            Assert.True(image.Max() - image.Min() > 0.5);
        }
    }
}
