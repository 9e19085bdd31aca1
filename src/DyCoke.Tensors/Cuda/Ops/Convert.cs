// Convert on CUDA (Kernels/convert.cu): elementwise dtype conversion, one grid-stride launch.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// dst ← src converted elementwise; element counts must match (shapes may differ). Supported: any pair of
    /// F32/F16/BF16 (widening is exact, narrowing rounds to nearest even once, also F16 ↔ BF16), I32/I64 → F32 (round to
    /// nearest even) and F32 → I32/I64 (truncation toward zero, saturating, NaN → 0, as a C# cast). Equal dtypes copy.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not on the GPU, the counts differ, or the pair is unsupported.</exception>
    public void Convert(Tensor src, Tensor dst)
    {
        OnDevice(src, dst);
        TensorCheck.SameElementCount(src, dst, nameof(src), nameof(dst));
        DType from = src.DType, to = dst.DType;
        if (from == to)
        {
            Copy(src, dst);
            return;
        }
        bool floats = from.IsFloat() && to.IsFloat();
        bool intToFloat = (from is DType.I32 or DType.I64) && to == DType.F32;
        bool floatToInt = from == DType.F32 && (to is DType.I32 or DType.I64);
        if (!(floats || intToFloat || floatToInt))
            throw new ArgumentException($"cannot convert src {from} {src.Shape} to dst {to}: supported are F32/F16/BF16 pairs and I32/I64 ↔ F32", nameof(dst));

        long n = src.NumElements; // [n] flat
        if (n == 0) return;
        if (floatToInt)
        {
            var args = new KernelArgs().Add(src).Add(dst).Add(n);
            Launch(to == DType.I32 ? "dyc_convert_f32_to_i32" : "dyc_convert_f32_to_i64", ElementwiseGrid(n), ElementwiseBlock, args);
        }
        else
        {
            var args = new KernelArgs().Add(src).Add(KindCode(from)).Add(dst).Add(n);
            Launch($"dyc_convert_to_{Suffix(to)}", ElementwiseGrid(n), ElementwiseBlock, args);
        }
    }
}
