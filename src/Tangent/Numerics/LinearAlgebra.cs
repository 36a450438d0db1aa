namespace Tangent.Numerics;

/// <summary>
/// Chooses the <see cref="ILinearAlgebraProvider"/> in use and offers matrix-level operations on top
/// of it. The choice is made once, when first needed: the environment variable
/// <c>TANGENT_PROVIDER</c> (<c>managed</c>, <c>native</c> or <c>auto</c>) if set, else auto: native when
/// OpenBLAS loads and its kernels use the processor's widest vectors, else managed (<see cref="PreferManaged"/>).
/// <see cref="Use(ProviderKind)"/> overrides it.
/// </summary>
public static class LinearAlgebra
{
    /// <summary>The environment variable that selects the provider.</summary>
    public const string EnvironmentVariable = "TANGENT_PROVIDER";

    private static ILinearAlgebraProvider? _provider;
    private static readonly object Gate = new();

    /// <summary>The provider in use.</summary>
    public static ILinearAlgebraProvider Provider
    {
        get
        {
            if (_provider is { } p) return p;
            lock (Gate)
                return _provider ??= Resolve(FromEnvironment());
        }
    }

    /// <summary>Selects the provider for the whole process.</summary>
    /// <exception cref="InvalidOperationException"><see cref="ProviderKind.Native"/> was asked for and OpenBLAS is missing.</exception>
    public static void Use(ProviderKind kind)
    {
        var p = Resolve(kind);
        lock (Gate) _provider = p;
    }

    /// <summary>Returns the provider for a kind without selecting it.</summary>
    /// <exception cref="InvalidOperationException"><see cref="ProviderKind.Native"/> was asked for and OpenBLAS is missing.</exception>
    public static ILinearAlgebraProvider Resolve(ProviderKind kind) => kind switch
    {
        ProviderKind.Managed => ManagedProvider.Instance,
        ProviderKind.Native => (ILinearAlgebraProvider?)NativeProvider.Instance
            ?? throw new InvalidOperationException($"The native provider is not available: {NativeProvider.UnavailableReason}. Use the managed provider (TANGENT_PROVIDER=managed) or install OpenBLAS."),
        _ => PreferManaged(NativeProvider.Instance) ? ManagedProvider.Instance : NativeProvider.Instance!,
    };

    /// <summary>Auto's rule: managed when OpenBLAS is missing, or when this processor runs AVX-512 and OpenBLAS does not
    /// (an OpenBLAS older than the processor falls back to its AVX2 kernels; on a Zen 5 machine OpenBLAS 0.3.21 chose
    /// "Haswell" and the managed 8×24 Vector512 GEMM, Cholesky and eigensolver were 1.5×, 1.45× and 1.25× faster,
    /// docs/PERFORMANCE.md); otherwise native.</summary>
    internal static bool PreferManaged(NativeProvider? native) =>
        native is null || (ManagedGemm.Use512 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && !native.HasAvx512Kernels);

    /// <summary>Every provider that can run here (managed always; native when OpenBLAS loads).</summary>
    public static IReadOnlyList<ILinearAlgebraProvider> Available()
    {
        var list = new List<ILinearAlgebraProvider> { ManagedProvider.Instance };
        if (NativeProvider.Instance is { } n) list.Add(n);
        return list;
    }

    /// <summary>Parses a provider name (case-insensitive): managed, native or auto.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static ProviderKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "managed" => ProviderKind.Managed,
        "native" => ProviderKind.Native,
        "auto" or "" => ProviderKind.Auto,
        _ => throw new ArgumentException($"Unknown linear-algebra provider '{name}'. Use managed, native or auto."),
    };

    private static ProviderKind FromEnvironment()
    {
        string? v = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(v)) return ProviderKind.Auto;
        try { return ParseKind(v); }
        catch (ArgumentException e) { throw new InvalidOperationException($"{EnvironmentVariable}={v}: {e.Message}"); }
    }

    private static ILinearAlgebraProvider P(ILinearAlgebraProvider? p) => p ?? Provider;

    /// <summary>op(A)·op(B) as a new matrix.</summary>
    /// <exception cref="ArgumentException">The inner dimensions differ.</exception>
    public static Matrix Multiply(Matrix a, Matrix b, Op transA = Op.None, Op transB = Op.None, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int m = transA == Op.None ? a.Rows : a.Cols, k = transA == Op.None ? a.Cols : a.Rows;
        int kb = transB == Op.None ? b.Rows : b.Cols, n = transB == Op.None ? b.Cols : b.Rows;
        if (k != kb)
            throw new ArgumentException($"Cannot multiply {(transA == Op.None ? a.Shape : a.Cols + "×" + a.Rows)} by {(transB == Op.None ? b.Shape : b.Cols + "×" + b.Rows)}: inner dimensions {k} and {kb} differ.");
        var c = new Matrix(m, n);
        P(provider).Gemm(transA, transB, m, n, k, 1.0, a.Data, Math.Max(a.Cols, 1), b.Data, Math.Max(b.Cols, 1), 0.0, c.Data, Math.Max(n, 1));
        return c;
    }

    /// <summary>The Gram matrix A·Aᵀ (n×n for an n×k A).</summary>
    public static Matrix Gram(Matrix a, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        var c = new Matrix(a.Rows, a.Rows);
        P(provider).Syrk(a.Rows, a.Cols, 1.0, a.Data, Math.Max(a.Cols, 1), 0.0, c.Data, Math.Max(a.Rows, 1));
        return c;
    }

    /// <summary>Symmetric eigendecomposition (DSYEVD) of a copy of <paramref name="a"/>.</summary>
    public static SymmetricEigen Eigen(Matrix a, ILinearAlgebraProvider? provider = null) => SymmetricEigen.Compute(a, provider);

    /// <summary>Cholesky factorization (DPOTRF) of a copy of <paramref name="a"/>.</summary>
    /// <exception cref="NotPositiveDefiniteException">A pivot was not positive.</exception>
    public static Cholesky Cholesky(Matrix a, ILinearAlgebraProvider? provider = null) => Numerics.Cholesky.Compute(a, provider);
}
