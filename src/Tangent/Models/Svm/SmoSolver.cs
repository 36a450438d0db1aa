using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tangent.Models;

/// <summary>What one binary C-SVC sub-problem came to.</summary>
/// <param name="Alpha">α_i ≥ 0 in the sub-problem's row order (the dual coefficient of row i is y_i·α_i).</param>
/// <param name="Rho">ρ: the decision value is Σ y_i·α_i·K(x_i, x) − ρ.</param>
/// <param name="Iterations">SMO steps taken.</param>
/// <param name="Converged">The maximal KKT violation fell below the tolerance (false: the iteration limit stopped it).</param>
internal readonly record struct SmoResult(double[] Alpha, double Rho, int Iterations, bool Converged);

/// <summary>
/// The C-SVC dual min ½αᵀQα − eᵀα subject to yᵀα = 0, 0 ≤ α_i ≤ C_i, with Q_ij = y_i·y_j·K_ij, solved by SMO as
/// libsvm's <c>Solver</c> does (docs/SVM.md): second-order working-set selection (Fan, Chen &amp; Lin 2005, WSS 2)
/// with τ = 1e-12 where K_ii + K_jj − 2K_ij ≤ 0, shrinking with libsvm's unshrink-and-reconstruct rule, a stop at
/// max violation m(α) − M(α) &lt; ε, and ρ as the mean of y_i∇_i f over free α (the midpoint of the bounds if none is free).
/// </summary>
/// <remarks>
/// The state is held as F_t = y_t·∇_t f (and F̄_t = y_t·Ḡ_t, Ḡ the gradient part of the α at their upper bound), so that
/// a step's update F_t += K_it·y_i·Δα_i + K_jt·y_j·Δα_j reads kernel rows K (not Q) and is one fused multiply-add loop:
/// the kernel rows are never multiplied by y. In these terms I_up = {t : y_t = +1, α_t &lt; C_t} ∪ {y_t = −1, α_t &gt; 0},
/// I_low = {y_t = +1, α_t &gt; 0} ∪ {y_t = −1, α_t &lt; C_t}, m(α) = max over I_up of −F_t and M(α) = min over I_low of −F_t.
/// As in libsvm the state arrays are permuted so the active (unshrunk) variables come first; a kernel row is read through
/// the permutation, or contiguously (SIMD) while the permutation is the identity, as it is again after every unshrink.
/// </remarks>
internal sealed unsafe class SmoSolver
{
    private const double Tau = 1e-12;
    private const byte LowerBound = 0, UpperBound = 1, Free = 2;

    private readonly KernelRows _rows;
    private readonly int _l;
    private readonly double _eps;
    private readonly bool _shrinking;
    private readonly int _maxIterations;
    private readonly CancellationToken _ct;

    // In solver order: position k holds sub-problem row _perm[k], whose kernel column lies at _cols[k] within a row.
    private readonly double[] _f, _fbar, _alpha, _c, _qd, _upPenalty, _lowPenalty;
    private readonly sbyte[] _y;
    private readonly byte[] _status;
    private readonly int[] _perm, _cols;
    private int _active;
    private bool _unshrink, _contiguous;

    // m(α) and its index, left by the last gradient update for the next selection (valid until the active set changes).
    private double _nextGmax;
    private int _nextGmaxIndex;
    private bool _nextGmaxValid;

    private SmoSolver(KernelRows rows, sbyte[] y, double[] c, double eps, bool shrinking, int maxIterations, CancellationToken ct, double[]? start)
    {
        _rows = rows;
        _l = rows.Count;
        _eps = eps;
        _shrinking = shrinking;
        _maxIterations = maxIterations > 0 ? maxIterations : int.MaxValue;
        _ct = ct;
        int l = _l;
        _f = new double[l];
        _fbar = new double[l];
        _alpha = new double[l];
        _c = (double[])c.Clone();
        _qd = (double[])rows.Diagonal.Clone();
        _upPenalty = new double[l];
        _lowPenalty = new double[l];
        _y = (sbyte[])y.Clone();
        _status = new byte[l];
        _perm = new int[l];
        _cols = (int[])rows.ColumnIndex.Clone();
        for (int t = 0; t < l; t++)
        {
            _perm[t] = t;
            _f[t] = -_y[t];   // α = 0: ∇f = Qα − e = −e, so F = y·(−1)
            UpdateStatus(t);
        }
        _active = l;
        _contiguous = rows.IsIdentity;
        if (start is not null) Seed(start);
    }

    // A feasible start α⁰ (0 ≤ α⁰_t ≤ C_t, Σ y_t·α⁰_t = 0; alpha seeding, DeCoste & Wagstaff 2000): α, the statuses and
    // F_t = −y_t + Σ_s K_st·y_s·α⁰_s, F̄_t = Σ_{s at C_s} K_st·y_s·C_s from the rows of the nonzero α⁰_s.
    private void Seed(double[] start)
    {
        int l = _l;
        var nonzero = new List<int>();
        for (int t = 0; t < l; t++)
        {
            _alpha[t] = Math.Clamp(start[t], 0, _c[t]);
            UpdateStatus(t);
            if (_alpha[t] > 0) nonzero.Add(t);
        }
        ForEachRow([.. nonzero], (s, address) =>
        {
            var row = (double*)address;
            double a = _y[s] * _alpha[s], b = _status[s] == UpperBound ? _y[s] * _c[s] : 0;
            for (int t = 0; t < l; t++)
            {
                double k = row[_cols[t]];
                _f[t] += a * k;
                _fbar[t] += b * k;
            }
        });
    }

    /// <summary>Solves the sub-problem with labels <paramref name="y"/> (±1) and bounds <paramref name="c"/> (C_i &gt; 0).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled (checked every ≤ 1000 steps).</exception>
    /// <param name="rows">The sub-problem's kernel rows.</param>
    /// <param name="y">The labels, ±1.</param>
    /// <param name="c">The bounds C_t &gt; 0.</param>
    /// <param name="eps">The stop: m(α) − M(α) &lt; eps.</param>
    /// <param name="shrinking">libsvm's shrinking heuristic on or off.</param>
    /// <param name="maxIterations">The most steps; 0 is no limit.</param>
    /// <param name="ct">Checked every ≤ 1000 steps.</param>
    /// <param name="start">A feasible starting α (0 ≤ α_t ≤ C_t, Σ y_t·α_t = 0), e.g. the solution for a smaller C scaled by the
    /// ratio of the C; null starts from α = 0 as libsvm does. The optimum is the same; only the number of steps changes.</param>
    public static SmoResult Solve(KernelRows rows, sbyte[] y, double[] c, double eps, bool shrinking, int maxIterations, CancellationToken ct, double[]? start = null)
    {
        var s = new SmoSolver(rows, y, c, eps, shrinking, maxIterations, ct, start);
        return s.Run();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first fit: no tier-0 code
    private SmoResult Run()
    {
        int l = _l;
        int iter = 0;
        int counter = Math.Min(l, 1000) + 1;
        bool converged = false;
        while (iter < _maxIterations)
        {
            if (--counter == 0)
            {
                counter = Math.Min(l, 1000);
                _ct.ThrowIfCancellationRequested();
                if (_shrinking) DoShrinking();
            }
            if (!SelectWorkingSet(out int i, out int j))
            {
                ReconstructGradient();
                Unshrink();
                if (!SelectWorkingSet(out i, out j))
                {
                    converged = true;
                    break;
                }
                counter = 1;   // shrink at the next step
            }
            iter++;
            Step(i, j);
        }
        if (!converged)
        {
            ReconstructGradient();
            Unshrink();
        }
        double rho = CalculateRho();
        var alpha = new double[l];
        for (int k = 0; k < l; k++) alpha[_perm[k]] = _alpha[k];
        return new SmoResult(alpha, rho, iter, converged);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void UpdateStatus(int t)
    {
        double a = _alpha[t];
        _status[t] = a >= _c[t] ? UpperBound : a <= 0 ? LowerBound : Free;
        bool positive = _y[t] > 0;
        bool inUp = positive ? _status[t] != UpperBound : _status[t] != LowerBound;
        bool inLow = positive ? _status[t] != LowerBound : _status[t] != UpperBound;
        _upPenalty[t] = inUp ? 0 : double.NegativeInfinity;
        _lowPenalty[t] = inLow ? 0 : double.NegativeInfinity;
    }

    // One SMO step on the pair (i, j): libsvm's analytic update of α_i, α_j clipped to the box, then the gradient.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first fit: no tier-0 code
    private void Step(int i, int j)
    {
        if (!_rows.Holds(_perm[j])) PrefetchLikelyRows(j);
        double* ki = _rows.Row(_perm[i]);
        double* kj = _rows.Row(_perm[j]);
        double kij = ki[_cols[j]];
        double ci = _c[i], cj = _c[j];
        double oldAi = _alpha[i], oldAj = _alpha[j];
        double ai = oldAi, aj = oldAj;
        double gi = _y[i] * _f[i], gj = _y[j] * _f[j];   // ∇_i f, ∇_j f
        double quad = _qd[i] + _qd[j] - 2 * kij;          // = Q_ii + Q_jj ∓ 2Q_ij in both cases below
        if (quad <= 0) quad = Tau;
        if (_y[i] != _y[j])
        {
            double delta = (-gi - gj) / quad;
            double diff = ai - aj;
            ai += delta;
            aj += delta;
            if (diff > 0)
            {
                if (aj < 0) { aj = 0; ai = diff; }
            }
            else if (ai < 0) { ai = 0; aj = -diff; }
            if (diff > ci - cj)
            {
                if (ai > ci) { ai = ci; aj = ci - diff; }
            }
            else if (aj > cj) { aj = cj; ai = cj + diff; }
        }
        else
        {
            double delta = (gi - gj) / quad;
            double sum = ai + aj;
            ai -= delta;
            aj += delta;
            if (sum > ci)
            {
                if (ai > ci) { ai = ci; aj = sum - ci; }
            }
            else if (aj < 0) { aj = 0; ai = sum; }
            if (sum > cj)
            {
                if (aj > cj) { aj = cj; ai = sum - cj; }
            }
            else if (ai < 0) { ai = 0; aj = sum; }
        }
        _alpha[i] = ai;
        _alpha[j] = aj;
        bool wasUpperI = _status[i] == UpperBound, wasUpperJ = _status[j] == UpperBound;
        UpdateStatus(i);
        UpdateStatus(j);
        // F_t += y_t·(Q_it·Δα_i + Q_jt·Δα_j) = K_it·y_i·Δα_i + K_jt·y_j·Δα_j, fused with the next step's m(α).
        UpdateGradient(ki, kj, _y[i] * (ai - oldAi), _y[j] * (aj - oldAj));
        if (wasUpperI != (_status[i] == UpperBound)) AddToGradientBar(ki, (wasUpperI ? -ci : ci) * _y[i]);
        if (wasUpperJ != (_status[j] == UpperBound)) AddToGradientBar(kj, (wasUpperJ ? -cj : cj) * _y[j]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first fit: no tier-0 code
    private void UpdateGradient(double* ki, double* kj, double a, double b)
    {
        int n = _active;
        double best = double.NegativeInfinity;
        int bestIndex = -1;
        bool contiguous = _contiguous;
        fixed (double* f = _f, up = _upPenalty)
        fixed (int* cols = _cols)
        {
            int k = 0;
            if (UseVectors(contiguous) && n >= 8)
            {
                var va = Vector256.Create(a);
                var vb = Vector256.Create(b);
                var vBest = Vector256.Create(double.NegativeInfinity);
                var vIndex = Vector256.Create(0.0, 1, 2, 3);
                var vBestIndex = Vector256.Create(-1.0);
                var four = Vector256.Create(4.0);
                for (; k <= n - 4; k += 4)
                {
                    var g = MultiplyAdd(LoadRow(ki, cols, k, contiguous), va, Vector256.Load(f + k));
                    g = MultiplyAdd(LoadRow(kj, cols, k, contiguous), vb, g);
                    g.Store(f + k);
                    var v = Vector256.Load(up + k) - g;
                    var ge = Vector256.GreaterThanOrEqual(v, vBest);
                    vBest = Vector256.ConditionalSelect(ge, v, vBest);
                    vBestIndex = Vector256.ConditionalSelect(ge, vIndex, vBestIndex);
                    vIndex += four;
                }
                (best, bestIndex) = ReduceMax(vBest, vBestIndex);
            }
            for (; k < n; k++)
            {
                int col = cols[k];
                double g = f[k] + ki[col] * a + kj[col] * b;
                f[k] = g;
                double v = up[k] - g;
                if (v >= best) { best = v; bestIndex = k; }
            }
        }
        _nextGmax = best;
        _nextGmaxIndex = best == double.NegativeInfinity ? -1 : bestIndex;
        _nextGmaxValid = true;
    }

    // Whether the SIMD loops run: contiguous rows need 256-bit vectors, rows read through the permutation or the index map
    // also AVX2's gather.
    private static bool UseVectors(bool contiguous) => Vector256.IsHardwareAccelerated && (contiguous || Avx2.IsSupported);

    // Entries k..k+3 of a row in solver order: a load while the order is the row's own, else a gather through the columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> LoadRow(double* row, int* cols, int k, bool contiguous) =>
        contiguous ? Vector256.Load(row + k) : Avx2.GatherVector256(row, Sse2.LoadVector128(cols + k), 8);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddToGradientBar(double* row, double scale)
    {
        int l = _l, k = 0;
        bool contiguous = _contiguous && _active == l;
        fixed (double* fbar = _fbar)
        fixed (int* cols = _cols)
        {
            if (UseVectors(contiguous))
            {
                var vs = Vector256.Create(scale);
                for (; k <= l - 4; k += 4) MultiplyAdd(LoadRow(row, cols, k, contiguous), vs, Vector256.Load(fbar + k)).Store(fbar + k);
            }
            for (; k < l; k++) fbar[k] += scale * row[cols[k]];
        }
    }

    // libsvm's select_working_set: i maximises −F over I_up; j, among I_low with −F_j < −F_i, maximises the decrease
    // (F_i − F_j)²/(K_ii + K_jj − 2K_ij) of the objective. False when m(α) − M(α) < ε (optimal to the tolerance).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first fit: no tier-0 code
    private bool SelectWorkingSet(out int outI, out int outJ)
    {
        outI = outJ = -1;
        double gmax;
        int i;
        if (_nextGmaxValid)
        {
            gmax = _nextGmax;
            i = _nextGmaxIndex;
        }
        else (gmax, i) = MaxUp();
        _nextGmaxValid = false;
        if (i < 0) return false;
        if (!_rows.Holds(_perm[i])) PrefetchLikelyRows(i);
        double* ki = _rows.Row(_perm[i]);
        double qdi = _qd[i];
        double gmax2 = double.NegativeInfinity, objMin = double.PositiveInfinity;
        int j = -1;
        int n = _active;
        fixed (double* f = _f, low = _lowPenalty, qd = _qd)
        fixed (int* cols = _cols)
        {
            int k = 0;
            bool contiguous = _contiguous;
            if (UseVectors(contiguous) && n >= 8)
            {
                var vGmax = Vector256.Create(gmax);
                var vQdi = Vector256.Create(qdi);
                var vTau = Vector256.Create(Tau);
                var vGmax2 = Vector256.Create(double.NegativeInfinity);
                // The best gain gd²/q per lane as its numerator and denominator: gd²/q ≥ best ⇔ gd²·q_best ≥ gd_best²·q (q > 0),
                // so the loop has no division (libsvm's −gd²/q ≤ obj_min, ties to the later index, in other terms).
                var vNum = Vector256<double>.Zero;
                var vDen = Vector256<double>.One;
                var vIndex = Vector256.Create(0.0, 1, 2, 3);
                var vBestIndex = Vector256.Create(-1.0);
                var four = Vector256.Create(4.0);
                for (; k <= n - 4; k += 4)
                {
                    var fl = Vector256.Load(f + k) + Vector256.Load(low + k);   // −∞ outside I_low
                    vGmax2 = Vector256.Max(vGmax2, fl);
                    var gd = vGmax + fl;
                    var q = vQdi + Vector256.Load(qd + k) - LoadRow(ki, cols, k, contiguous) * 2.0;
                    q = Vector256.ConditionalSelect(Vector256.GreaterThan(q, Vector256<double>.Zero), q, vTau);
                    var num = gd * gd;
                    var take = Vector256.GreaterThan(gd, Vector256<double>.Zero) & Vector256.GreaterThanOrEqual(num * vDen, vNum * q);
                    vNum = Vector256.ConditionalSelect(take, num, vNum);
                    vDen = Vector256.ConditionalSelect(take, q, vDen);
                    vBestIndex = Vector256.ConditionalSelect(take, vIndex, vBestIndex);
                    vIndex += four;
                }
                for (int lane = 0; lane < 4; lane++) gmax2 = Math.Max(gmax2, vGmax2.GetElement(lane));
                (objMin, j) = ReduceMin(-(vNum / vDen), vBestIndex);
            }
            for (; k < n; k++)
            {
                double fl = f[k] + low[k];
                if (fl == double.NegativeInfinity) continue;
                if (fl >= gmax2) gmax2 = fl;
                double gd = gmax + fl;
                if (gd > 0)
                {
                    double q = qdi + qd[k] - 2 * ki[cols[k]];
                    double obj = -(gd * gd) / (q > 0 ? q : Tau);
                    if (obj <= objMin) { objMin = obj; j = k; }
                }
            }
        }
        if (gmax + gmax2 < _eps || j < 0) return false;
        outI = i;
        outJ = j;
        return true;
    }

    // Rows computed by a kernel on a miss: row t and, in the same block, those of the most violating variables (the largest −F
    // in I_up and the largest F in I_low), the likeliest to be asked for next; at most RowBlock rows, and never more than the
    // cache holds at once.
    private const int RowBlock = 16;

    private void PrefetchLikelyRows(int t)
    {
        if (!_rows.ComputesInBlocks) return;
        int half = Math.Max(0, Math.Min(RowBlock, _rows.PrefetchLimit) - 1) / 2;
        var rows = new List<int>(2 * half + 1) { _perm[t] };
        if (half > 0)
        {
            AddTop(rows, half, t, up: true);
            AddTop(rows, half, t, up: false);
        }
        _rows.Prefetch(rows.ToArray());
    }

    // The `count` active variables other than `skip` with the largest −F over I_up (up) or F over I_low, not yet held.
    private void AddTop(List<int> rows, int count, int skip, bool up)
    {
        var best = new List<(double Value, int Position)>(count + 1);
        for (int k = 0; k < _active; k++)
        {
            double v = up ? _upPenalty[k] - _f[k] : _lowPenalty[k] + _f[k];
            if (k == skip || v == double.NegativeInfinity || (best.Count == count && v <= best[^1].Value) || _rows.Holds(_perm[k])) continue;
            int at = best.Count;
            while (at > 0 && best[at - 1].Value < v) at--;
            best.Insert(at, (v, k));
            if (best.Count > count) best.RemoveAt(count);
        }
        foreach (var (_, k) in best) rows.Add(_perm[k]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double Max, int Index) MaxUp()
    {
        double best = double.NegativeInfinity;
        int index = -1;
        for (int t = 0; t < _active; t++)
        {
            double v = _upPenalty[t] - _f[t];
            if (v != double.NegativeInfinity && v >= best) { best = v; index = t; }
        }
        return (best, index);
    }

    // The lane with the largest value; among equal values the largest index (libsvm takes the last maximiser).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double, int) ReduceMax(Vector256<double> value, Vector256<double> index)
    {
        double best = double.NegativeInfinity, at = -1;
        for (int lane = 0; lane < 4; lane++)
        {
            double v = value.GetElement(lane), i = index.GetElement(lane);
            if (v > best || (v == best && i > at)) { best = v; at = i; }
        }
        return (best, best == double.NegativeInfinity ? -1 : (int)at);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double, int) ReduceMin(Vector256<double> value, Vector256<double> index)
    {
        double best = double.PositiveInfinity, at = -1;
        for (int lane = 0; lane < 4; lane++)
        {
            double v = value.GetElement(lane), i = index.GetElement(lane);
            if (i >= 0 && (v < best || (v == best && i > at))) { best = v; at = i; }
        }
        return (best, (int)at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    // libsvm's be_shrunk: a variable at a bound that cannot enter a violating pair while m(α) ≤ gmax1 and −M(α) ≤ gmax2.
    private bool BeShrunk(int t, double gmax1, double gmax2)
    {
        if (_status[t] == UpperBound) return _y[t] > 0 ? -_f[t] > gmax1 : _f[t] > gmax2;
        if (_status[t] == LowerBound) return _y[t] > 0 ? _f[t] > gmax2 : -_f[t] > gmax1;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DoShrinking()
    {
        double gmax1 = double.NegativeInfinity, gmax2 = double.NegativeInfinity;   // m(α) and −M(α)
        for (int t = 0; t < _active; t++)
        {
            if (_upPenalty[t] == 0) gmax1 = Math.Max(gmax1, -_f[t]);
            if (_lowPenalty[t] == 0) gmax2 = Math.Max(gmax2, _f[t]);
        }
        if (!_unshrink && gmax1 + gmax2 <= _eps * 10)
        {
            // Near the end: the whole gradient once more, so that variables shrunk too early come back.
            _unshrink = true;
            ReconstructGradient();
            Unshrink();
        }
        for (int t = 0; t < _active; t++)
        {
            if (!BeShrunk(t, gmax1, gmax2)) continue;
            _active--;
            while (_active > t)
            {
                if (!BeShrunk(_active, gmax1, gmax2))
                {
                    Swap(t, _active);
                    break;
                }
                _active--;
            }
        }
        _nextGmaxValid = false;
        _contiguous = _rows.IsIdentity && IsIdentityPrefix();
    }

    private bool IsIdentityPrefix()
    {
        for (int k = 0; k < _active; k++)
            if (_perm[k] != k) return false;
        return true;
    }

    private void Swap(int a, int b)
    {
        (_f[a], _f[b]) = (_f[b], _f[a]);
        (_fbar[a], _fbar[b]) = (_fbar[b], _fbar[a]);
        (_alpha[a], _alpha[b]) = (_alpha[b], _alpha[a]);
        (_c[a], _c[b]) = (_c[b], _c[a]);
        (_qd[a], _qd[b]) = (_qd[b], _qd[a]);
        (_upPenalty[a], _upPenalty[b]) = (_upPenalty[b], _upPenalty[a]);
        (_lowPenalty[a], _lowPenalty[b]) = (_lowPenalty[b], _lowPenalty[a]);
        (_y[a], _y[b]) = (_y[b], _y[a]);
        (_status[a], _status[b]) = (_status[b], _status[a]);
        (_perm[a], _perm[b]) = (_perm[b], _perm[a]);
        (_cols[a], _cols[b]) = (_cols[b], _cols[a]);
    }

    // Every variable active again, in the sub-problem's own order (so rows are read contiguously again).
    private void Unshrink()
    {
        _active = _l;
        _nextGmaxValid = false;
        bool identity = true;
        for (int k = 0; k < _l; k++)
            if (_perm[k] != k) { identity = false; break; }
        if (!identity)
        {
            var perm = (int[])_perm.Clone();
            Scatter(_f, perm);
            Scatter(_fbar, perm);
            Scatter(_alpha, perm);
            Scatter(_c, perm);
            Scatter(_qd, perm);
            Scatter(_upPenalty, perm);
            Scatter(_lowPenalty, perm);
            Scatter(_y, perm);
            Scatter(_status, perm);
            Scatter(_cols, perm);
            for (int k = 0; k < _l; k++) _perm[k] = k;
        }
        _contiguous = _rows.IsIdentity;
    }

    private static void Scatter<T>(T[] a, int[] perm)
    {
        var copy = (T[])a.Clone();
        for (int k = 0; k < perm.Length; k++) a[perm[k]] = copy[k];
    }

    // libsvm's reconstruct_gradient: F of the shrunk variables from F̄ and the free variables, through whichever
    // of the two loops reads fewer kernel entries.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReconstructGradient()
    {
        if (_active == _l) return;
        int l = _l, active = _active;
        for (int k = active; k < l; k++) _f[k] = _fbar[k] - _y[k];
        var free = new List<int>();
        for (int t = 0; t < active; t++)
            if (_status[t] == Free) free.Add(t);
        if ((long)free.Count * l > 2L * active * (l - active))
        {
            // Row by row over the shrunk variables: F_k += Σ_free y_t·α_t·K_kt.
            ForEachRow(active, l, (k, address) =>
            {
                var row = (double*)address;
                double s = 0;
                foreach (int t in free) s += _y[t] * _alpha[t] * row[_cols[t]];
                _f[k] += s;
            });
        }
        else
        {
            var freeRows = free.ToArray();
            ForEachRow(freeRows, (t, address) =>
            {
                var row = (double*)address;
                double a = _y[t] * _alpha[t];
                for (int k = active; k < l; k++) _f[k] += a * row[_cols[k]];
            });
        }
    }

    private void ForEachRow(int from, int to, Action<int, nint> body)
    {
        var positions = new int[to - from];
        for (int k = from; k < to; k++) positions[k - from] = k;
        ForEachRow(positions, body);
    }

    // Reads the rows of the given solver positions in blocks (so a cache computes each block's missing rows at once).
    private void ForEachRow(int[] positions, Action<int, nint> body)
    {
        int block = Math.Max(1, Math.Min(256, _rows.PrefetchLimit));
        var ids = new int[Math.Min(block, positions.Length)];
        for (int start = 0; start < positions.Length; start += block)
        {
            int count = Math.Min(block, positions.Length - start);
            for (int r = 0; r < count; r++) ids[r] = _perm[positions[start + r]];
            _rows.Prefetch(ids.AsSpan(0, count));
            for (int r = 0; r < count; r++) body(positions[start + r], (nint)_rows.Row(ids[r]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double CalculateRho()
    {
        int free = 0;
        double ub = double.PositiveInfinity, lb = double.NegativeInfinity, sumFree = 0;
        for (int t = 0; t < _active; t++)
        {
            double yg = _f[t];
            if (_status[t] == UpperBound)
            {
                if (_y[t] < 0) ub = Math.Min(ub, yg);
                else lb = Math.Max(lb, yg);
            }
            else if (_status[t] == LowerBound)
            {
                if (_y[t] > 0) ub = Math.Min(ub, yg);
                else lb = Math.Max(lb, yg);
            }
            else
            {
                free++;
                sumFree += yg;
            }
        }
        return free > 0 ? sumFree / free : (ub + lb) / 2;
    }
}
