// Compiles the embedded, header-free .cu kernel sources with NVRTC: to a cubin for a real architecture (sm_XX, no
// driver JIT at load) or to PTX (compute_XX). Works without a GPU, which is how CI checks every kernel.
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

/// <summary>Raised when NVRTC rejects a kernel source; the message carries NVRTC's compile log.</summary>
public sealed class KernelCompileException(string message) : Exception(message);

/// <summary>Output of one compilation: the image (cubin, or NUL-terminated PTX) and NVRTC's log.</summary>
public sealed record CompiledKernel(string SourceName, string Architecture, byte[] Image, bool IsCubin, string Log);

public static unsafe class NvrtcCompiler
{
    /// <summary>
    /// Compile options shared by every kernel. Fast-math stays off so results track the CPU reference. No -lineinfo:
    /// NVRTC 11.8 crashes (SIGSEGV) compiling for sm_90 with it when a kernel calls a function defined on its own
    /// source line, which every macro-instantiated kernel does; profiler line mapping is not worth a crashing CI.
    /// </summary>
    public static readonly string[] BaseOptions = ["-std=c++17", "-default-device"];

    /// <summary>True when an NVRTC library loads on this host.</summary>
    public static bool IsAvailable(out string? detail) => CudaLibraryResolver.TryLoad(CudaLibraryResolver.Nvrtc, out detail);

    public static Version NvrtcVersion()
    {
        Check(Nvrtc.Version(out int major, out int minor), "nvrtcVersion");
        return new Version(major, minor);
    }

    /// <summary>Architectures this NVRTC can target, e.g. 75, 80, 86, 89, 90.</summary>
    public static int[] SupportedArchitectures()
    {
        Check(Nvrtc.GetNumSupportedArchs(out int n), "nvrtcGetNumSupportedArchs");
        var archs = new int[n];
        fixed (int* p = archs) Check(Nvrtc.GetSupportedArchs(p), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="architecture"/> ("sm_90" gives a cubin, "compute_90" PTX).
    /// Throws <see cref="KernelCompileException"/> with the compile log on error.
    /// </summary>
    public static CompiledKernel Compile(string sourceName, string source, string architecture, IEnumerable<string>? extraOptions = null)
    {
        bool cubin = architecture.StartsWith("sm_", StringComparison.Ordinal);
        var options = BaseOptions.Append($"--gpu-architecture={architecture}").Concat(extraOptions ?? []).ToArray();
        nint program = CreateProgram(sourceName, source);
        try
        {
            int result = CompileWithOptions(program, options);
            string log = ReadLog(program);
            if (result != Nvrtc.Success)
                throw new KernelCompileException($"NVRTC could not compile {sourceName} for {architecture} ({Nvrtc.ErrorString(result)}):\n{log}");
            byte[] image;
            if (cubin)
            {
                Check(Nvrtc.GetCubinSize(program, out nuint size), "nvrtcGetCUBINSize", sourceName);
                image = new byte[(int)size];
                fixed (byte* p = image) Check(Nvrtc.GetCubin(program, p), "nvrtcGetCUBIN", sourceName);
            }
            else
            {
                Check(Nvrtc.GetPtxSize(program, out nuint size), "nvrtcGetPTXSize", sourceName);
                image = new byte[(int)size]; // includes the terminating NUL that cuModuleLoadData needs
                fixed (byte* p = image) Check(Nvrtc.GetPtx(program, p), "nvrtcGetPTX", sourceName);
            }
            return new CompiledKernel(sourceName, architecture, image, cubin, log);
        }
        finally
        {
            Nvrtc.DestroyProgram(ref program);
        }
    }

    /// <summary>Names of the embedded kernel sources (Cuda/Kernels/*.cu), e.g. "rms_norm.cu".</summary>
    public static IReadOnlyList<string> EmbeddedSourceNames() =>
        typeof(NvrtcCompiler).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(KernelResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
            .Select(n => n[KernelResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();

    public static string ReadEmbeddedSource(string name)
    {
        using var stream = typeof(NvrtcCompiler).Assembly.GetManifestResourceStream(KernelResourcePrefix + name)
            ?? throw new ArgumentException($"no embedded kernel source named {name}", nameof(name));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    internal const string KernelResourcePrefix = "DyCoke.Kernels.";

    // Every program gets our own embedded headers (Cuda/Kernels/*.cuh: dtype helpers, reductions); no toolkit header
    // is ever included, so kernels compile on any NVRTC without a CUDA install.
    private static nint CreateProgram(string sourceName, string source)
    {
        var headerNames = EmbeddedHeaderNames();
        var pinned = new List<GCHandle>();
        try
        {
            byte* Pin(string text)
            {
                var h = GCHandle.Alloc(NulTerminated(text), GCHandleType.Pinned);
                pinned.Add(h);
                return (byte*)h.AddrOfPinnedObject();
            }
            byte** headers = stackalloc byte*[Math.Max(1, headerNames.Count)];
            byte** includeNames = stackalloc byte*[Math.Max(1, headerNames.Count)];
            for (int i = 0; i < headerNames.Count; i++)
            {
                headers[i] = Pin(ReadEmbeddedSource(headerNames[i]));
                includeNames[i] = Pin(headerNames[i]);
            }
            Check(Nvrtc.CreateProgram(out nint program, Pin(source), Pin(sourceName), headerNames.Count, headers, includeNames), "nvrtcCreateProgram", sourceName);
            return program;
        }
        finally
        {
            foreach (var h in pinned) h.Free();
        }
    }

    internal static IReadOnlyList<string> EmbeddedHeaderNames() =>
        typeof(NvrtcCompiler).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(KernelResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".cuh", StringComparison.Ordinal))
            .Select(n => n[KernelResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();

    private static int CompileWithOptions(nint program, string[] options)
    {
        var handles = options.Select(o => GCHandle.Alloc(NulTerminated(o), GCHandleType.Pinned)).ToArray();
        try
        {
            byte** pointers = stackalloc byte*[options.Length];
            for (int i = 0; i < options.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
            return Nvrtc.CompileProgram(program, options.Length, pointers);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static string ReadLog(nint program)
    {
        if (Nvrtc.GetProgramLogSize(program, out nuint size) != Nvrtc.Success || size <= 1) return "";
        var log = new byte[(int)size];
        fixed (byte* p = log) Nvrtc.GetProgramLog(program, p);
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }

    private static byte[] NulTerminated(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static void Check(int result, string call, string? what = null)
    {
        if (result != Nvrtc.Success)
            throw new KernelCompileException($"{call}{(what is null ? "" : $" ({what})")} failed: {Nvrtc.ErrorString(result)}");
    }
}
