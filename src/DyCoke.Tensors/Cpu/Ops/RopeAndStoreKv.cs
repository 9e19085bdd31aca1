// CPU rotary embedding plus KV-cache write: NeoX half-split rotation of q and k at explicit positions, then the rotated
// k rows and the v rows stored at their cache slots (page size 1). Angle numerics follow HF Qwen2 (see FillInverseFrequencies).
using System.Buffers;
using System.Numerics;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    private readonly List<RopeTable> _ropeTables = [];

    /// <summary>
    /// Rotates q [T, H, D] and k [T, Hkv, D] in place (pairs (i, i + D/2); x1·cos − x2·sin, x2·cos + x1·sin) at
    /// positions[t], then copies the rotated k[t] and v[t] to kCache/vCache row slotMapping[t]; a negative slot skips
    /// the store. Tokens are stored in order, so if two tokens name the same slot the later one wins. BF16 caches get the
    /// rows rounded to nearest even.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 (q, k, v; F32 or BF16 for the caches, both alike) or
    /// I32 (positions, slotMapping) CPU
    /// tensor, the shapes disagree, D is not a positive even number, a position is negative or a slot is ≥ S.</exception>
    /// <exception cref="ArgumentOutOfRangeException">theta is not a positive finite number.</exception>
    public unsafe void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta)
    {
        ValidateRope(q, k, v, positions, slotMapping, kCache, vCache, theta);
        int t = (int)q.Shape[0], h = (int)q.Shape[1], hkv = (int)k.Shape[1], d = (int)q.Shape[2];
        int half = d / 2;

        int maxPosition = 0;
        foreach (int p in positions.Span<int>()) maxPosition = Math.Max(maxPosition, p);
        RopeTable ropeTable = RopeTableFor(theta, d);
        float[] cosSin = ropeTable.RowsFor(maxPosition); // [cached, 2, D/2]: cos then sin per position
        float[] invFreq = ropeTable.InverseFrequencies; // [D/2], for positions past the table
        int cached = cosSin.Length / d;
        nint qPtr = q.Pointer, kPtr = k.Pointer, posPtr = positions.Pointer;
        ParallelFor(t, (long)(h + hkv) * d * 3, (start, end) =>
        {
            float[] scratch = ArrayPool<float>.Shared.Rent(2 * half); // [2, D/2]: cos then sin of one uncached position
            fixed (float* inv = invFreq, cs = scratch, rows = cosSin)
            {
                for (int i = start; i < end; i++)
                {
                    int position = ((int*)posPtr)[i];
                    float* row = cs;
                    if (position < cached) row = rows + (long)position * d;
                    else FillCosSin(position, inv, cs, cs + half, half);
                    float* qRow = (float*)qPtr + (long)i * h * d; // [H, D]
                    for (int j = 0; j < h; j++) RotateHalves(qRow + j * d, row, row + half, half);
                    float* kRow = (float*)kPtr + (long)i * hkv * d; // [Hkv, D]
                    for (int j = 0; j < hkv; j++) RotateHalves(kRow + j * d, row, row + half, half);
                }
            }
            ArrayPool<float>.Shared.Return(scratch);
        });

        // Sequential so a repeated slot deterministically keeps the later token; it is a copy of 2·Hkv·D floats per token.
        ReadOnlySpan<int> slots = slotMapping.Span<int>(); // [T]
        ReadOnlySpan<float> kSrc = k.Span<float>(), vSrc = v.Span<float>(); // [T, Hkv, D]
        int row = hkv * d;
        bool bf16 = kCache.DType == DType.BF16;
        for (int i = 0; i < t; i++)
        {
            int slot = slots[i];
            if (slot < 0) continue;
            StoreRow(kSrc.Slice(i * row, row), kCache, slot, bf16);
            StoreRow(vSrc.Slice(i * row, row), vCache, slot, bf16);
        }
    }

    // Cache row `slot` [Hkv·D] ← source, narrowed to BF16 for a BF16 cache.
    private static void StoreRow(ReadOnlySpan<float> source, Tensor cache, int slot, bool bf16)
    {
        int row = source.Length;
        if (bf16) DTypeConversion.ConvertF32ToBF16(source, cache.Span<ushort>().Slice(slot * row, row));
        else source.CopyTo(cache.Span<float>().Slice(slot * row, row));
    }

    // One table per (θ, D) this backend has rotated with: in practice one, the language model's.
    private RopeTable RopeTableFor(float theta, int d)
    {
        lock (_ropeTables)
        {
            foreach (var table in _ropeTables)
                if (table.Theta == theta && table.HeadDim == d) return table;
            var added = new RopeTable(theta, d);
            _ropeTables.Add(added);
            return added;
        }
    }

    /// <summary>
    /// inv_freq[i] = 1 / θ^(2i/D) with every step rounded to fp32 as HF does it (an fp32 exponent, an fp32 power, an
    /// fp32 reciprocal). The power is taken in double and rounded once, i.e. the correctly rounded fp32 power.
    /// </summary>
    internal static void FillInverseFrequencies(float theta, int d, Span<float> invFreq)
    {
        for (int i = 0; i < invFreq.Length; i++)
        {
            float exponent = (float)(2 * i) / d;
            float power = (float)Math.Pow(theta, exponent);
            invFreq[i] = 1f / power;
        }
    }

    /// <summary>
    /// angle = fp32(position)·inv_freq in fp32 (as HF's position × inv_freq product), then cos and sin of that fp32
    /// angle, rounded once from double so large positions give the same values on every platform.
    /// </summary>
    internal static unsafe void FillCosSin(int position, float* invFreq, float* cos, float* sin, int half)
    {
        float p = position;
        for (int i = 0; i < half; i++)
        {
            float angle = p * invFreq[i];
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }

    /// <summary>
    /// x[i] ← x1·cos − x2·sin and x[i + D/2] ← x2·cos + x1·sin. Separate multiplies and an add (no FMA), as the
    /// reference's elementwise ops round, so the SIMD and scalar paths give identical bits.
    /// </summary>
    private static unsafe void RotateHalves(float* x, float* cos, float* sin, int half)
    {
        float* x2 = x + half;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            for (; i + w <= half; i += w)
            {
                Vector<float> a = Vector.Load(x + i), b = Vector.Load(x2 + i);
                Vector<float> c = Vector.Load(cos + i), s = Vector.Load(sin + i);
                Vector.Store(a * c - b * s, x + i);
                Vector.Store(b * c + a * s, x2 + i);
            }
        }
        for (; i < half; i++)
        {
            float a = x[i], b = x2[i];
            x[i] = a * cos[i] - b * sin[i];
            x2[i] = b * cos[i] + a * sin[i];
        }
    }

    private static void ValidateRope(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta)
    {
        (Tensor Tensor, string Name, DType DType)[] all =
        [
            (q, nameof(q), DType.F32), (k, nameof(k), DType.F32), (v, nameof(v), DType.F32),
            (positions, nameof(positions), DType.I32), (slotMapping, nameof(slotMapping), DType.I32),
        ];
        foreach (var (tensor, name, dtype) in all)
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.Is(tensor, dtype, name);
        }
        TensorCheck.OnDevice(kCache, DeviceKind.Cpu, nameof(kCache));
        TensorCheck.OnDevice(vCache, DeviceKind.Cpu, nameof(vCache));
        CheckKvCacheDTypes(kCache, vCache);
        if (!float.IsFinite(theta) || theta <= 0)
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "RoPE theta must be a positive finite number");
        TensorCheck.Rank(q, 3, nameof(q));
        TensorCheck.Rank(k, 3, nameof(k));
        TensorCheck.Rank(kCache, 3, nameof(kCache));
        long t = q.Shape[0], d = q.Shape[2];
        if (d <= 0 || d % 2 != 0)
            throw new ArgumentException($"q has shape {q.Shape}: the head dim D must be a positive even number for NeoX RoPE", nameof(q));
        if (k.Shape[0] != t || k.Shape[2] != d)
            throw new ArgumentException($"k has shape {k.Shape}, expected [{t}, Hkv, {d}] to match q {q.Shape}", nameof(k));
        TensorCheck.SameShape(k, v, nameof(k), nameof(v));
        TensorCheck.ShapeIs(positions, new Shape(t), nameof(positions));
        TensorCheck.ShapeIs(slotMapping, new Shape(t), nameof(slotMapping));
        long s = kCache.Shape[0];
        TensorCheck.ShapeIs(kCache, new Shape(s, k.Shape[1], d), nameof(kCache));
        TensorCheck.SameShape(kCache, vCache, nameof(kCache), nameof(vCache));

        ReadOnlySpan<int> pos = positions.Span<int>(); // [T]
        ReadOnlySpan<int> slots = slotMapping.Span<int>(); // [T]
        for (int i = 0; i < pos.Length; i++)
        {
            if (pos[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(positions), pos[i], $"positions[{i}] is negative");
            if (slots[i] >= s)
                throw new ArgumentOutOfRangeException(nameof(slotMapping), slots[i], $"slotMapping[{i}] is outside the cache of {s} slots {kCache.Shape}");
        }
    }
}
