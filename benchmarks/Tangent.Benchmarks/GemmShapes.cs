using System.Diagnostics;
using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Benchmarks;

/// <summary>
/// Development aid for the ensemble's products (<c>quick gemm-shapes n m</c>): GFLOP/s of the managed GEMM on the
/// shapes the NTK-ensemble trajectory uses (m×n·n×n, both orientations) and the time of one per-time
/// diag(W·M·Wᵀ) with <see cref="HalfQuadraticForm"/> at several block sizes; best of 3 each.
/// </summary>
public static class GemmShapes
{
    public static void Run(int n, int m)
    {
        var p = ManagedProvider.Instance;
        var rng = new Random(1);
        Matrix Random(int r, int c)
        {
            var x = new Matrix(r, c);
            for (int q = 0; q < x.Data.Length; q++) x.Data[q] = rng.NextDouble() - 0.5;
            return x;
        }
        var w = Random(m, n);
        var sym = Random(n, n);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) sym[j, i] = sym[i, j];
        var sq = Random(n, n);
        var c = new Matrix(m, n);
        double Best(Action a)
        {
            double best = double.MaxValue;
            for (int r = 0; r < 3; r++) { var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalSeconds); }
            return best;
        }
        double flops = 2.0 * m * n * n;
        double nn = Best(() => p.Gemm(Op.None, Op.None, m, n, n, 1, w.Data, n, sq.Data, n, 0, c.Data, n));
        double nt = Best(() => p.Gemm(Op.None, Op.Transpose, m, n, n, 1, w.Data, n, sq.Data, n, 0, c.Data, n));
        var ct = new Matrix(n, m);
        var wt = w.Transpose();
        double tn = Best(() => p.Gemm(Op.None, Op.None, n, m, n, 1, sq.Data, n, wt.Data, m, 0, ct.Data, m));
        Console.WriteLine($"m={m} n={n}: W·S {flops / nn / 1e9:F1} GFLOP/s, W·Sᵀ {flops / nt / 1e9:F1}, S·Wᵀ {flops / tn / 1e9:F1}");
        var sqc = new Matrix(n, n);
        double kv = Best(() => p.Gemm(Op.None, Op.None, n, n, n, 1, sq.Data, n, sq.Data, n, 0, sqc.Data, n));
        Console.WriteLine($"  K·V (n³) {2.0 * n * n * n / kv / 1e9:F1} GFLOP/s, {kv:F3} s");
        double vtkv = Best(() => p.Gemm(Op.Transpose, Op.None, n, n, n, 1, sq.Data, n, sym.Data, n, 0, sqc.Data, n));
        double lowT = Best(() => p.GemmLower(Op.Transpose, Op.None, n, n, 1, sq.Data, n, sym.Data, n, 0, sqc.Data, n));
        double lowN = Best(() => p.GemmLower(Op.None, Op.None, n, n, 1, sq.Data, n, sym.Data, n, 0, sqc.Data, n));
        Console.WriteLine($"  Vᵀ·X full {vtkv:F3} s; lower triangle only: Vᵀ·X {lowT:F3} s, V·X {lowN:F3} s");
        foreach (int b in new[] { 0, 256, 1024 })
        {
            double t = Best(() => HalfQuadraticForm.Congruence(sq, sym, p, b));
            Console.WriteLine($"  VᵀKV as the half form, block {(b == 0 ? HalfQuadraticForm.DefaultBlockSize(n) : b)}: {t:F3} s");
        }
        foreach (int b in new[] { 0, 128, 256, 512, 1024 })
        {
            var form = HalfQuadraticForm.FromSymmetric(sym, p, b);
            double t = Best(() => form.QuadraticDiagonal(w, c));
            Console.WriteLine($"  half diag(W·M·Wᵀ), block {form.BlockSize}: {t:F3} s ({flops / 2 / t / 1e9:F1} effective GFLOP/s of the half)");
        }
    }
}
