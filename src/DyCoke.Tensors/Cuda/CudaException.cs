// Every failed CUDA driver, cuBLAS or NVRTC call becomes a CudaException naming the call, the error and the
// arguments that matter, so a failure on a GPU host can be diagnosed from the log line alone.
using System.Runtime.InteropServices;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed class CudaException : Exception
{
    public CudaException(string call, int code, string errorName, string detail)
        : base($"{call} failed with {errorName} ({code}){(detail.Length > 0 ? ": " + detail : "")}")
    {
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    public string Call { get; }
    public int Code { get; }
    public string ErrorName { get; }

    /// <summary>Throws when a driver call did not return CUDA_SUCCESS; <paramref name="detail"/> is built only on failure.</summary>
    internal static void Check(int result, string call, Func<string>? detail = null)
    {
        if (result != CuDriver.Success) throw FromDriver(result, call, detail?.Invoke() ?? "");
    }

    internal static CudaException FromDriver(int result, string call, string detail)
    {
        string name = $"CUDA_ERROR_{result}";
        string text = "";
        try
        {
            if (CuDriver.GetErrorName(result, out nint namePtr) == CuDriver.Success && namePtr != 0)
                name = Marshal.PtrToStringUTF8(namePtr) ?? name;
            if (CuDriver.GetErrorString(result, out nint textPtr) == CuDriver.Success && textPtr != 0)
                text = Marshal.PtrToStringUTF8(textPtr) ?? "";
        }
        catch (DllNotFoundException)
        {
            // The driver itself is missing: the numeric code is all there is.
        }
        string full = text.Length > 0 ? (detail.Length > 0 ? $"{text}; {detail}" : text) : detail;
        return new CudaException(call, result, name, full);
    }
}
