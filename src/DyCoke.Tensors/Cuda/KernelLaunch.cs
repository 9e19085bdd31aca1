// Kernel arguments and launches without boxing: argument values sit in an inline buffer on the caller's stack and
// cuLaunchKernel gets pointers to them (what ManagedCuda's object[] launch pins and boxes per call).
using System.Runtime.CompilerServices;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

/// <summary>A launch geometry dimension triple.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(int x) => new((uint)x);
    public static implicit operator Dim3(uint x) => new(x);
}

/// <summary>Up to 24 kernel arguments, each stored in an 8-byte slot (ints and floats use the low bytes).</summary>
public unsafe ref struct KernelArgs
{
    public const int MaxArgs = 24;

    [InlineArray(MaxArgs)]
    private struct Slots
    {
        private ulong _element0;
    }

    private Slots _slots;
    private int _count;

    public readonly int Count => _count;

    /// <summary>A tensor's device address (a <c>T*</c> parameter).</summary>
    public KernelArgs Add(Tensor t)
    {
        if (t.Device != DeviceKind.Cuda) throw new ArgumentException($"kernel argument {_count} is a {t.Device} tensor", nameof(t));
        return AddBits((ulong)t.Pointer);
    }

    /// <summary>An optional tensor: null passes a null pointer (kernels test for it).</summary>
    public KernelArgs AddOptional(Tensor? t) => t is null ? AddBits(0) : Add(t);

    public KernelArgs Add(int value) => AddBits((uint)value);
    public KernelArgs Add(float value) => AddBits(BitConverter.SingleToUInt32Bits(value));
    public KernelArgs Add(long value) => AddBits((ulong)value);
    public KernelArgs Add(ulong value) => AddBits(value);

    private KernelArgs AddBits(ulong bits)
    {
        if (_count == MaxArgs) throw new InvalidOperationException($"more than {MaxArgs} kernel arguments");
        _slots[_count++] = bits;
        return this;
    }

    /// <summary>Queues <paramref name="function"/> on <paramref name="stream"/> with these arguments.</summary>
    public readonly void Launch(nint function, string name, Dim3 grid, Dim3 block, uint sharedBytes, nint stream)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return; // an empty tensor: nothing to launch (CUDA rejects a 0 grid)
        void** pointers = stackalloc void*[Math.Max(_count, 1)];
        fixed (ulong* slots = &_slots[0])
        {
            for (int i = 0; i < _count; i++) pointers[i] = slots + i;
            int result = CuDriver.LaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, stream, pointers, null);
            if (result != CuDriver.Success)
                throw CudaException.FromDriver(result, "cuLaunchKernel", $"{name} grid ({grid.X},{grid.Y},{grid.Z}) block ({block.X},{block.Y},{block.Z}) shared {sharedBytes}");
        }
    }
}
