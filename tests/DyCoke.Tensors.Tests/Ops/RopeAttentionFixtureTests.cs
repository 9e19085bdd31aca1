// Checks RoPE, prefill and decode attention against PyTorch outputs recorded in tests/fixtures/rope_attention_small.json
// (written by tools/reference/make_attention_fixture.py: HF Qwen2-style RoPE, torch scaled-dot-product attention).
using System.Text.Json;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class RopeAttentionFixtureTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData("gqa2_d16")]
    [InlineData("gqa7_d64_far")]
    [InlineData("mha_d8")]
    public void RopeAndAttention_TorchFixtureCase_MatchWithin1e5(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "rope_attention_small.json")));
        JsonElement root = document.RootElement;
        JsonElement c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int t = c.GetProperty("T").GetInt32(), h = c.GetProperty("H").GetInt32(), hkv = c.GetProperty("Hkv").GetInt32(), d = c.GetProperty("D").GetInt32();
        float theta = (float)root.GetProperty("theta").GetDouble();
        float scale = 1f / MathF.Sqrt(d);

        using var backend = new CpuBackend();
        using var q = Tensor.FromArray(Floats(c, "q"), new Shape(t, h, d));
        using var k = Tensor.FromArray(Floats(c, "k"), new Shape(t, hkv, d));
        using var v = Tensor.FromArray(Floats(c, "v"), new Shape(t, hkv, d));
        using var positions = Tensor.FromArray(c.GetProperty("positions").EnumerateArray().Select(p => p.GetInt32()).ToArray(), new Shape(t));
        int[] slots = Enumerable.Range(0, t).Reverse().ToArray();
        using var slotMapping = Tensor.FromArray(slots, new Shape(t));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(t, hkv, d));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(t, hkv, d));

        backend.RopeAndStoreKv(q, k, v, positions, slotMapping, kCache, vCache, theta);
        double dq = TestTensors.AssertClose(Floats(c, "q_rot"), q.ToFloatArray(), Tolerance, what: "q_rot");
        double dk = TestTensors.AssertClose(Floats(c, "k_rot"), k.ToFloatArray(), Tolerance, what: "k_rot");

        using var cuSeqLens = Tensor.FromArray([0, t], new Shape(2));
        using var causalOut = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        using var fullOut = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        backend.AttentionPrefill(q, k, v, cuSeqLens, causal: true, scale, causalOut);
        backend.AttentionPrefill(q, k, v, cuSeqLens, causal: false, scale, fullOut);
        float[] expectedCausal = Floats(c, "out_causal");
        double dc = TestTensors.AssertClose(expectedCausal, causalOut.ToFloatArray(), Tolerance, what: "out_causal");
        double df = TestTensors.AssertClose(Floats(c, "out_full"), fullOut.ToFloatArray(), Tolerance, what: "out_full");

        // Decode the last token over the cache; its slots are listed in token order so meanProbs lines up with torch.
        using var lastQ = q.Rows(t - 1, 1);
        using var indptr = Tensor.FromArray([0, t], new Shape(2));
        using var decode = Tensor.Cpu(DType.F32, new Shape(1, h, d));
        using var meanProbs = Tensor.Cpu(DType.F32, new Shape(t));
        backend.AttentionDecode(lastQ, kCache, vCache, indptr, slotMapping, scale, decode, meanProbs);
        double dd = TestTensors.AssertClose(expectedCausal.AsSpan((t - 1) * h * d, h * d), decode.ToFloatArray(), Tolerance, what: "decode");
        double dm = TestTensors.AssertClose(Floats(c, "last_mean_probs"), meanProbs.ToFloatArray(), Tolerance, what: "meanProbs");

        output.WriteLine($"{name} (torch {root.GetProperty("torch_version").GetString()}): max |diff| q_rot {dq:g3}, k_rot {dk:g3}, " +
            $"causal {dc:g3}, full {df:g3}, decode {dd:g3}, meanProbs {dm:g3}");
    }

    private static float[] Floats(JsonElement c, string property) =>
        c.GetProperty(property).EnumerateArray().Select(x => x.GetSingle()).ToArray();
}
