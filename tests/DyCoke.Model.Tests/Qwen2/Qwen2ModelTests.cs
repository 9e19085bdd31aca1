// Self-consistency of the Qwen2 prefill and decode paths on the demo checkpoint (no reference needed): decode against
// a longer prefill, batched against separate runs, slot addressing, and the DyCoke decode seam.
using System.Reflection;
using System.Runtime.ExceptionServices;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Qwen2;

public sealed class Qwen2ModelTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private const double Tolerance = 1e-4;

    private Qwen2Model Lm => demo.Model.LanguageModel;

    private IBackend Backend => demo.Backend;

    [Fact]
    public void Decode_AfterPrefill_EqualsLastRowOfLongerPrefill()
    {
        int[] ids = DemoModelFixture.TextIds(1, 20);
        using var cache = Lm.CreateKvCache(32);
        Prefill(cache, [ids[..19]], [Range(0, 19)]);
        float[] decoded = Decode(cache, [ids[19]], [19], [19], [Range(0, 20)]);

        using var longCache = Lm.CreateKvCache(32);
        float[] prefilled = Prefill(longCache, [ids], [Range(0, 20)]);

        ModelAssert.Close(prefilled, decoded, Tolerance, "decode vs prefill logits");
    }

    [Fact]
    public void Prefill_TwoSequencesBatched_EqualsSeparatePrefillsAndCacheRows()
    {
        int[] a = DemoModelFixture.TextIds(2, 13), b = DemoModelFixture.TextIds(3, 7);
        using var batched = Lm.CreateKvCache(128);
        float[] both = Prefill(batched, [a, b], [Range(0, 13), Range(100, 7)]);

        using var cacheA = Lm.CreateKvCache(16);
        using var cacheB = Lm.CreateKvCache(16);
        float[] alone = [.. Prefill(cacheA, [a], [Range(0, 13)]), .. Prefill(cacheB, [b], [Range(0, 7)])];

        ModelAssert.Close(alone, both, Tolerance, "batched vs separate prefill logits");
        for (int layer = 0; layer < Lm.Config.NumHiddenLayers; layer++)
        {
            ModelAssert.Close(Rows(cacheB.Keys(layer), 0, 7), Rows(batched.Keys(layer), 100, 7), Tolerance, $"layer {layer} K of sequence b");
            ModelAssert.Close(Rows(cacheB.Values(layer), 0, 7), Rows(batched.Values(layer), 100, 7), Tolerance, $"layer {layer} V of sequence b");
        }
    }

    [Fact]
    public void Decode_BatchOfTwo_EqualsSeparateDecodes()
    {
        int[] a = DemoModelFixture.TextIds(4, 11), b = DemoModelFixture.TextIds(5, 5);
        using var batched = Lm.CreateKvCache(64);
        Prefill(batched, [a, b], [Range(0, 11), Range(32, 5)]);
        float[] both = Decode(batched, [17, 23], [11, 5], [11, 37], [Range(0, 12), Range(32, 6)]);

        using var cacheA = Lm.CreateKvCache(16);
        Prefill(cacheA, [a], [Range(0, 11)]);
        float[] aloneA = Decode(cacheA, [17], [11], [11], [Range(0, 12)]);
        using var cacheB = Lm.CreateKvCache(16);
        Prefill(cacheB, [b], [Range(0, 5)]);
        float[] aloneB = Decode(cacheB, [23], [5], [5], [Range(0, 6)]);

        ModelAssert.Close([.. aloneA, .. aloneB], both, Tolerance, "batched vs separate decode logits");
    }

    [Fact]
    public void Decode_ShuffledNonContiguousSlots_SameLogitsAsContiguous()
    {
        int[] ids = DemoModelFixture.TextIds(6, 17);
        using var contiguous = Lm.CreateKvCache(32);
        Prefill(contiguous, [ids[..16]], [Range(0, 16)]);
        float[] expected = Decode(contiguous, [ids[16]], [16], [16], [Range(0, 17)]);

        // 17 distinct slots scattered over a 200-slot pool in random order; the list is read in yet another order.
        var rng = new Random(7);
        int[] slots = Enumerable.Range(0, 200).OrderBy(_ => rng.Next()).Take(17).ToArray();
        using var scattered = Lm.CreateKvCache(200);
        Prefill(scattered, [ids[..16]], [slots[..16]]);
        int[] list = slots.OrderBy(_ => rng.Next()).ToArray();
        float[] actual = Decode(scattered, [ids[16]], [16], [slots[16]], [list]);

        ModelAssert.Close(expected, actual, Tolerance, "scattered vs contiguous slots");
    }

    [Fact]
    public void Decode_ScoreLayers_HandEachLayersMeanProbsToOnScoresBeforeTheNextLayerAsksForLists()
    {
        int[] a = DemoModelFixture.TextIds(8, 9), b = DemoModelFixture.TextIds(9, 4);
        using var cache = Lm.CreateKvCache(32);
        Prefill(cache, [a, b], [Range(0, 9), Range(16, 4)]);
        using var lists = new RecordingKvLists(Backend, [Range(0, 10), Range(16, 5)], scoreLayers: [0, 2]);
        using var batch = DecodeBatch.Create(Backend, [1, 2], [9, 4], [9, 20]);
        using var logits = Lm.Decode(batch, cache, lists);

        Assert.Equal(["lists 0", "scores 0", "lists 1", "lists 2", "scores 2", "lists 3"], lists.Events);
        Assert.Equal([0, 2], lists.Scores.Keys.Order());
        foreach (var scores in lists.Scores.Values)
        {
            Assert.Equal(15, scores.Length); // nnz = 10 + 5
            Assert.Equal(1.0, scores[..10].Sum(), 5);
            Assert.Equal(1.0, scores[10..].Sum(), 5);
            Assert.All(scores, p => Assert.InRange(p, 0f, 1f));
        }
        Assert.NotEqual(lists.Scores[0], lists.Scores[2]); // each layer's own attention, not one buffer twice
    }

    [Fact]
    public void Decode_ListsAreAskedForRightBeforeTheAttentionOpScoresHandedOverRightAfterItAndLayersShareBuffers()
    {
        // What OnScores starts (DyCoke's decisions) runs beside every op between the scoring layer's attention and the
        // next layer's: o_proj and the MLP of the one, the norm, projections and RoPE of the other.
        var events = new List<string>();
        using var logged = new LoggedModel(demo.Directory, events);
        var (model, cache) = (logged.Model, logged.Cache);
        var lm = model.LanguageModel;
        using var lists = new RecordingKvLists(model.Backend, [Range(0, 10)], scoreLayers: [1], events);
        using var batch = DecodeBatch.Create(model.Backend, [3], [9], [9]);
        events.Clear();
        lm.Decode(batch, cache, lists).Dispose();

        // The layers share one set of intermediates per step: from one attention op to the next, nothing is allocated
        // but layer 1's score buffer (uninitialized: the op writes every entry) and layer 2's zeroed attention output
        // (it was seven more buffers per layer).
        int first = events.IndexOf("lists 1"), second = events.IndexOf("lists 2");
        Assert.Equal(1, events[first..second].Count(e => e == "AllocateUninitialized"));
        Assert.Equal(1, events[first..second].Count(e => e == "Allocate"));
        events.RemoveAll(e => e.StartsWith("Allocate", StringComparison.Ordinal));

        int asked = events.IndexOf("lists 2"), scored = events.IndexOf("scores 1");
        Assert.Equal(["lists 1", "AttentionDecode", "scores 1", "Linear"], events[(events.IndexOf("lists 1"))..(scored + 2)]);
        Assert.Equal(["RopeAndStoreKv", "lists 2", "AttentionDecode"], events[(asked - 1)..(asked + 2)]);
        // Between the two: o_proj, gate, up, down of layer 1 and q, k, v of layer 2.
        Assert.Equal(7, events[scored..asked].Count(e => e == "Linear"));
    }

    [Fact]
    public void Decode_StepsOfTheSameBatchSizeReuseTheLayerIntermediatesUntilReleased()
    {
        var events = new List<string>();
        using var logged = new LoggedModel(demo.Directory, events);
        var (model, cache) = (logged.Model, logged.Cache);
        var lm = model.LanguageModel;
        int Step(int[] tokens, int[] slots, int[][] lists)
        {
            using var batch = DecodeBatch.Create(model.Backend, tokens, [.. tokens.Select(_ => 9)], slots);
            using var kvLists = FullKvLists.Create(model.Backend, lists);
            events.Clear();
            var logits = lm.Decode(batch, cache, kvLists);
            float[] values = logits.ToFloatArray();
            logits.Dispose();
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            return events.Count(e => e == "AllocateUninitialized");
        }

        int first = Step([3], [9], [Range(0, 10)]);
        int second = Step([4], [9], [Range(0, 10)]);
        int wider = Step([3, 4], [9, 10], [Range(0, 10), [.. Range(0, 9), 10]]);
        int widerAgain = Step([3, 4], [9, 10], [Range(0, 10), [.. Range(0, 9), 10]]);
        lm.ReleaseDecodeBuffers();
        int afterRelease = Step([3, 4], [9, 10], [Range(0, 10), [.. Range(0, 9), 10]]);

        // Seven intermediates shared by the layers (LayerBuffers): made by the first step of a batch size only, and
        // again after they were released.
        Assert.Equal(first - 7, second);
        Assert.Equal(first, wider);
        Assert.Equal(first - 7, widerAgain);
        Assert.Equal(first, afterRelease);
    }

    [Fact]
    public void Prefill_EmbedsOfTheWrongLength_Throws()
    {
        using var cache = Lm.CreateKvCache(8);
        using var batch = PrefillBatch.Create(Backend, [4], Range(0, 4), Range(0, 4));
        using var embeds = Backend.Allocate(Lm.ActivationDType, new Shape(3, Lm.Config.HiddenSize)); // [3, C]
        var e = Assert.Throws<ArgumentException>(() => Lm.Prefill(embeds, batch, cache));
        Assert.Contains("inputsEmbeds", e.Message);
    }

    [Fact]
    public void KvCache_Pools_HaveSlotHeadDimShapeAndCountedBytes()
    {
        using var cache = Lm.CreateKvCache(10);
        var c = Lm.Config;
        Assert.Equal(new Shape(10, c.NumKeyValueHeads, c.HeadDim), cache.Keys(c.NumHiddenLayers - 1).Shape);
        Assert.Equal(new Shape(10, c.NumKeyValueHeads, c.HeadDim), cache.Values(0).Shape);
        Assert.Equal(2L * c.NumHiddenLayers * 10 * c.NumKeyValueHeads * c.HeadDim * 4, cache.ByteCount);
    }

    private static int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();

    // The demo model on a CPU backend that logs every op into events, with a CacheWithPrompt cache; owns all three.
    private sealed class LoggedModel : IDisposable
    {
        private readonly DyCoke.Tensors.Cpu.CpuBackend _inner = new();

        public LoggedModel(string directory, List<string> events)
        {
            Model = LlavaOnevisionModel.Load(directory, OpLoggingBackend.Wrap(_inner, events));
            Cache = CacheWithPrompt(Model);
        }

        public LlavaOnevisionModel Model { get; }

        public KvCache Cache { get; }

        public void Dispose()
        {
            Cache.Dispose();
            Model.Dispose();
            _inner.Dispose();
        }
    }

    // A 16-slot cache of the model holding a 9-token text prompt in slots 0..8 (the caller disposes it).
    private static KvCache CacheWithPrompt(LlavaOnevisionModel model)
    {
        var cache = model.LanguageModel.CreateKvCache(16);
        using (var embeds = model.EmbedPrompt(DemoModelFixture.TextIds(5, 9), []))
        using (var prefill = PrefillBatch.Create(model.Backend, [9], Range(0, 9), Range(0, 9)))
            model.LanguageModel.Prefill(embeds, prefill, cache).Dispose();
        return cache;
    }

    private static float[] Rows(Tensor pool, int start, int count) => pool.Rows(start, count).ToFloatArray();

    // Prefills the sequences (positions from 0) into the given slots; returns the [B, V] logits flattened.
    private float[] Prefill(KvCache cache, int[][] sequences, int[][] slots)
    {
        int[] ids = sequences.SelectMany(s => s).ToArray();
        int[] positions = sequences.SelectMany(s => Range(0, s.Length)).ToArray();
        using var embeds = demo.Model.EmbedPrompt(ids, []); // [T, C]
        using var batch = PrefillBatch.Create(Backend, sequences.Select(s => s.Length).ToArray(), positions, slots.SelectMany(s => s).ToArray());
        using var logits = Lm.Prefill(embeds, batch, cache); // [B, V]
        Assert.Equal(new Shape(sequences.Length, Lm.Config.VocabSize), logits.Shape);
        return logits.ToFloatArray();
    }

    private float[] Decode(KvCache cache, int[] tokens, int[] positions, int[] slots, int[][] lists)
    {
        using var batch = DecodeBatch.Create(Backend, tokens, positions, slots);
        using var kvLists = FullKvLists.Create(Backend, lists);
        using var logits = Lm.Decode(batch, cache, kvLists); // [B, V]
        return logits.ToFloatArray();
    }

    /// <summary>Full lists at every layer; records the order of the model's calls and the scores it hands over.</summary>
    private sealed class RecordingKvLists(IBackend backend, int[][] lists, int[] scoreLayers, List<string>? events = null) : IDecodeKvLists, IDisposable
    {
        private readonly FullKvLists _full = FullKvLists.Create(backend, lists);

        public List<string> Events { get; } = events ?? [];

        public Dictionary<int, float[]> Scores { get; } = [];

        public bool WantsScores(int layerIndex) => scoreLayers.Contains(layerIndex);

        public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex)
        {
            Events.Add($"lists {layerIndex}");
            return _full.ListsFor(layerIndex);
        }

        public void OnScores(int layerIndex, Tensor meanProbs)
        {
            Events.Add($"scores {layerIndex}");
            Scores.Add(layerIndex, meanProbs.ToFloatArray());
        }

        public void Dispose() => _full.Dispose();
    }
}

/// <summary>Forwards every <see cref="IBackend"/> call and logs the names of its methods (ops and allocations, not
/// properties) into a list shared with the test's other recorders.</summary>
public class OpLoggingBackend : DispatchProxy
{
    private IBackend _inner = null!;
    private List<string> _log = null!;

    public static IBackend Wrap(IBackend inner, List<string> log)
    {
        var proxy = Create<IBackend, OpLoggingBackend>();
        ((OpLoggingBackend)(object)proxy)._inner = inner;
        ((OpLoggingBackend)(object)proxy)._log = log;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (!method!.Name.StartsWith("get_", StringComparison.Ordinal)) _log.Add(method.Name);
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
