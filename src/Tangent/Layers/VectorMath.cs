using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Layers;

/// <summary>
/// Vectorised elementary functions for the fused kernel recursions. <see cref="Acos(Vector256{double})"/>
/// uses the rational approximation of asin on [0, 1/2] from fdlibm (Sun Microsystems, e_asin.c),
/// with acos(x) = π/2 − asin(x) for |x| ≤ 1/2 and acos(x) = 2·asin(√((1−|x|)/2)) (reflected for
/// x &lt; 0) above; absolute error below 3e-16 on [−1, 1] (tested against <see cref="Math.Acos"/>).
/// </summary>
internal static class VectorMath
{
    private const double PS0 = 1.66666666666666657415e-01, PS1 = -3.25565818622400915405e-01,
        PS2 = 2.01212532134862925881e-01, PS3 = -4.00555345006794114027e-02,
        PS4 = 7.91534994289814532176e-04, PS5 = 3.47933107596021167570e-05,
        QS1 = -2.40339491173441421878e+00, QS2 = 2.02094576023350569471e+00,
        QS3 = -6.88283971605453293030e-01, QS4 = 7.70381505559019352791e-02;

    /// <summary>R(z) with asin(t) = t + t·R(t²) on [0, 1/2].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> R(Vector256<double> z)
    {
        var p = Vector256.FusedMultiplyAdd(z, Vector256.Create(PS5), Vector256.Create(PS4));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(PS3));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(PS2));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(PS1));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(PS0));
        p *= z;
        var q = Vector256.FusedMultiplyAdd(z, Vector256.Create(QS4), Vector256.Create(QS3));
        q = Vector256.FusedMultiplyAdd(z, q, Vector256.Create(QS2));
        q = Vector256.FusedMultiplyAdd(z, q, Vector256.Create(QS1));
        q = Vector256.FusedMultiplyAdd(z, q, Vector256<double>.One);
        return p / q;
    }

    /// <summary>arccos of each lane; lanes must lie in [−1, 1] (clip first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Acos(Vector256<double> x)
    {
        var ax = Vector256.Abs(x);
        var half = Vector256.Create(0.5);
        var small = Vector256.LessThanOrEqual(ax, half);
        var zLarge = (Vector256<double>.One - ax) * half;
        var z = Vector256.ConditionalSelect(small, x * x, zLarge);
        var t = Vector256.ConditionalSelect(small, ax, Vector256.Sqrt(zLarge));
        var asinT = Vector256.FusedMultiplyAdd(t, R(z), t);            // asin(t), t ≥ 0
        var negative = Vector256.LessThan(x, Vector256<double>.Zero);
        // |x| ≤ 1/2: π/2 − sign(x)·asin(|x|);  x > 1/2: 2·asin(t);  x < −1/2: π − 2·asin(t).
        var smallResult = Vector256.Create(Math.PI / 2) - Vector256.ConditionalSelect(negative, -asinT, asinT);
        var twice = asinT + asinT;
        var largeResult = Vector256.ConditionalSelect(negative, Vector256.Create(Math.PI) - twice, twice);
        return Vector256.ConditionalSelect(small, smallResult, largeResult);
    }

    /// <summary>
    /// arccos of each float lane (lanes in [−1, 1]): Cephes' asinf polynomial (S. Moshier, asinf.c; relative error
    /// about 1e-7 for asin on [0, 1/2]) in the same reduction as the double version, so no division.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Acos(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var half = Vector256.Create(0.5f);
        var small = Vector256.LessThanOrEqual(ax, half);
        var zLarge = (Vector256<float>.One - ax) * half;
        var z = Vector256.ConditionalSelect(small, x * x, zLarge);
        var t = Vector256.ConditionalSelect(small, ax, Vector256.Sqrt(zLarge));
        var p = Vector256.FusedMultiplyAdd(z, Vector256.Create(4.2163199048E-2f), Vector256.Create(2.4181311049E-2f));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(4.5470025998E-2f));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(7.4953002686E-2f));
        p = Vector256.FusedMultiplyAdd(z, p, Vector256.Create(1.6666752422E-1f));
        var asinT = Vector256.FusedMultiplyAdd(t * z, p, t);          // asin(t), t ≥ 0
        var negative = Vector256.LessThan(x, Vector256<float>.Zero);
        var smallResult = Vector256.Create(MathF.PI / 2) - Vector256.ConditionalSelect(negative, -asinT, asinT);
        var twice = asinT + asinT;
        var largeResult = Vector256.ConditionalSelect(negative, Vector256.Create(MathF.PI) - twice, twice);
        return Vector256.ConditionalSelect(small, smallResult, largeResult);
    }

    /// <summary>R(z) of <see cref="R(Vector256{double})"/>, 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> R(Vector512<double> z)
    {
        var p = Vector512.FusedMultiplyAdd(z, Vector512.Create(PS5), Vector512.Create(PS4));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(PS3));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(PS2));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(PS1));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(PS0));
        p *= z;
        var q = Vector512.FusedMultiplyAdd(z, Vector512.Create(QS4), Vector512.Create(QS3));
        q = Vector512.FusedMultiplyAdd(z, q, Vector512.Create(QS2));
        q = Vector512.FusedMultiplyAdd(z, q, Vector512.Create(QS1));
        q = Vector512.FusedMultiplyAdd(z, q, Vector512<double>.One);
        return p / q;
    }

    /// <summary>The Vector512 twin of <see cref="Acos(Vector256{double})"/> (AVX-512; the same operations, 8 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Acos(Vector512<double> x)
    {
        var ax = Vector512.Abs(x);
        var half = Vector512.Create(0.5);
        var small = Vector512.LessThanOrEqual(ax, half);
        var zLarge = (Vector512<double>.One - ax) * half;
        var z = Vector512.ConditionalSelect(small, x * x, zLarge);
        var t = Vector512.ConditionalSelect(small, ax, Vector512.Sqrt(zLarge));
        var asinT = Vector512.FusedMultiplyAdd(t, R(z), t);            // asin(t), t ≥ 0
        var negative = Vector512.LessThan(x, Vector512<double>.Zero);
        // |x| ≤ 1/2: π/2 − sign(x)·asin(|x|);  x > 1/2: 2·asin(t);  x < −1/2: π − 2·asin(t).
        var smallResult = Vector512.Create(Math.PI / 2) - Vector512.ConditionalSelect(negative, -asinT, asinT);
        var twice = asinT + asinT;
        var largeResult = Vector512.ConditionalSelect(negative, Vector512.Create(Math.PI) - twice, twice);
        return Vector512.ConditionalSelect(small, smallResult, largeResult);
    }

    /// <summary>The Vector512 twin of <see cref="Acos(Vector256{float})"/> (16 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Acos(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var half = Vector512.Create(0.5f);
        var small = Vector512.LessThanOrEqual(ax, half);
        var zLarge = (Vector512<float>.One - ax) * half;
        var z = Vector512.ConditionalSelect(small, x * x, zLarge);
        var t = Vector512.ConditionalSelect(small, ax, Vector512.Sqrt(zLarge));
        var p = Vector512.FusedMultiplyAdd(z, Vector512.Create(4.2163199048E-2f), Vector512.Create(2.4181311049E-2f));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(4.5470025998E-2f));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(7.4953002686E-2f));
        p = Vector512.FusedMultiplyAdd(z, p, Vector512.Create(1.6666752422E-1f));
        var asinT = Vector512.FusedMultiplyAdd(t * z, p, t);          // asin(t), t ≥ 0
        var negative = Vector512.LessThan(x, Vector512<float>.Zero);
        var smallResult = Vector512.Create(MathF.PI / 2) - Vector512.ConditionalSelect(negative, -asinT, asinT);
        var twice = asinT + asinT;
        var largeResult = Vector512.ConditionalSelect(negative, Vector512.Create(MathF.PI) - twice, twice);
        return Vector512.ConditionalSelect(small, smallResult, largeResult);
    }

    /// <summary>arccos of each lane for T = double or float, 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Acos<T>(Vector512<T> x) => typeof(T) == typeof(double)
        ? Acos(x.As<T, double>()).As<double, T>()
        : Acos(x.As<T, float>()).As<float, T>();

    /// <summary>a·b + c in one rounding, for T = double or float, 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FusedMultiplyAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(double)
        ? Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>()
        : Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();

    /// <summary>
    /// True: the convolutional kernels' vector loops (<see cref="PairEngine{T}"/>'s stencil, the ReLU family's pair
    /// kernel) take 512-bit vectors first. By default where AVX-512 is accelerated; the environment variable
    /// <c>TANGENT_CNTK_VECTOR</c> = <c>256</c> or <c>512</c> (read once at start) forces either, and tests set it to run
    /// both paths on any processor (Vector512 is emulated, slowly, without AVX-512).
    /// </summary>
    internal static bool Wide { get; set; } = Environment.GetEnvironmentVariable("TANGENT_CNTK_VECTOR") switch
    {
        "512" => true,
        "256" => false,
        _ => Vector512.IsHardwareAccelerated,
    };

    /// <summary>Scalar twin of <see cref="Acos(Vector256{float})"/> for loop tails.</summary>
    public static float Acos(float x) => Acos(Vector256.Create(x)).GetElement(0);

    /// <summary>arccos of each lane for T = double or float (the overloads above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Acos<T>(Vector256<T> x) => typeof(T) == typeof(double)
        ? Acos(x.As<T, double>()).As<double, T>()
        : Acos(x.As<T, float>()).As<float, T>();

    /// <summary>Scalar arccos for T = double or float (the overloads' scalar twins).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Acos<T>(T x) where T : System.Numerics.IFloatingPointIeee754<T> => typeof(T) == typeof(double)
        ? T.CreateTruncating(Acos(double.CreateTruncating(x)))
        : T.CreateTruncating(Acos(float.CreateTruncating(x)));

    /// <summary>a·b + c in one rounding, for T = double or float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FusedMultiplyAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(double)
        ? Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>()
        : Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();

    /// <summary>Scalar twin of <see cref="Acos(Vector256{double})"/> for loop tails.</summary>
    public static double Acos(double x) => Acos(Vector256.Create(x)).GetElement(0);
}
