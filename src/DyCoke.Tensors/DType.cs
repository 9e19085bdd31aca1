// Element types a tensor can hold, with their sizes and safetensors names.
namespace DyCoke.Tensors;

/// <summary>Element type of a tensor. Checkpoints ship F16; CPU math is F32; GPU math F16/BF16 with F32 accumulation.</summary>
public enum DType : byte
{
    F32,
    F16,
    BF16,
    I32,
    I64,
    U8,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.I64 => 8,
        DType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static bool IsFloat(this DType dtype) => dtype is DType.F32 or DType.F16 or DType.BF16;

    /// <summary>The dtype's name in a safetensors header ("F32", "F16", "BF16", "I32", "I64", "U8").</summary>
    public static string SafeTensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I32 => "I32",
        DType.I64 => "I64",
        DType.U8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype name; false for names this project does not support (e.g. F64, BOOL, F8_E4M3).</summary>
    public static bool TryParseSafeTensorsName(string name, out DType dtype)
    {
        switch (name)
        {
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "I32": dtype = DType.I32; return true;
            case "I64": dtype = DType.I64; return true;
            case "U8": dtype = DType.U8; return true;
            default: dtype = default; return false;
        }
    }
}
