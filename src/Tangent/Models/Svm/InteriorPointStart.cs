namespace Tangent.Models;

/// <summary>
/// A starting point for <see cref="SmoSolver"/> on a kernel of low rank (docs/SVM.md, "Low-rank kernels and large C"):
/// the kernel of the sub-problem is factored K = Z·Zᵀ (Z l×r) by a pivoted Cholesky decomposition, and the dual
/// min ½αᵀQα − eᵀα, yᵀα = 0, 0 ≤ α ≤ C is solved by a primal–dual interior-point method (Mehrotra's predictor–corrector)
/// whose Newton systems (D + Q)·Δα + y·Δb = r are solved through Q = V·Vᵀ, V = diag(y)·Z, by the Sherman–Morrison–Woodbury
/// identity in O(l·r²) (Fine &amp; Scheinberg 2001). SMO from zero needs a number of steps that grows about linearly with C on
/// data its kernel cannot separate (a linear kernel at C = 10⁴: minutes); from this start it only polishes, and it is SMO's
/// own stop — the maximal KKT violation below the tolerance, on the exact kernel — that ends the fit, so the model is
/// optimal in the same sense as one fitted from zero.
/// </summary>
internal static unsafe class InteriorPointStart
{
    /// <summary>The largest rank factored; a sub-problem whose kernel has a higher numerical rank gets no start.</summary>
    public const int MaxRank = 256;

    /// <summary>The pivoted Cholesky stops when every remaining diagonal entry is below this times the largest diagonal entry.</summary>
    public const double RankTolerance = 1e-10;

    /// <summary>
    /// Z with K ≈ Z·Zᵀ (row-major l×r) when the numerical rank r of the sub-problem's kernel is at most
    /// min(<paramref name="maxRank"/>, l/2); null otherwise (the factorisation stops as soon as that is clear).
    /// </summary>
    public static double[,]? Factor(KernelRows rows, int maxRank = MaxRank, double relativeTolerance = RankTolerance)
    {
        int l = rows.Count;
        int limit = Math.Min(maxRank, l / 2);
        var d = (double[])rows.Diagonal.Clone();
        double top = 0;
        foreach (double v in d) top = Math.Max(top, v);
        if (!(top > 0)) return null;
        double stop = relativeTolerance * top;
        var cols = rows.ColumnIndex;
        var columns = new List<double[]>();
        var row = new double[l];
        while (true)
        {
            int p = 0;
            for (int j = 1; j < l; j++) if (d[j] > d[p]) p = j;
            if (d[p] <= stop) break;
            if (columns.Count == limit) return null;
            double* kp = rows.Row(p);
            for (int j = 0; j < l; j++) row[j] = kp[cols[j]];
            foreach (var z in columns)
            {
                double zp = z[p];
                if (zp != 0) for (int j = 0; j < l; j++) row[j] -= zp * z[j];
            }
            double pivot = Math.Sqrt(d[p]);
            var col = new double[l];
            for (int j = 0; j < l; j++)
            {
                col[j] = row[j] / pivot;
                d[j] -= col[j] * col[j];
            }
            col[p] = pivot;
            d[p] = 0;
            columns.Add(col);
        }
        int r = columns.Count;
        var factor = new double[l, r];
        for (int k = 0; k < r; k++)
            for (int j = 0; j < l; j++) factor[j, k] = columns[k][j];
        return factor;
    }

    /// <summary>
    /// A feasible α (0 ≤ α ≤ c, yᵀα = 0 up to rounding) near the optimum of the dual with kernel Z·Zᵀ: the interior-point
    /// iterate at a relative duality gap of 1e-10 (or after <paramref name="maxIterations"/>), with entries within 1e-9·c_i of a
    /// bound put on it and yᵀα restored, so that SMO sees the bounded variables as bounded.
    /// </summary>
    public static double[] Solve(double[,] z, sbyte[] y, double[] c, int maxIterations = 80)
    {
        int l = y.Length, r = z.GetLength(1);
        var v = new double[l, r];
        for (int i = 0; i < l; i++)
            for (int k = 0; k < r; k++) v[i, k] = y[i] * z[i, k];
        var alpha = new double[l];
        var t = new double[l];
        var s = new double[l];
        var xi = new double[l];
        for (int i = 0; i < l; i++)
        {
            alpha[i] = c[i] / 2;
            t[i] = c[i] - alpha[i];
            s[i] = xi[i] = 1;
        }
        double b = 0;
        var qa = new double[l];
        var rd = new double[l];
        var dg = new double[l];
        var wy = new double[l];
        var rhs = new double[l];
        var da = new double[l];
        var ds = new double[l];
        var dx = new double[l];
        var daAff = new double[l];
        var dsAff = new double[l];
        var dxAff = new double[l];
        var work = new double[r];
        var best = (double[])alpha.Clone();
        double bestResidual = double.PositiveInfinity;
        int bestIteration = 0;
        var g = new double[r, r];
        for (int iter = 0; iter < maxIterations; iter++)
        {
            // Residuals: r_d = Qα − e + b·y − s + ξ, r_p = yᵀα; μ the mean complementarity.
            MultiplyQ(v, alpha, qa, work);
            double rp = 0, gap = 0, objective = 0, rdMax = 0;
            for (int i = 0; i < l; i++)
            {
                rd[i] = qa[i] - 1 + b * y[i] - s[i] + xi[i];
                rp += y[i] * alpha[i];
                gap += alpha[i] * s[i] + t[i] * xi[i];
                objective += alpha[i] * (0.5 * qa[i] - 1);
                rdMax = Math.Max(rdMax, Math.Abs(rd[i]));
            }
            double mu = gap / (2 * l);
            // The iterate to hand over: the most stationary one once the gap is small (rounding can make later ones worse).
            double merit = rdMax + gap / l;
            if (merit < bestResidual)
            {
                bestResidual = merit;
                bestIteration = iter;
                Array.Copy(alpha, best, l);
            }
            else if (iter - bestIteration >= 5) break;   // stalled in rounding
            if (gap <= 1e-10 * (1 + Math.Abs(objective)) && rdMax <= 1e-9 && Math.Abs(rp) <= 1e-9 * (1 + Norm1(alpha) / l)) break;
            // D = s/α + ξ/t and the Cholesky factor of I + Vᵀ·D⁻¹·V for the Woodbury solves.
            for (int i = 0; i < l; i++) dg[i] = s[i] / alpha[i] + xi[i] / t[i];
            if (!FactorCapacitance(v, dg, g)) break;
            for (int i = 0; i < l; i++) rhs[i] = y[i];
            SolveM(v, dg, g, rhs, wy, work);
            double ywy = 0;
            for (int i = 0; i < l; i++) ywy += y[i] * wy[i];
            if (!(ywy > 0)) break;
            // Predictor (σ = 0).
            for (int i = 0; i < l; i++) rhs[i] = -rd[i] - s[i] + xi[i];   // rc1 = −α∘s, rc2 = −t∘ξ
            Direction(v, dg, g, y, rhs, wy, ywy, rp, daAff, out _, work);
            for (int i = 0; i < l; i++)
            {
                dsAff[i] = (-alpha[i] * s[i] - s[i] * daAff[i]) / alpha[i];
                dxAff[i] = (-t[i] * xi[i] + xi[i] * daAff[i]) / t[i];
            }
            double stepAff = Step(alpha, t, s, xi, daAff, dsAff, dxAff, 1.0);
            double gapAff = 0;
            for (int i = 0; i < l; i++)
                gapAff += (alpha[i] + stepAff * daAff[i]) * (s[i] + stepAff * dsAff[i]) + (t[i] - stepAff * daAff[i]) * (xi[i] + stepAff * dxAff[i]);
            double sigma = Math.Pow(gapAff / gap, 3);
            double target = sigma * mu;
            // Corrector: the complementarity targets σμ with the predictor's second-order terms.
            for (int i = 0; i < l; i++)
            {
                double rc1 = target - alpha[i] * s[i] - daAff[i] * dsAff[i];
                double rc2 = target - t[i] * xi[i] + daAff[i] * dxAff[i];
                rhs[i] = -rd[i] + rc1 / alpha[i] - rc2 / t[i];
            }
            Direction(v, dg, g, y, rhs, wy, ywy, rp, da, out double db, work);
            for (int i = 0; i < l; i++)
            {
                double rc1 = target - alpha[i] * s[i] - daAff[i] * dsAff[i];
                double rc2 = target - t[i] * xi[i] + daAff[i] * dxAff[i];
                ds[i] = (rc1 - s[i] * da[i]) / alpha[i];
                dx[i] = (rc2 + xi[i] * da[i]) / t[i];
            }
            double step = Step(alpha, t, s, xi, da, ds, dx, 0.995);
            for (int i = 0; i < l; i++)
            {
                alpha[i] += step * da[i];
                t[i] -= step * da[i];   // kept apart from c − α, which rounds to 0 next to a large C
                s[i] += step * ds[i];
                xi[i] += step * dx[i];
            }
            b += step * db;
            if (!(step > 0)) break;
        }
        return Feasible(best, y, c);
    }

    // α clipped to the box with near-bound entries on the bound, then yᵀα = 0 restored by moving the free entries (then any).
    internal static double[] Feasible(double[] raw, sbyte[] y, double[] c)
    {
        int l = raw.Length;
        var a = new double[l];
        double balance = 0;
        for (int i = 0; i < l; i++)
        {
            double v = double.IsFinite(raw[i]) ? Math.Clamp(raw[i], 0, c[i]) : 0;
            if (v <= 1e-9 * c[i]) v = 0;
            else if (v >= c[i] * (1 - 1e-9)) v = c[i];
            a[i] = v;
            balance += y[i] * v;
        }
        // Remove the excess Σ y·α: lowering α_i with y_i = sign(excess) or raising it with the other sign.
        for (int pass = 0; pass < 2 && balance != 0; pass++)
            for (int i = 0; i < l && balance != 0; i++)
            {
                bool free = a[i] > 0 && a[i] < c[i];
                if (pass == 0 && !free) continue;
                double room = (y[i] > 0) == (balance > 0) ? a[i] : c[i] - a[i];   // how far α_i can move the right way
                double move = Math.Min(room, Math.Abs(balance));
                if (move <= 0) continue;
                a[i] += (y[i] > 0) == (balance > 0) ? -move : move;
                balance -= Math.Sign(balance) * move;
            }
        return a;
    }

    // The Newton direction: Δα = M⁻¹·rhs − Δb·M⁻¹·y with Δb chosen so that yᵀΔα = −r_p, then two rounds of iterative
    // refinement against the system itself ((Q + D)·Δα + y·Δb = rhs, yᵀΔα = −r_p): near the end D spans many orders of
    // magnitude and the Woodbury solve alone loses the digits that keep the iterates stationary.
    private static void Direction(double[,] v, double[] dg, double[,] g, sbyte[] y, double[] rhs, double[] wy, double ywy, double rp,
        double[] da, out double db, double[] work)
    {
        int l = da.Length;
        Solve(v, dg, g, y, rhs, wy, ywy, -rp, da, out db, work);
        var residual = new double[l];
        var correction = new double[l];
        var q = new double[l];
        for (int round = 0; round < 2; round++)
        {
            MultiplyQ(v, da, q, work);
            double yd = 0;
            for (int i = 0; i < l; i++)
            {
                residual[i] = rhs[i] - (q[i] + dg[i] * da[i] + y[i] * db);
                yd += y[i] * da[i];
            }
            Solve(v, dg, g, y, residual, wy, ywy, -rp - yd, correction, out double dbc, work);
            for (int i = 0; i < l; i++) da[i] += correction[i];
            db += dbc;
        }
    }

    // Solves (Q + D)·x + y·β = u, yᵀx = target by the Woodbury solve of M = Q + D.
    private static void Solve(double[,] v, double[] dg, double[,] g, sbyte[] y, double[] u, double[] wy, double ywy, double target,
        double[] x, out double beta, double[] work)
    {
        SolveM(v, dg, g, u, x, work);
        double yx = 0;
        for (int i = 0; i < x.Length; i++) yx += y[i] * x[i];
        beta = (yx - target) / ywy;
        for (int i = 0; i < x.Length; i++) x[i] -= beta * wy[i];
    }

    // The largest step in (0, 1] (times fraction) that keeps α, t = C − α, s and ξ positive.
    private static double Step(double[] alpha, double[] t, double[] s, double[] xi, double[] da, double[] ds, double[] dx, double fraction)
    {
        double max = 1 / fraction;
        for (int i = 0; i < alpha.Length; i++)
        {
            if (da[i] < 0) max = Math.Min(max, -alpha[i] / da[i]);
            if (da[i] > 0) max = Math.Min(max, t[i] / da[i]);
            if (ds[i] < 0) max = Math.Min(max, -s[i] / ds[i]);
            if (dx[i] < 0) max = Math.Min(max, -xi[i] / dx[i]);
        }
        return Math.Min(1, fraction * max);
    }

    // q = V·(Vᵀ·a).
    private static void MultiplyQ(double[,] v, double[] a, double[] q, double[] work)
    {
        int l = a.Length, r = work.Length;
        Array.Clear(work);
        for (int i = 0; i < l; i++)
            for (int k = 0; k < r; k++) work[k] += v[i, k] * a[i];
        for (int i = 0; i < l; i++)
        {
            double sum = 0;
            for (int k = 0; k < r; k++) sum += v[i, k] * work[k];
            q[i] = sum;
        }
    }

    // The lower Cholesky factor of I + Vᵀ·D⁻¹·V in place in g; false when it is not positive definite (rounding).
    private static bool FactorCapacitance(double[,] v, double[] dg, double[,] g)
    {
        int l = dg.Length, r = g.GetLength(0);
        Array.Clear(g);
        var row = new double[r];
        for (int i = 0; i < l; i++)
        {
            double w = 1 / dg[i];
            for (int k = 0; k < r; k++) row[k] = v[i, k] * w;
            for (int k = 0; k < r; k++)
            {
                double vk = v[i, k];
                for (int m = 0; m <= k; m++) g[k, m] += row[m] * vk;
            }
        }
        for (int k = 0; k < r; k++) g[k, k] += 1;
        for (int k = 0; k < r; k++)
        {
            double sum = g[k, k];
            for (int m = 0; m < k; m++) sum -= g[k, m] * g[k, m];
            if (!(sum > 0)) return false;
            double pivot = Math.Sqrt(sum);
            g[k, k] = pivot;
            for (int i = k + 1; i < r; i++)
            {
                double x = g[i, k];
                for (int m = 0; m < k; m++) x -= g[i, m] * g[k, m];
                g[i, k] = x / pivot;
            }
        }
        return true;
    }

    // x = M⁻¹·u for M = D + V·Vᵀ: x = D⁻¹u − D⁻¹V·(I + VᵀD⁻¹V)⁻¹·VᵀD⁻¹u.
    private static void SolveM(double[,] v, double[] dg, double[,] g, double[] u, double[] x, double[] work)
    {
        int l = dg.Length, r = work.Length;
        Array.Clear(work);
        for (int i = 0; i < l; i++)
        {
            double w = u[i] / dg[i];
            x[i] = w;
            for (int k = 0; k < r; k++) work[k] += v[i, k] * w;
        }
        for (int k = 0; k < r; k++)
        {
            double sum = work[k];
            for (int m = 0; m < k; m++) sum -= g[k, m] * work[m];
            work[k] = sum / g[k, k];
        }
        for (int k = r - 1; k >= 0; k--)
        {
            double sum = work[k];
            for (int m = k + 1; m < r; m++) sum -= g[m, k] * work[m];
            work[k] = sum / g[k, k];
        }
        for (int i = 0; i < l; i++)
        {
            double sum = 0;
            for (int k = 0; k < r; k++) sum += v[i, k] * work[k];
            x[i] -= sum / dg[i];
        }
    }

    private static double Norm1(double[] a)
    {
        double sum = 0;
        foreach (double x in a) sum += Math.Abs(x);
        return sum;
    }
}
