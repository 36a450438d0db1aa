namespace Tangent.Dynamics;

/// <summary>
/// The explicit Runge-Kutta pair of Dormand &amp; Prince (1980), order 5 with an embedded order-4
/// error estimate, FSAL, and the standard step-size control (Hairer, Nørsett &amp; Wanner, "Solving
/// Ordinary Differential Equations I", §II.4 and the DOPRI5 code). Steps land exactly on the
/// requested output times.
/// </summary>
internal static class DormandPrince
{
    public delegate void Derivative(double t, double[] y, double[] dy);

    public readonly record struct Statistics(int Accepted, int Rejected, int Evaluations);

    // Butcher tableau (DOPRI5).
    private const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    private const double A21 = 1.0 / 5;
    private const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    private const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    private const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    private const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    private const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
    // Error coefficients b − b̂ (5th minus embedded 4th order).
    private const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;

    /// <summary>Integrates y' = f(t, y) from t = 0, calling <paramref name="output"/> at each time in
    /// <paramref name="times"/> (ascending, ≥ 0) with the state there.</summary>
    public static Statistics Integrate(Derivative f, double[] y0, IReadOnlyList<double> times, Action<int, double[]> output,
        double rtol, double atol, int maxSteps, CancellationToken cancellationToken)
    {
        int dim = y0.Length;
        var y = (double[])y0.Clone();
        var k1 = new double[dim]; var k2 = new double[dim]; var k3 = new double[dim]; var k4 = new double[dim];
        var k5 = new double[dim]; var k6 = new double[dim]; var k7 = new double[dim];
        var tmp = new double[dim]; var yNew = new double[dim];
        int accepted = 0, rejected = 0, evals = 0;
        double t = 0;
        f(t, y, k1); evals++;
        double h = double.NaN;
        for (int q = 0; q < times.Count; q++)
        {
            double target = times[q];
            if (double.IsNaN(h) && target > 0) { h = InitialStep(f, y, k1, rtol, atol, tmp, yNew); evals++; }
            while (t < target)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (accepted + rejected >= maxSteps)
                    throw new InvalidOperationException(
                        $"The ODE solver took {maxSteps} steps and reached t = {t:G6} of {target:G6}; the problem is stiff for an explicit method " +
                        "(the step is bounded by about 3.3/(η·λ_max(Θ)/N)). Raise MaxSteps, loosen the tolerances, or ask for earlier times.");
                bool last = t + h >= target * (1 - 1e-14);
                double step = last ? target - t : h;
                Stage(y, step, tmp, k1, A21); f(t + C2 * step, tmp, k2);
                Stage(y, step, tmp, k1, A31, k2, A32); f(t + C3 * step, tmp, k3);
                Stage(y, step, tmp, k1, A41, k2, A42, k3, A43); f(t + C4 * step, tmp, k4);
                Stage(y, step, tmp, k1, A51, k2, A52, k3, A53, k4, A54); f(t + C5 * step, tmp, k5);
                for (int i = 0; i < dim; i++)
                    tmp[i] = y[i] + step * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
                f(t + step, tmp, k6);
                for (int i = 0; i < dim; i++)
                    yNew[i] = y[i] + step * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
                f(t + step, yNew, k7);
                evals += 6;
                double err = 0;
                for (int i = 0; i < dim; i++)
                {
                    double e = step * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
                    double sc = atol + rtol * Math.Max(Math.Abs(y[i]), Math.Abs(yNew[i]));
                    err += e / sc * (e / sc);
                }
                err = dim == 0 ? 0 : Math.Sqrt(err / dim);
                if (!double.IsFinite(err))
                    throw new ArithmeticException($"The ODE solution became non-finite near t = {t:G6}; the loss gradient overflowed.");
                double factor = err == 0 ? 5 : Math.Clamp(0.9 * Math.Pow(err, -0.2), 0.2, 5);
                if (err <= 1)
                {
                    accepted++;
                    t = last ? target : t + step;
                    (y, yNew) = (yNew, y);
                    (k1, k7) = (k7, k1); // first same as last
                    h = last ? Math.Max(h, step * factor) : step * factor;
                }
                else
                {
                    rejected++;
                    h = step * Math.Min(1, factor);
                }
            }
            output(q, y);
        }
        return new Statistics(accepted, rejected, evals);
    }

    private static void Stage(double[] y, double h, double[] dst, double[] ka, double a)
    {
        for (int i = 0; i < y.Length; i++) dst[i] = y[i] + h * a * ka[i];
    }

    private static void Stage(double[] y, double h, double[] dst, double[] ka, double a, double[] kb, double b)
    {
        for (int i = 0; i < y.Length; i++) dst[i] = y[i] + h * (a * ka[i] + b * kb[i]);
    }

    private static void Stage(double[] y, double h, double[] dst, double[] ka, double a, double[] kb, double b, double[] kc, double c)
    {
        for (int i = 0; i < y.Length; i++) dst[i] = y[i] + h * (a * ka[i] + b * kb[i] + c * kc[i]);
    }

    private static void Stage(double[] y, double h, double[] dst, double[] ka, double a, double[] kb, double b, double[] kc, double c, double[] kd, double d)
    {
        for (int i = 0; i < y.Length; i++) dst[i] = y[i] + h * (a * ka[i] + b * kb[i] + c * kc[i] + d * kd[i]);
    }

    /// <summary>The starting step of Hairer, Nørsett &amp; Wanner (§II.4, "Starting step size").</summary>
    private static double InitialStep(Derivative f, double[] y, double[] f0, double rtol, double atol, double[] y1, double[] f1)
    {
        int dim = y.Length;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < dim; i++)
        {
            double sc = atol + rtol * Math.Abs(y[i]);
            d0 += (y[i] / sc) * (y[i] / sc);
            d1 += (f0[i] / sc) * (f0[i] / sc);
        }
        d0 = Math.Sqrt(d0 / Math.Max(dim, 1));
        d1 = Math.Sqrt(d1 / Math.Max(dim, 1));
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        for (int i = 0; i < dim; i++) y1[i] = y[i] + h0 * f0[i];
        f(h0, y1, f1);
        double d2 = 0;
        for (int i = 0; i < dim; i++)
        {
            double sc = atol + rtol * Math.Abs(y[i]);
            double v = (f1[i] - f0[i]) / sc;
            d2 += v * v;
        }
        d2 = Math.Sqrt(d2 / Math.Max(dim, 1)) / h0;
        double m = Math.Max(d1, d2);
        double h1 = m <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / m, 0.2);
        return Math.Min(100 * h0, h1);
    }
}
