using ScottPlot;

namespace Tangent.Experiments;

/// <summary>A named curve or point set for <see cref="Charts"/>.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">Abscissae.</param>
/// <param name="Y">Ordinates.</param>
/// <param name="Points">Markers only (true) or a line (false).</param>
public sealed record Series(string Label, double[] X, double[] Y, bool Points = false);

/// <summary>PNG charts through ScottPlot, in one consistent style.</summary>
public static class Charts
{
    /// <summary>Default image size.</summary>
    public const int Width = 900, Height = 560;

    /// <summary>Draws lines and point sets on one axis; returns PNG bytes.</summary>
    public static byte[] Lines(string title, string xLabel, string yLabel, IEnumerable<Series> series, (double Min, double Max)? yLimits = null)
    {
        var plt = new Plot();
        foreach (var s in series)
        {
            if (s.X.Length == 0) continue;
            if (s.Points)
            {
                var sc = plt.Add.ScatterPoints(s.X, s.Y);
                sc.LegendText = s.Label;
                sc.MarkerSize = 7;
            }
            else
            {
                var sc = plt.Add.ScatterLine(s.X, s.Y);
                sc.LegendText = s.Label;
                sc.LineWidth = 2;
            }
        }
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        plt.ShowLegend();
        if (yLimits is { } y) plt.Axes.SetLimitsY(y.Min, y.Max);
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>A bar chart of named values; returns PNG bytes.</summary>
    public static byte[] Bars(string title, string yLabel, IReadOnlyList<(string Name, double Value)> bars)
    {
        var plt = new Plot();
        var values = bars.Select(b => b.Value).ToArray();
        plt.Add.Bars(values);
        var ticks = bars.Select((b, i) => new Tick(i, b.Name)).ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plt.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plt.Axes.Margins(bottom: 0);
        plt.Title(title);
        plt.YLabel(yLabel);
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
