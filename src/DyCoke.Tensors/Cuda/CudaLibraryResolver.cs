// Finds the CUDA libraries (driver, cuBLAS, cuBLASLt, NVRTC) on a host without a toolkit install convention:
// newest major first, from an explicit directory, the loader's search path, CUDA_HOME, or a Python venv's wheels.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cuda;

/// <summary>
/// Maps the logical library names used by the <c>[LibraryImport]</c> declarations in Cuda/Interop to real files.
/// Registered once per assembly by a module initializer; the result of each lookup (path or failure) is cached and
/// reported by <see cref="Describe"/> so the server can log where CUDA came from.
/// </summary>
public static class CudaLibraryResolver
{
    public const string Driver = "dycoke_cuda";
    public const string Nvrtc = "dycoke_nvrtc";
    public const string Cublas = "dycoke_cublas";
    public const string CublasLt = "dycoke_cublaslt";

    /// <summary>Environment variable naming a directory searched before anything else.</summary>
    public const string LibDirVariable = "DYCOKE_CUDA_LIB_DIR";

    private static readonly Dictionary<string, (nint Handle, string? Path)> s_loaded = new();
    private static readonly Lock s_lock = new();

    // A library (not an app) uses a module initializer here on purpose: the resolver must be in place before the
    // first P/Invoke of any Cuda/Interop declaration, whichever type happens to run first.
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(CudaLibraryResolver).Assembly, Resolve);
#pragma warning restore CA2255

    /// <summary>File names tried for a logical library, newest major version first.</summary>
    public static IReadOnlyList<string> SonameCandidates(string library) => library switch
    {
        // Only the driver's own soname: never bundle or guess a libcuda; the container toolkit mounts the host's.
        Driver => ["libcuda.so.1"],
        Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"],
        Cublas => ["libcublas.so.13", "libcublas.so.12"],
        CublasLt => ["libcublasLt.so.13", "libcublasLt.so.12"],
        _ => [],
    };

    /// <summary>
    /// Directories searched, in order, before and after the loader's own search: the override variable, then
    /// CUDA_HOME/CUDA_PATH lib64, then NVIDIA wheel folders of any site-packages on PYTHONPATH or VIRTUAL_ENV.
    /// An empty string stands for "let the dynamic loader search" (LD_LIBRARY_PATH, ldconfig cache).
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories(Func<string, string?> getEnv)
    {
        var dirs = new List<string>();
        if (getEnv(LibDirVariable) is { Length: > 0 } explicitDir) dirs.Add(explicitDir);
        dirs.Add("");
        foreach (string v in (string[])["CUDA_HOME", "CUDA_PATH"])
        {
            if (getEnv(v) is { Length: > 0 } home) dirs.Add(Path.Combine(home, "lib64"));
        }
        var sitePackages = new List<string>();
        if (getEnv("VIRTUAL_ENV") is { Length: > 0 } venv)
        {
            string lib = Path.Combine(venv, "lib");
            if (Directory.Exists(lib))
                sitePackages.AddRange(Directory.GetDirectories(lib, "python3*").Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "site-packages")));
        }
        if (getEnv("PYTHONPATH") is { Length: > 0 } pythonPath) sitePackages.AddRange(pythonPath.Split(':', StringSplitOptions.RemoveEmptyEntries));
        foreach (string site in sitePackages)
        {
            // CUDA 13 wheels put every library in nvidia/cu13/lib; CUDA 12 wheels use one folder per component.
            dirs.Add(Path.Combine(site, "nvidia", "cu13", "lib"));
            foreach (string component in (string[])["cublas", "cuda_nvrtc", "cuda_runtime"])
                dirs.Add(Path.Combine(site, "nvidia", component, "lib"));
        }
        return dirs;
    }

    /// <summary>Loads a logical library now; false (with the reason) when no candidate loads.</summary>
    public static bool TryLoad(string library, out string? pathOrError)
    {
        nint handle = Load(library, out pathOrError);
        return handle != 0;
    }

    /// <summary>One line per library looked up so far: which file was loaded, or why none was.</summary>
    public static string Describe()
    {
        lock (s_lock)
            return string.Join("; ", s_loaded.Select(kv => $"{kv.Key} = {kv.Value.Path ?? "not found"}"));
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (SonameCandidates(libraryName).Count == 0) return 0;
        return Load(libraryName, out _);
    }

    private static nint Load(string library, out string? pathOrError)
    {
        lock (s_lock)
        {
            if (s_loaded.TryGetValue(library, out var cached))
            {
                pathOrError = cached.Path ?? $"none of {string.Join(", ", SonameCandidates(library))} could be loaded";
                return cached.Handle;
            }
            // cuBLAS needs cuBLASLt of the same major version loaded first.
            if (library == Cublas) Load(CublasLt, out _);
            var tried = new List<string>();
            foreach (string soname in SonameCandidates(library))
            {
                foreach (string dir in SearchDirectories(Environment.GetEnvironmentVariable))
                {
                    string candidate = dir.Length == 0 ? soname : Path.Combine(dir, soname);
                    if (dir.Length > 0 && !File.Exists(candidate)) continue;
                    tried.Add(candidate);
                    if (NativeLibrary.TryLoad(candidate, out nint handle))
                    {
                        s_loaded[library] = (handle, candidate);
                        pathOrError = candidate;
                        return handle;
                    }
                }
            }
            s_loaded[library] = (0, null);
            pathOrError = $"none of {string.Join(", ", SonameCandidates(library))} could be loaded (tried {string.Join(", ", tried)})";
            return 0;
        }
    }
}
