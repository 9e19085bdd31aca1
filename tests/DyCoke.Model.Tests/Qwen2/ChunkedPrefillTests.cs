// Chunked prefill on the demo checkpoint: a prompt prefilled in chunks (each attending to the prefix already cached)
// gives the logits and KV cache of one whole prefill, and decode afterwards matches; chunks of two sequences batched
// together equal separate runs; the chunk/context consistency checks of PrefillBatch.CreateChunked.
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Qwen2;

public sealed class ChunkedPrefillTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private const double Tolerance = 1e-6; // measured ≤ 2e-7: only the M = 1 GEMV rounds differently
    private const int PromptLength = 150;

    private Qwen2Model Lm => demo.Model.LanguageModel;

    private IBackend Backend => demo.Backend;

    [Theory]
    [InlineData(new[] { 1, 7, 64 })]  // the rest (78) comes last
    [InlineData(new[] { 1 })]         // one token, then everything else over a 1-token prefix
    [InlineData(new[] { 64, 64 })]    // chunk edges on query-tile edges
    [InlineData(new[] { 149 })]       // a last chunk of one token
    public void Prefill_InChunks_SameLogitsCacheAndNextDecodeAsWhole(int[] leading)
    {
        int[] ids = DemoModelFixture.TextIds(31, PromptLength);
        int[] slots = ShuffledSlots(32, PromptLength + 1, 400);
        using var wholeCache = Lm.CreateKvCache(400);
        float[] whole = PrefillWhole(wholeCache, ids, slots[..PromptLength]);

        int[] chunks = [.. leading, PromptLength - leading.Sum()];
        using var chunkedCache = Lm.CreateKvCache(400);
        float[] last = [];
        int done = 0;
        foreach (int n in chunks)
        {
            last = PrefillChunks(chunkedCache, [ids[done..(done + n)]], [done], [slots[..(done + n)]]);
            done += n;
        }

        ModelAssert.Close(whole, last, Tolerance, $"chunks {string.Join('+', chunks)}: last-token logits");
        for (int layer = 0; layer < Lm.Config.NumHiddenLayers; layer++)
        {
            ModelAssert.Close(CacheRows(wholeCache.Keys(layer), slots[..PromptLength]), CacheRows(chunkedCache.Keys(layer), slots[..PromptLength]), Tolerance, $"layer {layer} K");
            ModelAssert.Close(CacheRows(wholeCache.Values(layer), slots[..PromptLength]), CacheRows(chunkedCache.Values(layer), slots[..PromptLength]), Tolerance, $"layer {layer} V");
        }
        float[] decodedWhole = Decode(wholeCache, 17, PromptLength, slots);
        float[] decodedChunked = Decode(chunkedCache, 17, PromptLength, slots);
        ModelAssert.Close(decodedWhole, decodedChunked, Tolerance, "decode after the prefill");
    }

    [Fact]
    public void Prefill_ChunksOfTwoSequencesBatched_EqualSeparateChunks()
    {
        // Sequence a continues after a 40-token prefix; sequence b starts fresh: one batch mixes both kinds.
        int[] a = DemoModelFixture.TextIds(33, 70), b = DemoModelFixture.TextIds(34, 25);
        int[] slotsA = ShuffledSlots(35, 70, 300), slotsB = Enumerable.Range(300, 25).ToArray();
        using var batched = Lm.CreateKvCache(400);
        PrefillChunks(batched, [a[..40]], [0], [slotsA[..40]]);
        float[] both = PrefillChunks(batched, [a[40..], b], [40, 0], [slotsA, slotsB]);

        using var aloneCache = Lm.CreateKvCache(400);
        PrefillChunks(aloneCache, [a[..40]], [0], [slotsA[..40]]);
        float[] aloneA = PrefillChunks(aloneCache, [a[40..]], [40], [slotsA]);
        float[] aloneB = PrefillWhole(aloneCache, b, slotsB);

        ModelAssert.Close([.. aloneA, .. aloneB], both, Tolerance, "batched vs separate chunk logits");
    }

    [Theory]
    [InlineData("context shorter than chunk")]
    [InlineData("position not at the tail")]
    [InlineData("slot not the context's tail")]
    [InlineData("missing context list")]
    public void CreateChunked_InconsistentChunkAndContext_Throws(string problem)
    {
        int[] positions = problem == "position not at the tail" ? [2, 4] : [3, 4];
        int[] slots = problem == "slot not the context's tail" ? [13, 15] : [13, 14];
        int[][] contexts = problem switch
        {
            "context shorter than chunk" => [[14]],
            "missing context list" => [],
            _ => [[10, 11, 12, 13, 14]],
        };
        var e = Assert.Throws<ArgumentException>(() => PrefillBatch.CreateChunked(Backend, [2], positions, slots, contexts));
        Assert.Equal("contextSlots", e.ParamName);
    }

    private float[] PrefillWhole(KvCache cache, int[] ids, int[] slots)
    {
        using var embeds = demo.Model.EmbedPrompt(ids, []); // [T, C]
        using var batch = PrefillBatch.Create(Backend, [ids.Length], Enumerable.Range(0, ids.Length).ToArray(), slots);
        using var logits = Lm.Prefill(embeds, batch, cache); // [1, V]
        return logits.ToFloatArray();
    }

    // Chunk b holds chunks[b] at positions starts[b].., attending to contexts[b][..(start + n)]; returns [B·V] logits.
    private float[] PrefillChunks(KvCache cache, int[][] chunks, int[] starts, int[][] contexts)
    {
        var positions = new List<int>();
        var slotMapping = new List<int>();
        var lists = new int[chunks.Length][];
        for (int b = 0; b < chunks.Length; b++)
        {
            int end = starts[b] + chunks[b].Length;
            lists[b] = contexts[b][..end];
            for (int p = starts[b]; p < end; p++)
            {
                positions.Add(p);
                slotMapping.Add(lists[b][p]);
            }
        }
        using var embeds = demo.Model.EmbedPrompt(chunks.SelectMany(c => c).ToArray(), []); // [T, C]
        using var batch = PrefillBatch.CreateChunked(Backend, chunks.Select(c => c.Length).ToArray(), positions.ToArray(), slotMapping.ToArray(), lists);
        Assert.True(batch.IsChunked);
        using var logits = Lm.Prefill(embeds, batch, cache); // [B, V]
        return logits.ToFloatArray();
    }

    private float[] Decode(KvCache cache, int token, int position, int[] slots)
    {
        using var batch = DecodeBatch.Create(Backend, [token], [position], [slots[position]]);
        using var lists = FullKvLists.Create(Backend, [slots[..(position + 1)]]);
        using var logits = Lm.Decode(batch, cache, lists); // [1, V]
        return logits.ToFloatArray();
    }

    private static float[] CacheRows(Tensor pool, int[] slots) => slots.SelectMany(s => pool.Rows(s, 1).ToFloatArray()).ToArray();

    private static int[] ShuffledSlots(int seed, int count, int poolSize)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, poolSize).OrderBy(_ => rng.Next()).Take(count).ToArray();
    }
}
