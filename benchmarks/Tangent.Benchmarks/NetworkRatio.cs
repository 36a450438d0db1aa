using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tangent.Data;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// <c>quick network-ratio [steps]</c>: <see cref="NetworkBenchmarks"/>' training workload (width-4096 ReLU
/// network, 1000 points in d = 10, full-batch GD) in Tangent and in PyTorch (benchmarks/network_torch.py,
/// float64, 2 threads) in the same run, from the same data and initial parameters; prints both times, CPU
/// times, final losses and the ratio torch / Tangent (docs/NETWORKS.md, "Fused training path").
/// </summary>
internal static partial class NetworkRatio
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int steps = args.Length > 0 ? int.Parse(args[0], inv) : 1000;
        var nb = new NetworkBenchmarks { Width = 4096, Points = 1000 };
        nb.Setup();
        string? script = FindScript();
        bool torch = script is not null && Exec("/usr/bin/python3", ["-c", "import torch"], out _) == 0;
        string torchLine = script is null ? "benchmarks/network_torch.py not found" : "torch not available (/usr/bin/python3 -c \"import torch\" failed)";
        double torchSeconds = double.NaN;
        if (torch)
        {
            var dir = Directory.CreateTempSubdirectory("tangent-network-ratio-").FullName;
            try
            {
                WriteInputs(nb, dir);
                if (Exec("/usr/bin/python3", [script!, steps.ToString(inv), dir], out torchLine) != 0) throw new InvalidOperationException("network_torch.py failed: " + torchLine);
                torchLine = torchLine.Trim();
                torchSeconds = double.Parse(TimeField().Match(torchLine).Groups[1].Value, inv);
            }
            finally { Directory.Delete(dir, recursive: true); }
        }
        // Tangent: the same workload, warmed up by a 2-step run (the JIT), then timed.
        Training.Train(nb.Net.Clone(), nb.X, nb.Y, new TrainingOptions { LearningRate = 1.0, Steps = 2 });
        var net = nb.Net.Clone();
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        double loss = Training.Train(net, nb.X, nb.Y, new TrainingOptions { LearningRate = 1.0, Steps = steps }).FinalLoss;
        double seconds = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(torchLine);
        Console.WriteLine($"tangent ({(net.Fused is not null ? "fused path" : "general path, " + LinearAlgebra.Provider.Name)}, {Environment.ProcessorCount} cores): {steps} GD steps time_s={seconds:F3} cpu_s={cpu:F3} final_loss={loss.ToString("G12", inv)}");
        Console.WriteLine(double.IsNaN(torchSeconds) ? "ratio: no torch figure" : $"torch_time / tangent_time = {torchSeconds / seconds:F2}");
    }

    /// <summary>x, y and the initial parameters (W₁ width×d, b₁ 1×width, W₂ 1×width, b₂ 1×1) as .npy files for the torch script.</summary>
    private static void WriteInputs(NetworkBenchmarks nb, string dir)
    {
        var p = nb.Net.GetParameters();
        int d = nb.X.Cols, width = (p.Length - 1) / (d + 2);
        Npy.Write(Path.Combine(dir, "x.npy"), nb.X);
        Npy.Write(Path.Combine(dir, "y.npy"), nb.Y);
        Npy.Write(Path.Combine(dir, "w1.npy"), new Matrix(width, d, p[..(width * d)]));
        Npy.Write(Path.Combine(dir, "b1.npy"), new Matrix(1, width, p[(width * d)..(width * d + width)]));
        Npy.Write(Path.Combine(dir, "w2.npy"), new Matrix(1, width, p[(width * d + width)..(width * d + 2 * width)]));
        Npy.Write(Path.Combine(dir, "b2.npy"), new Matrix(1, 1, p[^1..]));
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "benchmarks", "network_torch.py");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static int Exec(string file, string[] arguments, out string output)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var err = p.StandardError.ReadToEndAsync();
            output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) output += err.Result;
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e) { output = e.Message; return -1; }
    }

    [GeneratedRegex(@"time_s=([0-9.]+)")]
    private static partial Regex TimeField();
}
