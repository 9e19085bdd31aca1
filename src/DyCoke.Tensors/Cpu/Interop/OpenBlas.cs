// Binding to OpenBLAS (libopenblas.so.0), loaded at run time when present: sgemm/sgemv for the CPU Linear op.
// Entry points are resolved once into unmanaged function pointers; all integer arguments are 32-bit (LP64 build).
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cpu.Interop;

/// <summary>
/// The process-wide OpenBLAS library. The handle is never freed: OpenBLAS starts worker threads that must outlive
/// any caller, and unloading a library with live threads is undefined.
/// </summary>
internal static unsafe class OpenBlas
{
    public const string LibraryName = "libopenblas.so.0";

    // CBLAS enum values (cblas.h).
    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    private static readonly object s_loadLock = new();
    // OpenBLAS keeps one global thread count; the lock makes "set count, then call" atomic across backends.
    private static readonly object s_callLock = new();
    private static bool s_attempted;
    private static string? s_loadError;
    private static int s_threads;

    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemv;
    private static delegate* unmanaged<int, void> s_setNumThreads;
    private static delegate* unmanaged<byte*> s_getConfig;

    /// <summary>Loads the library and its entry points once; false (with the reason) when it is missing.</summary>
    public static bool TryLoad(out string? error)
    {
        lock (s_loadLock)
        {
            if (!s_attempted)
            {
                s_attempted = true;
                s_loadError = Load();
            }
            error = s_loadError;
            return s_loadError == null;
        }
    }

    private static string? Load()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out nint handle))
            return $"{LibraryName} could not be loaded (install libopenblas0-pthread)";
        if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
            || !NativeLibrary.TryGetExport(handle, "cblas_sgemv", out nint sgemv)
            || !NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads)
            || !NativeLibrary.TryGetExport(handle, "openblas_get_config", out nint getConfig))
            return $"{LibraryName} lacks cblas_sgemm, cblas_sgemv, openblas_set_num_threads or openblas_get_config";
        s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        s_sgemv = (delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemv;
        s_setNumThreads = (delegate* unmanaged<int, void>)setThreads;
        s_getConfig = (delegate* unmanaged<byte*>)getConfig;
        return null;
    }

    /// <summary>The build description (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64").</summary>
    public static string Config
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8((nint)s_getConfig()) ?? "";
        }
    }

    /// <summary>y[M, N] = x[M, K] · W[N, K]ᵀ, all F32 row-major, on <paramref name="threads"/> OpenBLAS threads.</summary>
    public static void LinearF32(float* x, float* w, float* y, int m, int n, int k, int threads)
    {
        EnsureLoaded();
        lock (s_callLock)
        {
            SetThreads(threads);
            if (m == 1)
            {
                // y[N] = W[N, K] · x[K]: the GEMV entry streams W without packing.
                s_sgemv(RowMajor, NoTrans, n, k, 1f, w, k, x, 1, 0f, y, 1);
            }
            else
            {
                s_sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, x, k, w, k, 0f, y, n);
            }
        }
    }

    private static void SetThreads(int threads)
    {
        if (s_threads == threads) return;
        s_setNumThreads(threads);
        s_threads = threads;
    }

    private static void EnsureLoaded()
    {
        if (!TryLoad(out string? error)) throw new InvalidOperationException(error);
    }
}
