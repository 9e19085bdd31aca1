// Compiles every embedded kernel source for the device's architecture at start-up, caches the cubins on disk keyed by
// a hash of (sources, options, NVRTC version, architecture), loads the modules and resolves functions by name.
// Everything is loaded before the first op runs, so no module load can ever happen inside a CUDA graph capture.
using System.Security.Cryptography;
using System.Text;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed unsafe class KernelCache : IDisposable
{
    /// <summary>Environment variable overriding the on-disk cache directory.</summary>
    public const string CacheDirVariable = "DYCOKE_KERNEL_CACHE";

    private readonly CudaDevice _device;
    private readonly List<nint> _modules = [];
    private readonly Dictionary<string, nint> _functions = new(StringComparer.Ordinal);

    private KernelCache(CudaDevice device) => _device = device;

    /// <summary>Where compiled kernels live between runs ($DYCOKE_KERNEL_CACHE, else $XDG_CACHE_HOME or ~/.cache, /dycoke/kernels).</summary>
    public static string DefaultCacheDirectory()
    {
        if (Environment.GetEnvironmentVariable(CacheDirVariable) is { Length: > 0 } dir) return dir;
        string baseDir = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "dycoke", "kernels");
    }

    /// <summary>Compiles (or loads from cache) and loads every embedded kernel for <paramref name="device"/>.</summary>
    public static KernelCache Load(CudaDevice device, string? cacheDirectory = null)
    {
        cacheDirectory ??= DefaultCacheDirectory();
        var cache = new KernelCache(device);
        try
        {
            device.MakeCurrent();
            string arch = device.Info.Architecture;
            if (!NvrtcCompiler.SupportedArchitectures().Contains(device.Info.ComputeMajor * 10 + device.Info.ComputeMinor))
                throw new KernelCompileException($"NVRTC {NvrtcCompiler.NvrtcVersion()} cannot target {arch}; install an NVRTC that supports it");
            foreach (string source in NvrtcCompiler.EmbeddedSourceNames())
                cache.LoadModule(source, LoadOrCompile(source, arch, cacheDirectory));
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>The CUfunction of an <c>extern "C"</c> kernel, e.g. "dyc_rms_norm_bf16".</summary>
    public nint Function(string name) =>
        _functions.TryGetValue(name, out nint f) ? f : throw new KeyNotFoundException($"no CUDA kernel named {name} was loaded");

    public IReadOnlyCollection<string> FunctionNames => _functions.Keys;

    /// <summary>The cache key: any change to a source, our headers, the options, NVRTC or the target recompiles.</summary>
    public static string CacheKey(string sourceName, string source, string architecture, Version nvrtcVersion)
    {
        var text = new StringBuilder()
            .Append(sourceName).Append('\0').Append(source).Append('\0')
            .Append(string.Join(' ', NvrtcCompiler.BaseOptions)).Append('\0')
            .Append(nvrtcVersion).Append('\0').Append(architecture);
        foreach (string header in NvrtcCompiler.EmbeddedHeaderNames())
            text.Append('\0').Append(header).Append('\0').Append(NvrtcCompiler.ReadEmbeddedSource(header));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static byte[] LoadOrCompile(string sourceName, string architecture, string cacheDirectory)
    {
        string source = NvrtcCompiler.ReadEmbeddedSource(sourceName);
        string key = CacheKey(sourceName, source, architecture, NvrtcCompiler.NvrtcVersion());
        string path = Path.Combine(cacheDirectory, $"{Path.GetFileNameWithoutExtension(sourceName)}-{architecture}-{key[..16]}.cubin");
        if (File.Exists(path)) return File.ReadAllBytes(path);
        byte[] image = NvrtcCompiler.Compile(sourceName, source, architecture).Image;
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            // Write then rename: two server processes starting together never read a half-written cubin.
            string tmp = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(tmp, image);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache directory only costs a recompile next start.
        }
        return image;
    }

    private void LoadModule(string sourceName, byte[] image)
    {
        nint module;
        fixed (byte* p = image)
            CudaException.Check(CuDriver.ModuleLoadData(out module, p), "cuModuleLoadData", () => $"{sourceName} for {_device.Info.Architecture}");
        _modules.Add(module);
        foreach (string name in KernelNames(NvrtcCompiler.ReadEmbeddedSource(sourceName)))
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
            nint function;
            fixed (byte* n = nameBytes)
                CudaException.Check(CuDriver.ModuleGetFunction(out function, module, n), "cuModuleGetFunction", () => $"{name} in {sourceName}");
            _functions[name] = function;
        }
    }

    /// <summary>
    /// Kernel names a source defines after macro expansion. Sources name kernels dyc_&lt;op&gt;_##SUFFIX inside a
    /// DYC_FOR_FLOAT_TYPES macro, or plainly; both forms are expanded here the way the preprocessor would.
    /// </summary>
    internal static IEnumerable<string> KernelNames(string source)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(source, @"__global__\s+void\s+(dyc_\w+?)(_##SUFFIX)?\s*\("))
        {
            if (m.Groups[2].Success)
                foreach (string suffix in (string[])["f32", "f16", "bf16"]) names.Add($"{m.Groups[1].Value}_{suffix}");
            else
                names.Add(m.Groups[1].Value);
        }
        return names;
    }

    public void Dispose()
    {
        if (_modules.Count == 0) return;
        _device.MakeCurrent();
        foreach (nint module in _modules) CuDriver.ModuleUnload(module);
        _modules.Clear();
        _functions.Clear();
    }
}
