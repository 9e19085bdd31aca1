// Elementwise dtype conversion between CPU tensors: any pair of F32/F16/BF16, and I32/I64 ↔ F32.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    // Elements per parallel work item.
    private const int ConvertChunk = 1 << 16;

    /// <summary>
    /// dst ← src converted elementwise; element counts must match (shapes may differ). Float narrowing rounds to
    /// nearest even (NaN stays NaN, overflow gives ±Inf, subnormals are kept); widening is exact. I32/I64 → F32 rounds
    /// to nearest even; F32 → I32/I64 truncates toward zero and saturates at the integer range, NaN giving 0
    /// (.NET cast semantics). The same dtype on both sides is a copy.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not on the CPU, the counts differ, or the pair is unsupported.</exception>
    public unsafe void Convert(Tensor src, Tensor dst)
    {
        TensorCheck.OnDevice(src, DeviceKind.Cpu, nameof(src));
        TensorCheck.OnDevice(dst, DeviceKind.Cpu, nameof(dst));
        TensorCheck.SameElementCount(src, dst, nameof(src), nameof(dst));
        DType from = src.DType, to = dst.DType;
        if (from == to)
        {
            Copy(src, dst);
            return;
        }
        bool floats = from.IsFloat() && to.IsFloat();
        bool intToFloat = from is DType.I32 or DType.I64 && to == DType.F32;
        bool floatToInt = from == DType.F32 && to is DType.I32 or DType.I64;
        if (!(floats || intToFloat || floatToInt))
            throw new ArgumentException($"cannot convert src {from} {src.Shape} to dst {to}: supported are F32/F16/BF16 pairs and I32/I64 ↔ F32", nameof(dst));

        long n = src.NumElements; // [n] flat
        nint sp = src.Pointer, dp = dst.Pointer;
        int sizeFrom = from.SizeOf(), sizeTo = to.SizeOf();
        int chunks = (int)((n + ConvertChunk - 1) / ConvertChunk);
        ParallelFor(chunks, ConvertChunk / 4, (start, end) =>
        {
            long first = (long)start * ConvertChunk;
            int count = (int)(Math.Min((long)end * ConvertChunk, n) - first);
            var s = new ReadOnlySpan<byte>((byte*)sp + first * sizeFrom, count * sizeFrom);
            var d = new Span<byte>((byte*)dp + first * sizeTo, count * sizeTo);
            ConvertElements(from, s, to, d);
        });
    }

    private static void ConvertElements(DType from, ReadOnlySpan<byte> src, DType to, Span<byte> dst)
    {
        switch (from, to)
        {
            case (DType.F16, DType.BF16):
                DTypeConversion.ConvertF16ToBF16(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst));
                break;
            case (DType.BF16, DType.F16):
                DTypeConversion.ConvertBF16ToF16(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst));
                break;
            case (_, DType.F32) when from.IsFloat():
                DTypeConversion.ConvertToF32(from, src, MemoryMarshal.Cast<byte, float>(dst));
                break;
            case (DType.F32, _) when to.IsFloat():
                DTypeConversion.ConvertFromF32(MemoryMarshal.Cast<byte, float>(src), to, dst);
                break;
            case (DType.I32, DType.F32):
                {
                    var s = MemoryMarshal.Cast<byte, int>(src);
                    var d = MemoryMarshal.Cast<byte, float>(dst);
                    for (int i = 0; i < s.Length; i++) d[i] = s[i];
                    break;
                }
            case (DType.I64, DType.F32):
                {
                    var s = MemoryMarshal.Cast<byte, long>(src);
                    var d = MemoryMarshal.Cast<byte, float>(dst);
                    for (int i = 0; i < s.Length; i++) d[i] = s[i];
                    break;
                }
            case (DType.F32, DType.I32):
                {
                    var s = MemoryMarshal.Cast<byte, float>(src);
                    var d = MemoryMarshal.Cast<byte, int>(dst);
                    for (int i = 0; i < s.Length; i++) d[i] = (int)s[i];
                    break;
                }
            case (DType.F32, DType.I64):
                {
                    var s = MemoryMarshal.Cast<byte, float>(src);
                    var d = MemoryMarshal.Cast<byte, long>(dst);
                    for (int i = 0; i < s.Length; i++) d[i] = (long)s[i];
                    break;
                }
            default:
                throw new InvalidOperationException($"unreachable conversion {from} → {to}");
        }
    }
}
