using Spectre.Console;
using Tangent.Engine;

namespace Tangent.Cli;

/// <summary>Progress display for long work: a Spectre.Console bar on an interactive terminal,
/// a few plain lines on stderr otherwise (CI logs stay short).</summary>
internal static class CliProgress
{
    /// <summary>When true, nothing is shown (tests, --quiet).</summary>
    public static bool Quiet { get; set; }

    /// <summary>True while the interactive bar (which hides the cursor) is on screen; an interrupt then shows the cursor again.</summary>
    public static bool BarShown { get; private set; }

    public static T Run<T>(string label, Func<IProgress<ProgressInfo>, T> work)
    {
        if (Quiet) return work(new Progress(_ => { }));
        if (!Console.IsErrorRedirected && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            T result = default!;
            BarShown = true;
            try
            {
                AnsiConsole.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask(Markup.Escape(label), maxValue: 1.0);
                        string? stage = null;
                        result = work(new Progress(p =>
                        {
                            if (p.Stage != stage)
                            {
                                stage = p.Stage;
                                task.Description = Markup.Escape(Labelled(label, stage));
                            }
                            task.Value = p.Fraction;
                        }));
                        task.Value = 1.0;
                    });
            }
            finally
            {
                BarShown = false;
            }
            return result;
        }
        int lastDecile = -1;
        string? lastStage = null;
        var gate = new object();
        return work(new Progress(p =>
        {
            if (p.Elapsed.TotalSeconds < 2) return;
            int decile = (int)(p.Fraction * 4);
            lock (gate)
            {
                if (p.Stage != lastStage)   // a new stage (kernel, then factor) starts its own quarters
                {
                    lastStage = p.Stage;
                    lastDecile = -1;
                }
                if (decile <= lastDecile) return;
                lastDecile = decile;
            }
            string eta = p.Remaining is { } r ? $", about {r.TotalSeconds:F0} s left" : "";
            Console.Error.WriteLine($"{Labelled(label, p.Stage)}: {p.Fraction:P0} ({p.Elapsed.TotalSeconds:F1} s{eta})");
        }));
    }

    /// <summary>"fit nngp(...) [factor]" when the work names its stage, else the label.</summary>
    private static string Labelled(string label, string? stage) => string.IsNullOrEmpty(stage) ? label : $"{label} [{stage}]";

    private sealed class Progress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }
}
