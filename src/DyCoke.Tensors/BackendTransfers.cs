// Host ↔ backend transfers every caller of IBackend needs (index lists up, results back), written once against
// IBackend so model, compression, engine and benchmark code stay device-blind.
namespace DyCoke.Tensors;

public static class BackendTransfers
{
    /// <summary>A new I32 [n] tensor on the backend holding <paramref name="values"/>; the caller owns it.</summary>
    public static Tensor UploadInts(this IBackend backend, ReadOnlySpan<int> values) =>
        backend.MoveToBackend(Tensor.FromArray(values, new Shape(values.Length))); // [n]

    /// <summary>
    /// Hands a host tensor the caller just filled to the backend: on the CPU it is already where the backend reads it
    /// and is returned as is; otherwise a device copy is returned and the host tensor is disposed. Either way the
    /// caller owns the result and must not use <paramref name="host"/> again.
    /// </summary>
    public static Tensor MoveToBackend(this IBackend backend, Tensor host)
    {
        if (backend.Device == DeviceKind.Cpu) return host;
        using (host)
        {
            var device = backend.Allocate(host.DType, host.Shape); // host's shape
            backend.Copy(host, device);
            return device;
        }
    }

    /// <summary>
    /// A new tensor on the backend with <paramref name="host"/>'s shape and elements converted to
    /// <paramref name="dtype"/>; the caller owns it. host is a CPU tensor of any float dtype.
    /// </summary>
    public static Tensor Upload(this IBackend backend, Tensor host, DType dtype)
    {
        var device = backend.Allocate(dtype, host.Shape); // host's shape
        if (host.DType == dtype || backend.Device == DeviceKind.Cpu)
        {
            // The CPU backend converts host memory directly; a device backend copies as stored, then converts there.
            if (host.DType == dtype) backend.Copy(host, device);
            else backend.Convert(host, device);
            return device;
        }
        using var staged = backend.Allocate(host.DType, host.Shape); // host's shape and dtype, on the device
        backend.Copy(host, staged);
        backend.Convert(staged, device);
        return device;
    }

    /// <summary>The elements of an I32 backend tensor, read back to the host (after the queued work finishes).</summary>
    public static int[] ReadInts(this IBackend backend, Tensor values)
    {
        var result = new int[values.NumElements];
        backend.ReadInts(values, result);
        return result;
    }

    /// <summary><see cref="ReadInts(IBackend, Tensor)"/> into a caller's buffer of exactly NumElements ints (a result
    /// read back every step, such as the sampled ids).</summary>
    public static void ReadInts(this IBackend backend, Tensor values, Span<int> destination)
    {
        if (values.DType != DType.I32) throw new ArgumentException($"values has dtype {values.DType}, expected I32", nameof(values));
        if (destination.Length != values.NumElements)
            throw new ArgumentException($"destination holds {destination.Length} ints, the tensor {values.Shape} has {values.NumElements}", nameof(destination));
        if (values.Device == DeviceKind.Cpu)
        {
            values.Span<int>().CopyTo(destination);
            return;
        }
        backend.Synchronize();
        using var host = Tensor.CpuUninitialized(DType.I32, values.Shape); // [n], overwritten by the copy
        backend.Copy(values, host);
        host.Span<int>().CopyTo(destination);
    }

    /// <summary>The elements of a float (or I32) backend tensor as F32 on the host (after the queued work finishes).</summary>
    public static float[] ReadFloats(this IBackend backend, Tensor values)
    {
        var result = new float[values.NumElements];
        backend.ReadFloats(values, result);
        return result;
    }

    /// <summary>
    /// <see cref="ReadFloats(IBackend, Tensor)"/> into a caller's buffer of exactly NumElements floats: for a result
    /// read back every step (logits), which would otherwise be a fresh array each time.
    /// </summary>
    public static void ReadFloats(this IBackend backend, Tensor values, Span<float> destination)
    {
        if (values.Device == DeviceKind.Cpu)
        {
            values.CopyToFloats(destination);
            return;
        }
        backend.Synchronize();
        using var host = Tensor.CpuUninitialized(values.DType, values.Shape); // values' shape, overwritten by the copy
        backend.Copy(values, host);
        host.CopyToFloats(destination);
    }
}
