using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

/// <summary>
/// The LAPACK-style managed eigensolver (blocked tridiagonalisation, divide and conquer, blocked
/// back-transformation) against the tred2/tql2 path, the native dsyevd where present, and closed forms.
/// </summary>
public sealed class ManagedEigenSolverTests
{
    private static double[] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                a[i * n + j] = a[j * n + i] = rng.NextDouble() * 2 - 1;
        return a;
    }

    /// <summary>Runs the new path on a copy stored with leading dimension lda; returns (λ, V with ld n).</summary>
    private static unsafe (double[] W, double[] V) Solve(int n, double[] a, int lda)
    {
        var work = new double[Math.Max(1, (n - 1) * lda + n)];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) work[i * lda + j] = a[i * n + j];
        var w = new double[n];
        fixed (double* p = work)
            ManagedEigen.Syevd(n, p, lda, w);
        var v = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) v[i * n + j] = work[i * lda + j];
        return (w, v);
    }

    private static double[] Reference(int n, double[] a)
    {
        var copy = (double[])a.Clone();
        var w = new double[n];
        if (NativeProvider.Instance is { } native) native.Syevd(n, copy, n, w);
        else ManagedProvider.SyevdQl(n, copy, n, w);
        return w;
    }

    /// <summary>Asserts ascending λ near the reference, ‖AV − VΛ‖ ≤ 1e-12·n·‖A‖ and ‖VᵀV − I‖ ≤ 1e-12·n.</summary>
    private static void Check(string what, int n, double[] a, double[] w, double[] v, double[] reference)
    {
        double norm = 0;
        foreach (double x in reference) norm = Math.Max(norm, Math.Abs(x));
        norm = Math.Max(norm, 1e-300);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(w[i] - reference[i]) <= 1e-12 * norm, $"{what}: λ{i + 1} = {w[i]:R}, reference {reference[i]:R}");
            if (i > 0) Assert.True(w[i] >= w[i - 1], $"{what}: eigenvalues not ascending at {i + 1}");
        }
        double residual = 0, orth = 0;
        var av = new double[n];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * v[k * n + j];
                residual = Math.Max(residual, Math.Abs(s - w[j] * v[i * n + j]));
            }
            for (int l = 0; l <= j; l++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += v[k * n + l] * v[k * n + j];
                orth = Math.Max(orth, Math.Abs(s - (l == j ? 1 : 0)));
            }
        }
        Assert.True(residual <= 1e-12 * n * norm, $"{what}: residual ‖AV − VΛ‖ = {residual:G3} for ‖A‖ = {norm:G3}");
        Assert.True(orth <= 1e-12 * n, $"{what}: ‖VᵀV − I‖ = {orth:G3}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(31)]
    [InlineData(65)]
    [InlineData(200)]
    [InlineData(513)]
    public void RandomSymmetricMatricesOfRaggedOrdersMatchTheReference(int n)
    {
        var a = RandomSymmetric(n, 100 + n);
        var (w, v) = Solve(n, a, n + (n % 3));
        Check($"random n={n}", n, a, w, v, Reference(n, a));
        // The tql2 path agrees too (it is the independent managed reference).
        var copy = (double[])a.Clone();
        var wq = new double[n];
        ManagedProvider.SyevdQl(n, copy, n, wq);
        double norm = Math.Max(Math.Abs(wq[0]), Math.Abs(wq[^1]));
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(w[i] - wq[i]) <= 1e-12 * norm, $"n={n}: λ{i + 1} = {w[i]:R}, tql2 {wq[i]:R}");
    }

    public static TheoryData<string> Structured() => new() { "identity", "duplicates", "rank-one", "wilkinson", "graded", "indefinite", "zero", "blocks" };

    [Theory]
    [MemberData(nameof(Structured))]
    public void DeflationHeavyMatricesKeepOrthogonalVectors(string kind)
    {
        int n = 301;
        var a = new double[n * n];
        var rng = new Random(7);
        switch (kind)
        {
            case "identity":
                for (int i = 0; i < n; i++) a[i * n + i] = 1;
                break;
            case "duplicates":
            {
                // Eigenvalues with multiplicity ~30, rotated by a random orthogonal-ish similarity (Householder).
                var u = new double[n];
                double s = 0;
                for (int i = 0; i < n; i++) { u[i] = rng.NextDouble() - 0.5; s += u[i] * u[i]; }
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        // A = H·diag(λ)·H with λ_k = k mod 10.
                        double sum = 0;
                        for (int k = 0; k < n; k++)
                        {
                            double hik = (i == k ? 1 : 0) - 2 * u[i] * u[k] / s, hkj = (k == j ? 1 : 0) - 2 * u[k] * u[j] / s;
                            sum += hik * (k % 10) * hkj;
                        }
                        a[i * n + j] = sum;
                    }
            }
            break;
            case "rank-one":
            {
                var u = new double[n];
                for (int i = 0; i < n; i++) u[i] = rng.NextDouble() - 0.5;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) a[i * n + j] = (i == j ? 1 : 0) + u[i] * u[j];
            }
            break;
            case "wilkinson":
                // W⁺ of order 301: d_i = |150 − i|, off-diagonal 1; its eigenvalues come in pairs agreeing to many digits.
                for (int i = 0; i < n; i++)
                {
                    a[i * n + i] = Math.Abs(150 - i);
                    if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = 1;
                }
                break;
            case "graded":
            {
                var r = RandomSymmetric(n, 11);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) a[i * n + j] = r[i * n + j] * Math.Pow(2, -(i + j) / 20.0);
            }
            break;
            case "indefinite":
            case "zero":
            {
                // X₁X₁ᵀ − X₂X₂ᵀ of rank 120 + (indefinite ? 100 : 0): exact zeros and negative eigenvalues.
                int r1 = 120, r2 = kind == "indefinite" ? 100 : 0;
                var x = new double[n * (r1 + r2)];
                for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() - 0.5;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                    {
                        double s = 0;
                        for (int k = 0; k < r1 + r2; k++) s += (k < r1 ? 1 : -1) * x[i * (r1 + r2) + k] * x[j * (r1 + r2) + k];
                        a[i * n + j] = a[j * n + i] = s;
                    }
            }
            break;
            case "blocks":
                // Decoupled blocks (zero off-diagonal couplings where divide and conquer tears) and a zero block.
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                        if (i / 40 == j / 40 && i / 40 % 3 != 2)
                            a[i * n + j] = a[j * n + i] = rng.NextDouble() - 0.5;
                break;
        }
        var (w, v) = Solve(n, a, n);
        Check(kind, n, a, w, v, Reference(n, a));
    }

    [Fact]
    public unsafe void DivideAndConquerMatchesTheClosedFormOfTheFreeTridiagonal()
    {
        // tridiag(1, 0, 1) of order n has eigenvalues 2·cos(kπ/(n+1)), k = 1..n.
        const int n = 777;
        var d = new double[n];
        var e = new double[n - 1];
        Array.Fill(e, 1.0);
        var z = new double[n * n];
        var lam = new double[n];
        fixed (double* pz = z) ManagedEigen.DivideAndConquer(n, d, e, pz, lam);
        var sorted = lam.OrderBy(x => x).ToArray();
        for (int k = 0; k < n; k++)
        {
            double exact = 2 * Math.Cos((n - k) * Math.PI / (n + 1));
            Assert.True(Math.Abs(sorted[k] - exact) < 1e-13 * n, $"λ{k + 1} = {sorted[k]:R}, exact {exact:R}");
        }
        // Each column j is an eigenvector of T with lam[j]; the columns are orthonormal.
        for (int j = 0; j < n; j += 7)
        {
            for (int i = 0; i < n; i++)
            {
                double tv = (i > 0 ? z[(i - 1) * n + j] : 0) + (i + 1 < n ? z[(i + 1) * n + j] : 0);
                Assert.True(Math.Abs(tv - lam[j] * z[i * n + j]) < 1e-13 * n, $"column {j + 1}, row {i + 1}");
            }
            for (int l = 0; l < n; l += 5)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += z[i * n + l] * z[i * n + j];
                Assert.True(Math.Abs(s - (l == j ? 1 : 0)) < 1e-13 * n, $"columns {l + 1}, {j + 1}: {s:G3}");
            }
        }
    }

    [Fact]
    public void TheProviderTakesTheNewPathAboveTheSmallOrderAndAgreesWithQl()
    {
        int n = ManagedProvider.EigenSmallOrder + 37;
        var a = RandomSymmetric(n, 5);
        var viaProvider = (double[])a.Clone();
        var w = new double[n];
        ManagedProvider.Instance.Syevd(n, viaProvider, n, w);
        var (wNew, vNew) = Solve(n, a, n);
        Assert.Equal(wNew, w);
        Assert.Equal(vNew, viaProvider);
    }

    [Fact]
    public void NonFiniteEntriesAreRejectedWithTheirPosition()
    {
        var a = RandomSymmetric(100, 3);
        a[41 * 100 + 7] = double.NaN;
        var ex = Assert.Throws<ArithmeticException>(() => Solve(100, a, 100));
        Assert.Contains("A[42, 8]", ex.Message);
    }

    [Fact]
    public void SecularRootsInterlaceThePolesAndSolveTheEquation()
    {
        // diag(0, 1, 2, 2.000001, 5) + 0.7·w·wᵀ: each root lies between consecutive poles and f(λ) ≈ 0.
        double[] dl = { 0, 1, 2, 2.000001, 5 };
        double[] w = { 0.3, 0.5, 0.4, 0.6, 0.37 };
        double rho = 0.7;
        int k = dl.Length;
        var lam = new double[k];
        var u = new double[k * k];
        ManagedEigen.SecularVectors(k, dl, w, rho, Enumerable.Range(0, k).ToArray(), lam, u);
        for (int j = 0; j < k; j++)
        {
            Assert.True(lam[j] > dl[j] && (j == k - 1 || lam[j] < dl[j + 1]), $"root {j + 1} = {lam[j]:R}");
            double f = 1 / rho, scale = 1 / rho, slope = 0;
            for (int i = 0; i < k; i++)
            {
                double t = w[i] * w[i] / (dl[i] - lam[j]);
                f += t;
                scale += Math.Abs(t);
                slope += t / (dl[i] - lam[j]);
            }
            // Rounding λ to a double moves f by up to slope·ulp(λ).
            Assert.True(Math.Abs(f) < 1e-13 * scale + 2 * slope * Math.BitIncrement(Math.Abs(lam[j])) - 2 * slope * Math.Abs(lam[j]) + slope * 1e-16 * Math.Abs(lam[j]), $"f(λ{j + 1}) = {f:G3}");
            // u's row j is the unit eigenvector of diag(dl) + ρ·w·wᵀ.
            for (int i = 0; i < k; i++)
            {
                double s = dl[i] * u[j * k + i];
                for (int l = 0; l < k; l++) s += rho * w[i] * w[l] * u[j * k + l];
                Assert.True(Math.Abs(s - lam[j] * u[j * k + i]) < 1e-13, $"eigenvector {j + 1}, component {i + 1}");
            }
        }
    }
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    [InlineData(3, 3)]
    [InlineData(4, 7)]
    [InlineData(5, 5)]
    [InlineData(7, 9)]
    [InlineData(8, 8)]
    [InlineData(13, 17)]
    [InlineData(66, 70)]
    [InlineData(131, 131)]
    [InlineData(401, 405)]
    public unsafe void TheSymmetricProductReadsOnlyTheLowerTriangleAndMatchesANaiveOne(int len, int ld)
    {
        // The strict upper part holds NaN, so any read of it shows in y; 401 takes the parallel path where threads exist.
        var rng = new Random(len * 31 + ld);
        var s = new double[(len - 1) * ld + len];
        Array.Fill(s, double.NaN);
        for (int r = 0; r < len; r++)
            for (int c = 0; c <= r; c++) s[r * ld + c] = rng.NextDouble() * 2 - 1;
        var x = new double[len];
        for (int i = 0; i < len; i++) x[i] = rng.NextDouble() * 2 - 1;
        var y = new double[len];
        Array.Fill(y, double.NaN); // overwritten, not accumulated
        fixed (double* ps = s, px = x, py = y) ManagedEigen.Symv(ps, ld, len, px, py);
        for (int r = 0; r < len; r++)
        {
            double expected = 0, scale = 0;
            for (int c = 0; c < len; c++)
            {
                double t = (c <= r ? s[r * ld + c] : s[c * ld + r]) * x[c];
                expected += t;
                scale += Math.Abs(t);
            }
            Assert.True(Math.Abs(y[r] - expected) <= 1e-14 * scale + 1e-300, $"order {len}, ld {ld}: y[{r + 1}] = {y[r]:R}, expected {expected:R}");
        }
    }

    [Theory]
    [InlineData(0, 9)]
    [InlineData(3, 10)]
    [InlineData(5, 14)]
    public unsafe void SymmetricProductRowRangesAccumulateFromAnyStartRow(int r0, int r1)
    {
        // SymvRows on rows [r0, r1) adds exactly those rows' lower-triangle contributions (both directions) to y.
        const int ld = 16;
        var rng = new Random(r0 * 100 + r1);
        var s = new double[ld * ld];
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextDouble() * 2 - 1;
        var x = new double[ld];
        for (int i = 0; i < ld; i++) x[i] = rng.NextDouble() * 2 - 1;
        var y = new double[ld];
        for (int i = 0; i < ld; i++) y[i] = i;
        var expected = (double[])y.Clone();
        for (int r = r0; r < r1; r++)
        {
            for (int c = 0; c < r; c++)
            {
                expected[r] += s[r * ld + c] * x[c];
                expected[c] += s[r * ld + c] * x[r];
            }
            expected[r] += s[r * ld + r] * x[r];
        }
        fixed (double* ps = s, px = x, py = y) ManagedEigen.SymvRows(ps, ld, r0, r1, px, py);
        for (int i = 0; i < ld; i++) Assert.True(Math.Abs(y[i] - expected[i]) < 1e-13, $"rows [{r0}, {r1}): y[{i + 1}] = {y[i]:R}, expected {expected[i]:R}");
    }
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(70)]
    public unsafe void TheInPlaceTransposeSwapsEveryPairAcrossTheDiagonal(int n)
    {
        var z = new double[n * n];
        for (int i = 0; i < z.Length; i++) z[i] = i;
        fixed (double* pz = z) ManagedEigen.TransposeInPlace(n, pz);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(j * n + i, z[i * n + j]);
    }
}
