// Token embedding lookup: rows of an F32/F16/BF16 table widened to F32 activations.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>y[t, :] = table[ids[t], :] widened to F32. ids I32 [T]; table [V, C] F32/F16/BF16; y F32 [T, C].</summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V) (checked before anything is written).</exception>
    public unsafe void Embedding(Tensor ids, Tensor table, Tensor y)
    {
        TensorCheck.OnDevice(ids, DeviceKind.Cpu, nameof(ids));
        TensorCheck.OnDevice(table, DeviceKind.Cpu, nameof(table));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(ids, DType.I32, nameof(ids));
        TensorCheck.Rank(ids, 1, nameof(ids));
        TensorCheck.IsFloat(table, nameof(table));
        TensorCheck.Rank(table, 2, nameof(table));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.ShapeIs(y, new Shape(ids.Shape[0], table.Shape[1]), nameof(y));

        long vocab = table.Shape[0];
        int hidden = checked((int)table.Shape[1]);
        ReadOnlySpan<int> tokens = ids.Span<int>(); // [T]
        for (int t = 0; t < tokens.Length; t++)
        {
            if ((uint)tokens[t] >= (ulong)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), tokens[t], $"ids[{t}] is outside the table {table.Shape}");
        }

        DType tableType = table.DType;
        int rowBytes = hidden * tableType.SizeOf();
        nint tp = table.Pointer, yp = y.Pointer, ip = ids.Pointer;
        ParallelFor(tokens.Length, hidden, (start, end) =>
        {
            int* id = (int*)ip;
            for (int t = start; t < end; t++)
            {
                var row = new ReadOnlySpan<byte>((byte*)tp + (long)id[t] * rowBytes, rowBytes); // [C] of the table dtype
                DTypeConversion.ConvertToF32(tableType, row, new Span<float>((float*)yp + (long)t * hidden, hidden));
            }
        });
    }
}
