// Tests of CpuBackend.RopeAndStoreKv: NeoX rotation against double references, its invariants (identity at position 0,
// pair norms), the slot-mapped KV-cache store, determinism across thread counts, and argument validation.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class RopeAndStoreKvTests(ITestOutputHelper output)
{
    private const float Theta = 1_000_000f;

    [Theory]
    [InlineData(2, 7, 3, 1)]
    [InlineData(8, 7, 4, 2)]
    [InlineData(64, 9, 14, 2)]
    [InlineData(72, 5, 16, 16)]
    [InlineData(128, 3, 28, 4)]
    [InlineData(64, 301, 14, 2)]
    public void RopeAndStoreKv_RandomInputsFarPositions_MatchesHfAngleReference(int d, int t, int h, int hkv)
    {
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(t, h, d));
        using var k = TestTensors.Random(2, new Shape(t, hkv, d));
        using var v = TestTensors.Random(3, new Shape(t, hkv, d));
        int[] positions = RandomInts(4, t, 0, 40_000);
        float[] qIn = q.ToFloatArray(), kIn = k.ToFloatArray();

        RunRope(backend, q, k, v, positions, Identity(t), t);

        double dq = TestTensors.AssertClose(AttentionReference.Rope(qIn, h, d, positions, Theta, hfAngles: true), q.ToFloatArray(), 1e-6, what: "q");
        double dk = TestTensors.AssertClose(AttentionReference.Rope(kIn, hkv, d, positions, Theta, hfAngles: true), k.ToFloatArray(), 1e-6, what: "k");
        output.WriteLine($"D={d} T={t}: max |diff| q {dq:g3}, k {dk:g3}");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(128)]
    public void RopeAndStoreKv_SmallPositions_MatchesExactDoubleAngles(int d)
    {
        // Near position 0 the fp32 angle rounding is tiny, so exact double angles check the formula itself
        // (pairing, signs, frequencies) independently of the HF rounding recipe.
        const int t = 16, h = 3;
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(11, new Shape(t, h, d));
        using var k = TestTensors.Random(12, new Shape(t, 1, d));
        using var v = TestTensors.Random(13, new Shape(t, 1, d));
        int[] positions = Identity(t);
        float[] qIn = q.ToFloatArray();

        RunRope(backend, q, k, v, positions, Identity(t), t);

        double diff = TestTensors.AssertClose(AttentionReference.Rope(qIn, h, d, positions, Theta, hfAngles: false), q.ToFloatArray(), 1e-5);
        output.WriteLine($"D={d}: max |diff| vs exact angles {diff:g3}");
    }

    [Fact]
    public void RopeAndStoreKv_PositionZero_IsIdentity()
    {
        const int t = 3, h = 4, hkv = 2, d = 72;
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(21, new Shape(t, h, d));
        using var k = TestTensors.Random(22, new Shape(t, hkv, d));
        using var v = TestTensors.Random(23, new Shape(t, hkv, d));
        float[] qIn = q.ToFloatArray(), kIn = k.ToFloatArray();

        RunRope(backend, q, k, v, new int[t], [-1, -1, -1], t);

        Assert.Equal(qIn, q.ToFloatArray());
        Assert.Equal(kIn, k.ToFloatArray());
    }

    [Fact]
    public void RopeAndStoreKv_AnyPosition_PreservesPairNorms()
    {
        const int t = 9, h = 2, d = 128;
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(31, new Shape(t, h, d), -4f, 4f);
        using var k = TestTensors.Random(32, new Shape(t, 1, d));
        using var v = TestTensors.Random(33, new Shape(t, 1, d));
        float[] before = q.ToFloatArray();

        RunRope(backend, q, k, v, RandomInts(34, t, 0, 32_768), Identity(t), t);

        float[] after = q.ToFloatArray();
        for (int row = 0; row < t * h; row++)
        {
            for (int i = 0; i < d / 2; i++)
            {
                int a = row * d + i, b = a + d / 2;
                double n0 = Math.Sqrt((double)before[a] * before[a] + (double)before[b] * before[b]);
                double n1 = Math.Sqrt((double)after[a] * after[a] + (double)after[b] * after[b]);
                Assert.True(Math.Abs(n1 - n0) <= 1e-6 * Math.Max(1, n0), $"row {row} pair {i}: norm {n0} became {n1}");
            }
        }
    }

    [Fact]
    public void RopeAndStoreKv_ShuffledAndNegativeSlots_StoresRotatedKAndVOnlyThere()
    {
        const int t = 5, h = 2, hkv = 2, d = 8, s = 10;
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(41, new Shape(t, h, d));
        using var k = TestTensors.Random(42, new Shape(t, hkv, d));
        using var v = TestTensors.Random(43, new Shape(t, hkv, d));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        kCache.Span<float>().Fill(7f);
        vCache.Span<float>().Fill(-7f);
        int[] slots = [6, -1, 2, 9, -5];
        using var pos = Tensor.FromArray([5, 6, 7, 8, 9], new Shape(t));
        using var map = Tensor.FromArray(slots, new Shape(t));

        backend.RopeAndStoreKv(q, k, v, pos, map, kCache, vCache, Theta);

        int row = hkv * d;
        float[] kRot = k.ToFloatArray(), vIn = v.ToFloatArray(), kc = kCache.ToFloatArray(), vc = vCache.ToFloatArray();
        var written = new HashSet<int>();
        for (int i = 0; i < t; i++)
        {
            if (slots[i] < 0) continue;
            written.Add(slots[i]);
            Assert.Equal(kRot.AsSpan(i * row, row).ToArray(), kc.AsSpan(slots[i] * row, row).ToArray());
            Assert.Equal(vIn.AsSpan(i * row, row).ToArray(), vc.AsSpan(slots[i] * row, row).ToArray());
        }
        for (int slot = 0; slot < s; slot++)
        {
            if (written.Contains(slot)) continue;
            Assert.All(kc.AsSpan(slot * row, row).ToArray(), x => Assert.Equal(7f, x));
            Assert.All(vc.AsSpan(slot * row, row).ToArray(), x => Assert.Equal(-7f, x));
        }
    }

    [Fact]
    public void RopeAndStoreKv_PositionsInsideAndPastTheTable_SameBitsAsAFreshBackend()
    {
        // The backend caches cos/sin rows up to RopeTable.MaxPositions: a warm table (grown by an earlier call to a
        // far position), a cold one and positions past the table must all rotate to the same bits.
        const int t = 6, h = 4, hkv = 2, d = 16;
        int[] positions = [0, 255, 256, 9_000, RopeTable.MaxPositions - 1, RopeTable.MaxPositions + 17];
        using var q1 = TestTensors.Random(61, new Shape(t, h, d));
        using var k1 = TestTensors.Random(62, new Shape(t, hkv, d));
        using var v = TestTensors.Random(63, new Shape(t, hkv, d));
        using var q2 = TestTensors.Clone(q1);
        using var k2 = TestTensors.Clone(k1);
        float[] qIn = q1.ToFloatArray();

        using (var warm = new CpuBackend(new CpuBackendOptions { Threads = 1 }))
        {
            using var qw = TestTensors.Random(64, new Shape(1, h, d));
            using var kw = TestTensors.Random(65, new Shape(1, hkv, d));
            using var vw = TestTensors.Random(66, new Shape(1, hkv, d));
            RunRope(warm, qw, kw, vw, [20_000], [-1], 1);
            RunRope(warm, q1, k1, v, positions, Identity(t), t);
        }
        using (var cold = new CpuBackend(new CpuBackendOptions { Threads = 1 })) RunRope(cold, q2, k2, v, positions, Identity(t), t);

        Assert.Equal(q1.ToFloatArray(), q2.ToFloatArray());
        Assert.Equal(k1.ToFloatArray(), k2.ToFloatArray());
        TestTensors.AssertClose(AttentionReference.Rope(qIn, h, d, positions, Theta, hfAngles: true), q1.ToFloatArray(), 1e-6, what: "q");
    }

    [Fact]
    public void RopeAndStoreKv_OneOrTwoThreads_GiveIdenticalBits()
    {
        const int t = 257, h = 14, hkv = 2, d = 64;
        using var q1 = TestTensors.Random(51, new Shape(t, h, d));
        using var k1 = TestTensors.Random(52, new Shape(t, hkv, d));
        using var v = TestTensors.Random(53, new Shape(t, hkv, d));
        using var q2 = TestTensors.Clone(q1);
        using var k2 = TestTensors.Clone(k1);
        int[] positions = RandomInts(54, t, 0, 10_000);

        using (var single = new CpuBackend(new CpuBackendOptions { Threads = 1 })) RunRope(single, q1, k1, v, positions, Identity(t), t);
        using (var dual = new CpuBackend(new CpuBackendOptions { Threads = 2 })) RunRope(dual, q2, k2, v, positions, Identity(t), t);

        Assert.Equal(q1.ToFloatArray(), q2.ToFloatArray());
        Assert.Equal(k1.ToFloatArray(), k2.ToFloatArray());
    }

    [Theory]
    [InlineData("odd head dim")]
    [InlineData("negative position")]
    [InlineData("slot past cache")]
    [InlineData("k token count")]
    [InlineData("v shape")]
    [InlineData("positions dtype")]
    [InlineData("cache kv heads")]
    [InlineData("vCache shape")]
    [InlineData("theta")]
    public void RopeAndStoreKv_InvalidArguments_Throw(string problem)
    {
        int d = problem == "odd head dim" ? 7 : 8;
        using var backend = new CpuBackend();
        using var q = Tensor.Cpu(DType.F32, new Shape(3, 4, d));
        using var k = Tensor.Cpu(DType.F32, new Shape(problem == "k token count" ? 2 : 3, 2, d));
        using var v = Tensor.Cpu(DType.F32, new Shape(3, problem == "v shape" ? 1 : 2, d));
        using var pos = problem == "positions dtype"
            ? Tensor.Cpu(DType.F32, new Shape(3))
            : Tensor.FromArray([0, problem == "negative position" ? -1 : 1, 2], new Shape(3));
        using var map = Tensor.FromArray([0, 1, problem == "slot past cache" ? 4 : 2], new Shape(3));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(4, problem == "cache kv heads" ? 1 : 2, d));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(problem == "vCache shape" ? 5 : 4, 2, d));
        float theta = problem == "theta" ? 0f : Theta;

        var e = Assert.ThrowsAny<ArgumentException>(() => backend.RopeAndStoreKv(q, k, v, pos, map, kCache, vCache, theta));
        output.WriteLine($"{problem}: {e.Message}");
    }

    private static void RunRope(CpuBackend backend, Tensor q, Tensor k, Tensor v, int[] positions, int[] slots, int s)
    {
        using var kCache = Tensor.Cpu(DType.F32, new Shape(s, k.Shape[1], k.Shape[2]));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(s, k.Shape[1], k.Shape[2]));
        using var pos = Tensor.FromArray(positions, new Shape(positions.Length));
        using var map = Tensor.FromArray(slots, new Shape(slots.Length));
        backend.RopeAndStoreKv(q, k, v, pos, map, kCache, vCache, Theta);
    }

    private static int[] Identity(int n) => Enumerable.Range(0, n).ToArray();

    private static int[] RandomInts(int seed, int n, int lo, int hi)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(lo, hi)).ToArray();
    }
}
