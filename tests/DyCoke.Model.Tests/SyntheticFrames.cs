// The synthetic video the reference fixtures use (tools/reference/reference_io.py, FRAME_FORMULA): uint8 RGB frames
// already at 384×384, normalised as the processor does, so both sides start from bit-identical pixels.
using DyCoke.Tensors;

namespace DyCoke.Model.Tests;

internal static class SyntheticFrames
{
    /// <summary>v(f, y, x, c) = (7x + 13y + 50c + 31f + ((x·y) &gt;&gt; 5)) mod 256.</summary>
    public static byte Value(int f, int y, int x, int c) => (byte)((7 * x + 13 * y + 50 * c + 31 * f + ((x * y) >> 5)) % 256);

    /// <summary>Host F32 pixels [F, 3, S, S] = float(v) / 127.5f − 1f (fp32 division, then fp32 subtraction).</summary>
    public static Tensor Pixels(int numFrames, int size = 384, int firstFrame = 0)
    {
        var pixels = Tensor.Cpu(DType.F32, new Shape(numFrames, 3, size, size)); // [F, 3, S, S]
        var span = pixels.Span<float>();
        int i = 0;
        for (int f = 0; f < numFrames; f++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                        span[i++] = Value(firstFrame + f, y, x, c) / 127.5f - 1f;
        return pixels;
    }
}
