// Pillow's Image.resize(BICUBIC) for 8-bit RGB, bit for bit: a horizontal pass (only over the rows the vertical pass
// reads) into an 8-bit intermediate, then a vertical pass; each output is half + Σ pixel·weight in 32-bit integers,
// shifted by 22 bits and clamped to 0..255, as Pillow's 8bpc path does. Integer sums do not depend on the order of
// addition, so the SIMD paths give exactly the scalar (Pillow) result. Weights: BicubicWeights.
using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace DyCoke.Media;

/// <summary>A reusable PIL-compatible bicubic resizer for one input size and one output size (3-channel interleaved).</summary>
public sealed class PilBicubicResize
{
    private const int Channels = 3;
    private const int Half = 1 << (BicubicWeights.PrecisionBits - 1);

    private readonly BicubicWeights _horizontal;
    private readonly BicubicWeights _vertical;
    private readonly bool _needHorizontal;
    private readonly bool _needVertical;
    private readonly int _firstRow;
    private readonly int _rowCount;
    private readonly byte[] _intermediate; // [rowCount, OutputWidth, 3]

    /// <summary>Precomputes the weights. Throws <see cref="ArgumentOutOfRangeException"/> for sizes below 1.</summary>
    public PilBicubicResize(int inputWidth, int inputHeight, int outputWidth, int outputHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputHeight, 1);
        InputWidth = inputWidth;
        InputHeight = inputHeight;
        OutputWidth = outputWidth;
        OutputHeight = outputHeight;
        _needHorizontal = inputWidth != outputWidth;
        _needVertical = inputHeight != outputHeight;
        _horizontal = BicubicWeights.Create(inputWidth, outputWidth);
        _vertical = BicubicWeights.Create(inputHeight, outputHeight);

        // Pillow resamples horizontally only the source rows the vertical pass will read.
        _firstRow = _vertical.Start[0];
        _rowCount = _vertical.Start[outputHeight - 1] + _vertical.Count[outputHeight - 1] - _firstRow;
        _intermediate = _needHorizontal && _needVertical ? new byte[_rowCount * outputWidth * Channels] : [];
    }

    /// <summary>Source width in pixels.</summary>
    public int InputWidth { get; }

    /// <summary>Source height in pixels.</summary>
    public int InputHeight { get; }

    /// <summary>Target width in pixels.</summary>
    public int OutputWidth { get; }

    /// <summary>Target height in pixels.</summary>
    public int OutputHeight { get; }

    /// <summary>
    /// Resizes <paramref name="source"/> (<c>[InputHeight, InputWidth, 3]</c>) into <paramref name="destination"/>
    /// (<c>[OutputHeight, OutputWidth, 3]</c>). Not thread-safe (one intermediate buffer per instance). Throws
    /// <see cref="ArgumentException"/> when a span is too short.
    /// </summary>
    public void Resize(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length < InputWidth * InputHeight * Channels)
            throw new ArgumentException($"source holds {source.Length} bytes, expected [{InputHeight}, {InputWidth}, 3]", nameof(source));
        if (destination.Length < OutputWidth * OutputHeight * Channels)
            throw new ArgumentException($"destination holds {destination.Length} bytes, expected [{OutputHeight}, {OutputWidth}, 3]", nameof(destination));

        if (_needHorizontal && _needVertical)
        {
            HorizontalPass(source, _firstRow, _rowCount, _intermediate);
            VerticalPass(_intermediate, OutputWidth, rowOffset: _firstRow, destination);
        }
        else if (_needHorizontal)
        {
            HorizontalPass(source, 0, InputHeight, destination);
        }
        else if (_needVertical)
        {
            VerticalPass(source, InputWidth, rowOffset: 0, destination);
        }
        else
        {
            source[..(InputWidth * InputHeight * Channels)].CopyTo(destination);
        }
    }

    /// <summary>[rowCount, OutputWidth, 3] from source rows firstRow.. of the [InputHeight, InputWidth, 3] image.</summary>
    private void HorizontalPass(ReadOnlySpan<byte> source, int firstRow, int rowCount, Span<byte> output)
    {
        int stride = InputWidth * Channels;
        int outStride = OutputWidth * Channels;
        if (!Vector.IsHardwareAccelerated)
        {
            for (int y = 0; y < rowCount; y++)
                HorizontalRowScalar(source.Slice((firstRow + y) * stride, stride), output.Slice(y * outStride, outStride));
            return;
        }

        // The row widened to int32 once, with zero padding so every tap vector stays in bounds.
        int[] widened = ArrayPool<int>.Shared.Rent(stride + _horizontal.PaddedTaps * Channels); // [W + padded taps, 3]
        try
        {
            Span<int> row = widened.AsSpan(0, stride + _horizontal.PaddedTaps * Channels);
            row[stride..].Clear();
            for (int y = 0; y < rowCount; y++)
            {
                Widen(source.Slice((firstRow + y) * stride, stride), row);
                HorizontalRowVector(row, output.Slice(y * outStride, outStride));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(widened);
        }
    }

    private void HorizontalRowScalar(ReadOnlySpan<byte> row, Span<byte> outRow)
    {
        BicubicWeights axis = _horizontal;
        for (int x = 0; x < OutputWidth; x++)
        {
            ReadOnlySpan<int> weights = axis.Weights.AsSpan(x * axis.KernelSize, axis.Count[x]); // [taps]
            ReadOnlySpan<byte> taps = row.Slice(axis.Start[x] * Channels, weights.Length * Channels); // [taps, 3]
            int r = Half, g = Half, b = Half;
            for (int k = 0; k < weights.Length; k++)
            {
                int w = weights[k];
                r += taps[3 * k] * w;
                g += taps[3 * k + 1] * w;
                b += taps[3 * k + 2] * w;
            }
            outRow[3 * x] = Clip8(r);
            outRow[3 * x + 1] = Clip8(g);
            outRow[3 * x + 2] = Clip8(b);
        }
    }

    /// <summary>
    /// One output row from an int32-widened interleaved row. A block of three vectors covers L whole pixels (L lanes),
    /// so lane j of vector v always holds channel (v·L + j) mod 3; masks pick each channel's lanes for the final sums.
    /// </summary>
    private void HorizontalRowVector(ReadOnlySpan<int> row, Span<byte> outRow)
    {
        BicubicWeights axis = _horizontal;
        int lanes = Vector<int>.Count;
        ReadOnlySpan<Vector<int>> masks = s_channelMasks.Value; // [channel, vector in block]
        int weightStride = axis.PaddedTaps * Channels;
        // Unchecked loads: the row carries PaddedTaps zero pixels after its end and every weight row is PaddedTaps
        // long, so start + ceil(count / L)·L taps never leave either buffer.
        Debug.Assert(row.Length >= InputWidth * Channels + weightStride);
        ref int pixels = ref MemoryMarshal.GetReference(row);
        ref int weights = ref MemoryMarshal.GetArrayDataReference(axis.RgbWeights);
        for (int x = 0; x < OutputWidth; x++)
        {
            nuint tap = (nuint)(axis.Start[x] * Channels);
            nuint weight = (nuint)(x * weightStride);
            int blocks = (axis.Count[x] + lanes - 1) / lanes;
            Vector<int> a0 = Vector<int>.Zero, a1 = Vector<int>.Zero, a2 = Vector<int>.Zero;
            for (int block = 0; block < blocks; block++)
            {
                a0 += Vector.LoadUnsafe(ref pixels, tap) * Vector.LoadUnsafe(ref weights, weight);
                a1 += Vector.LoadUnsafe(ref pixels, tap + (nuint)lanes) * Vector.LoadUnsafe(ref weights, weight + (nuint)lanes);
                a2 += Vector.LoadUnsafe(ref pixels, tap + (nuint)(2 * lanes)) * Vector.LoadUnsafe(ref weights, weight + (nuint)(2 * lanes));
                tap += (nuint)(3 * lanes);
                weight += (nuint)(3 * lanes);
            }
            outRow[3 * x] = Clip8(Half + Vector.Sum((a0 & masks[0]) + (a1 & masks[1]) + (a2 & masks[2])));
            outRow[3 * x + 1] = Clip8(Half + Vector.Sum((a0 & masks[3]) + (a1 & masks[4]) + (a2 & masks[5])));
            outRow[3 * x + 2] = Clip8(Half + Vector.Sum((a0 & masks[6]) + (a1 & masks[7]) + (a2 & masks[8])));
        }
    }

    /// <summary>[OutputHeight, width, 3] from a [*, width, 3] image whose row 0 is source row rowOffset.</summary>
    private void VerticalPass(ReadOnlySpan<byte> source, int width, int rowOffset, Span<byte> output)
    {
        BicubicWeights axis = _vertical;
        int stride = width * Channels;
        int[] rented = ArrayPool<int>.Shared.Rent(stride);
        try
        {
            Span<int> sums = rented.AsSpan(0, stride); // [width * 3]
            for (int y = 0; y < OutputHeight; y++)
            {
                // Row-at-a-time accumulation: the same integer sums as Pillow's per-pixel loop, in cache-friendly order.
                sums.Fill(Half);
                ReadOnlySpan<int> weights = axis.Weights.AsSpan(y * axis.KernelSize, axis.Count[y]); // [taps]
                int first = axis.Start[y] - rowOffset;
                for (int k = 0; k < weights.Length; k++)
                {
                    AccumulateRow(source.Slice((first + k) * stride, stride), weights[k], sums);
                }
                Span<byte> outRow = output.Slice(y * stride, stride); // [width, 3]
                for (int i = 0; i < stride; i++) outRow[i] = Clip8(sums[i]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>sums[i] += row[i] · weight.</summary>
    private static void AccumulateRow(ReadOnlySpan<byte> row, int weight, Span<int> sums)
    {
        Debug.Assert(sums.Length >= row.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            nuint lanes = (nuint)Vector<int>.Count;
            var w = new Vector<int>(weight);
            ref byte source = ref MemoryMarshal.GetReference(row);
            ref int target = ref MemoryMarshal.GetReference(sums);
            for (; i + Vector<byte>.Count <= row.Length; i += Vector<byte>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref source, (nuint)i), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> q0, out Vector<uint> q1);
                Vector.Widen(high, out Vector<uint> q2, out Vector<uint> q3);
                nuint at = (nuint)i;
                (Vector.LoadUnsafe(ref target, at) + Vector.AsVectorInt32(q0) * w).StoreUnsafe(ref target, at);
                (Vector.LoadUnsafe(ref target, at + lanes) + Vector.AsVectorInt32(q1) * w).StoreUnsafe(ref target, at + lanes);
                (Vector.LoadUnsafe(ref target, at + 2 * lanes) + Vector.AsVectorInt32(q2) * w).StoreUnsafe(ref target, at + 2 * lanes);
                (Vector.LoadUnsafe(ref target, at + 3 * lanes) + Vector.AsVectorInt32(q3) * w).StoreUnsafe(ref target, at + 3 * lanes);
            }
        }
        for (; i < row.Length; i++) sums[i] += row[i] * weight;
    }

    /// <summary>bytes → int32, element by element (the tail of <paramref name="ints"/> is left as is).</summary>
    private static void Widen(ReadOnlySpan<byte> bytes, Span<int> ints)
    {
        Debug.Assert(ints.Length >= bytes.Length);
        int i = 0;
        nuint lanes = (nuint)Vector<int>.Count;
        ref byte source = ref MemoryMarshal.GetReference(bytes);
        ref int target = ref MemoryMarshal.GetReference(ints);
        for (; i + Vector<byte>.Count <= bytes.Length; i += Vector<byte>.Count)
        {
            Vector.Widen(Vector.LoadUnsafe(ref source, (nuint)i), out Vector<ushort> low, out Vector<ushort> high);
            Vector.Widen(low, out Vector<uint> q0, out Vector<uint> q1);
            Vector.Widen(high, out Vector<uint> q2, out Vector<uint> q3);
            nuint at = (nuint)i;
            Vector.AsVectorInt32(q0).StoreUnsafe(ref target, at);
            Vector.AsVectorInt32(q1).StoreUnsafe(ref target, at + lanes);
            Vector.AsVectorInt32(q2).StoreUnsafe(ref target, at + 2 * lanes);
            Vector.AsVectorInt32(q3).StoreUnsafe(ref target, at + 3 * lanes);
        }
        for (; i < bytes.Length; i++) ints[i] = bytes[i];
    }

    /// <summary>Pillow's clip8: drop the fraction bits (arithmetic shift, so negatives floor) and clamp to a byte.</summary>
    private static byte Clip8(int value)
    {
        int shifted = value >> BicubicWeights.PrecisionBits;
        return shifted < 0 ? (byte)0 : shifted > 255 ? (byte)255 : (byte)shifted;
    }

    /// <summary>Masks [channel c, vector v]: lane j is all ones where (v·L + j) mod 3 == c.</summary>
    private static readonly Lazy<Vector<int>[]> s_channelMasks = new(() =>
    {
        int lanes = Vector<int>.Count;
        var masks = new Vector<int>[9];
        var lane = new int[lanes];
        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 3; v++)
            {
                for (int j = 0; j < lanes; j++) lane[j] = (v * lanes + j) % 3 == c ? -1 : 0;
                masks[3 * c + v] = new Vector<int>(lane);
            }
        }
        return masks;
    });
}
