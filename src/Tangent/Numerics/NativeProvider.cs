using System.Runtime.InteropServices;

namespace Tangent.Numerics;

/// <summary>
/// Dense linear algebra through the system's OpenBLAS (Debian: <c>libopenblas0-pthread</c>), bound at
/// run time with <see cref="NativeLibrary"/>: BLAS through its CBLAS entry points (row-major), LAPACK
/// through the Fortran ones, which see a row-major matrix as its transpose.
/// </summary>
public sealed unsafe class NativeProvider : ILinearAlgebraProvider
{
    // CBLAS enum values (cblas.h).
    private const int RowMajor = 101, NoTrans = 111, Trans = 112, Upper = 121, Lower = 122, NonUnit = 131, Left = 141;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.dylib", "libopenblas.dll",
    ];

    private static readonly Lazy<(NativeProvider? Provider, string Why)> Loaded = new(Load);

    private readonly delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> _dgemm;
    private readonly delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void> _dsyrk;
    private readonly delegate* unmanaged<int, int, int, int, int, int, int, double, double*, int, double*, int, void> _dtrsm;
    private readonly delegate* unmanaged<byte*, int*, double*, int*, int*, void> _dpotrf;
    private readonly delegate* unmanaged<byte*, byte*, int*, double*, int*, double*, double*, int*, int*, int*, int*, void> _dsyevd;
    private readonly delegate* unmanaged<int> _getThreads;
    private readonly delegate* unmanaged<byte*> _getConfig;
    private readonly delegate* unmanaged<byte*> _getCoreName;

    private NativeProvider(nint lib, string path)
    {
        LibraryPath = path;
        _dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)NativeLibrary.GetExport(lib, "cblas_dgemm");
        _dsyrk = (delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void>)NativeLibrary.GetExport(lib, "cblas_dsyrk");
        _dtrsm = (delegate* unmanaged<int, int, int, int, int, int, int, double, double*, int, double*, int, void>)NativeLibrary.GetExport(lib, "cblas_dtrsm");
        _dpotrf = (delegate* unmanaged<byte*, int*, double*, int*, int*, void>)NativeLibrary.GetExport(lib, "dpotrf_");
        _dsyevd = (delegate* unmanaged<byte*, byte*, int*, double*, int*, double*, double*, int*, int*, int*, int*, void>)NativeLibrary.GetExport(lib, "dsyevd_");
        _getThreads = NativeLibrary.TryGetExport(lib, "openblas_get_num_threads", out var t) ? (delegate* unmanaged<int>)t : null;
        _getConfig = NativeLibrary.TryGetExport(lib, "openblas_get_config", out var c) ? (delegate* unmanaged<byte*>)c : null;
        _getCoreName = NativeLibrary.TryGetExport(lib, "openblas_get_corename", out var cn) ? (delegate* unmanaged<byte*>)cn : null;
    }

    /// <summary>The kernel family OpenBLAS chose for this processor (e.g. "Haswell", "Zen", "SkylakeX"; empty when it cannot say).</summary>
    public string CoreName => _getCoreName == null ? "" : Marshal.PtrToStringAnsi((nint)_getCoreName())?.Trim() ?? "";

    /// <summary>True when OpenBLAS runs its AVX-512 kernels (SkylakeX, Cooperlake, SapphireRapids, and the newer names).</summary>
    public bool HasAvx512Kernels => IsAvx512Core(CoreName);

    /// <summary>True for the names of OpenBLAS's AVX-512 kernel families.</summary>
    internal static bool IsAvx512Core(string coreName) => coreName.ToLowerInvariant() is var c
        && (c.Contains("skylakex") || c.Contains("cooperlake") || c.Contains("sapphirerapids") || c.Contains("zen4") || c.Contains("zen5"));

    /// <summary>The provider when OpenBLAS could be loaded, else null.</summary>
    public static NativeProvider? Instance => Loaded.Value.Provider;

    /// <summary>Why the native provider is unavailable (empty when it is available).</summary>
    public static string UnavailableReason => Loaded.Value.Why;

    /// <summary>The path or name the library was loaded from.</summary>
    public string LibraryPath { get; }

    /// <summary>Threads OpenBLAS uses (0 when it cannot say).</summary>
    public int Threads => _getThreads == null ? 0 : _getThreads();

    /// <inheritdoc />
    public string Name => "native";

    /// <inheritdoc />
    public string Description
    {
        get
        {
            string config = _getConfig == null ? "OpenBLAS" : Marshal.PtrToStringAnsi((nint)_getConfig()) ?? "OpenBLAS";
            return $"{config.Trim()} ({LibraryPath}, {Threads} threads)";
        }
    }

    private static (NativeProvider?, string) Load()
    {
        var reasons = new List<string>();
        foreach (string name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out nint lib)) continue;
            try
            {
                return (new NativeProvider(lib, name), "");
            }
            catch (EntryPointNotFoundException e)
            {
                reasons.Add($"{name}: {e.Message}");
            }
        }
        string why = reasons.Count > 0
            ? "OpenBLAS was found but lacks needed entry points: " + string.Join("; ", reasons)
            : "OpenBLAS (libopenblas.so.0) was not found. On Debian/Ubuntu: sudo apt-get install libopenblas0-pthread";
        return (null, why);
    }

    /// <inheritdoc />
    public void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        fixed (double* pa = a, pb = b, pc = c)
            _dgemm(RowMajor, transA == Op.None ? NoTrans : Trans, transB == Op.None ? NoTrans : Trans,
                m, n, k, alpha, pa, Math.Max(lda, 1), pb, Math.Max(ldb, 1), beta, pc, Math.Max(ldc, 1));
    }

    /// <inheritdoc />
    public void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
    {
        if (n == 0) return;
        if (k == 0)
        {
            ScaleC(n, n, beta, c, ldc);
            return;
        }
        fixed (double* pa = a, pc = c)
            _dsyrk(RowMajor, Lower, NoTrans, n, k, alpha, pa, Math.Max(lda, 1), beta, pc, Math.Max(ldc, 1));
        SymmetricMatrix.MirrorLowerToUpper(n, c, ldc);
    }

    /// <inheritdoc />
    public int Potrf(int n, Span<double> a, int lda)
    {
        if (n == 0) return 0;
        // Row-major lower == column-major upper of the same storage.
        byte uplo = (byte)'U';
        int nn = n, ld = Math.Max(lda, 1), info = 0;
        fixed (double* pa = a)
            _dpotrf(&uplo, &nn, pa, &ld, &info);
        if (info < 0) throw new ArgumentException($"dpotrf rejected argument {-info}.");
        if (info > 0) return info;
        for (int i = 0; i < n; i++) a.Slice(i * lda + i + 1, n - i - 1).Clear();
        return 0;
    }

    /// <inheritdoc />
    public void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb)
    {
        if (n == 0 || nrhs == 0) return;
        fixed (double* pl = l, pb = b)
            _dtrsm(RowMajor, Left, Lower, trans == Op.None ? NoTrans : Trans, NonUnit, n, nrhs, 1.0, pl, Math.Max(ldl, 1), pb, Math.Max(ldb, 1));
    }

    /// <inheritdoc />
    public void Syevd(int n, Span<double> a, int lda, Span<double> w)
    {
        if (n == 0) return;
        // Row-major lower triangle == column-major upper; eigenvectors come back as columns of the
        // column-major matrix, i.e. rows of the row-major one, so transpose at the end.
        byte jobz = (byte)'V', uplo = (byte)'U';
        int nn = n, ld = Math.Max(lda, 1), info = 0, lwork = -1, liwork = -1, iworkQuery = 0;
        double workQuery = 0;
        fixed (double* pa = a, pw = w)
        {
            _dsyevd(&jobz, &uplo, &nn, pa, &ld, pw, &workQuery, &lwork, &iworkQuery, &liwork, &info);
            if (info != 0) throw new ArithmeticException($"dsyevd workspace query failed (info = {info}).");
            lwork = (int)workQuery;
            liwork = iworkQuery;
            var work = new double[Math.Max(lwork, 1)];
            var iwork = new int[Math.Max(liwork, 1)];
            fixed (double* pwork = work)
            fixed (int* piwork = iwork)
                _dsyevd(&jobz, &uplo, &nn, pa, &ld, pw, pwork, &lwork, piwork, &liwork, &info);
        }
        if (info < 0) throw new ArgumentException($"dsyevd rejected argument {-info}.");
        if (info > 0) throw new ArithmeticException($"The symmetric eigensolver (dsyevd) failed to converge (info = {info}); the matrix may contain NaN or infinity.");
        SymmetricMatrix.TransposeInPlace(n, a, lda);
    }

    private static void ScaleC(int m, int n, double beta, Span<double> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }
}
