// An F32 view of a 1-D parameter tensor (norm weight or bias) that may be stored as F16 or BF16.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cpu;

/// <summary>
/// The tensor's own memory when it is F32, else a widened copy in native memory (freed by <see cref="Dispose"/>).
/// Holds an address rather than a span so that parallel row loops can capture it.
/// </summary>
internal readonly unsafe struct F32Parameter : IDisposable
{
    private readonly bool _owned;

    public F32Parameter(Tensor parameter)
    {
        Length = checked((int)parameter.NumElements);
        if (parameter.DType == DType.F32)
        {
            Address = parameter.Pointer;
            return;
        }
        Address = (nint)NativeMemory.Alloc((nuint)Math.Max(Length, 1), sizeof(float));
        _owned = true;
        var source = new ReadOnlySpan<byte>((void*)parameter.Pointer, Length * parameter.DType.SizeOf());
        DTypeConversion.ConvertToF32(parameter.DType, source, Span);
    }

    public nint Address { get; }

    public int Length { get; }

    public Span<float> Span => new((void*)Address, Length);

    public void Dispose()
    {
        if (_owned) NativeMemory.Free((void*)Address);
    }
}
