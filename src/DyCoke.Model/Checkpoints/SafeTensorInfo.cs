// What a safetensors header says about one tensor: its dtype, shape and where its bytes lie in the file.
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>
/// One tensor of a safetensors file. <see cref="FileOffset"/> is absolute (from the start of the file, header
/// included), so it can be used directly against a mapping or a read of the whole file.
/// </summary>
/// <param name="Name">The name exactly as stored in the header.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="FileOffset">Offset of the first byte from the start of the file.</param>
/// <param name="ByteCount">Number of bytes (elements × element size).</param>
public sealed record SafeTensorInfo(string Name, DType DType, Shape Shape, long FileOffset, long ByteCount)
{
    /// <summary>
    /// True when the first element sits at a multiple of the element size from the start of the file. Mappings start
    /// on a page boundary, so this is also alignment in memory; false only for files whose header length is not a
    /// multiple of 8 or whose offsets are irregular (the reader accepts both; see <see cref="SafeTensorsFile"/>).
    /// </summary>
    public bool IsElementAligned => FileOffset % DType.SizeOf() == 0;

    public override string ToString() => $"{Name}: {DType} {Shape} at {FileOffset} (+{ByteCount})";
}
