// DyCokeKvLists in a real decode step of the demo model: a batch mixing a DP sequence and a plain one, or DP sequences
// with different L, equals each run alone, list by list and logit by logit; layers ≥ L get prefix ∪ kept ∪ suffix; and
// attention over those lists equals a naive attention over the full cache with the pruned rows masked to −inf (§12).
using DyCoke.Compression;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Compression;

public sealed class DyCokeKvListsTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>, IDisposable
{
    private readonly List<DyCokeKvLists> _lists = [];
    private const int LengthA = 48, LengthB = 30, SlotBaseB = 100, SpanStart = 3, SpanLength = 40;
    private static readonly DyCokeOptions s_options = new() { P = 0.5, L = 3 };

    [Fact]
    public void Decode_MixedBatch_EachSequenceEqualsItsRunAlone()
    {
        using var cache = Prefill();
        int[] slotsA = [.. Enumerable.Range(0, LengthA + 1)], slotsB = [.. Enumerable.Range(SlotBaseB, LengthB + 1)];

        float[] mixed = Step(cache, [7, 9], [LengthA, LengthB], [LengthA, SlotBaseB + LengthB],
            [new(slotsA, NewPruning()), new(slotsB, null)], out var lists);
        float[] aloneA = Step(cache, [7], [LengthA], [LengthA], [new(slotsA, NewPruning())], out _);
        float[] aloneB = Step(cache, [9], [LengthB], [SlotBaseB + LengthB], [new(slotsB, null)], out _);
        float[] unprunedA = Step(cache, [7], [LengthA], [LengthA], [new(slotsA, null)], out _);

        int v = demo.Model.Config.Text.VocabSize;
        ModelAssert.Close(aloneA, mixed.AsSpan(0, v), 1e-5, "DP sequence in the batch vs alone");
        ModelAssert.Close(aloneB, mixed.AsSpan(v, v), 1e-5, "plain sequence in the batch vs alone");
        Assert.NotEqual(unprunedA, aloneA); // layer 3 really attended to fewer rows
        Assert.True(lists.Steps[0] is { Pruned: true, KeptSpanIndices.Length: 20 });
        Assert.Null(lists.Steps[1]);
    }

    [Fact]
    public void ListsFor_LayersFromL_ArePrefixKeptSuffixAndAttentionEqualsMaskedOracle()
    {
        using var cache = Prefill();
        int[] slotsA = [.. Enumerable.Range(0, LengthA + 1)], slotsB = [.. Enumerable.Range(SlotBaseB, LengthB + 1)];
        Step(cache, [7, 9], [LengthA, LengthB], [LengthA, SlotBaseB + LengthB], [new(slotsA, NewPruning()), new(slotsB, null)], out var lists);

        var (indptrTensor, indicesTensor) = lists.ListsFor(s_options.L); // [3], [nnz']
        int[] indptr = indptrTensor.Span<int>().ToArray(), indices = indicesTensor.Span<int>().ToArray();
        int[] kept = lists.Steps[0]!.KeptSpanIndices!;
        int[] expectedA = [.. Enumerable.Range(0, SpanStart), .. kept.Select(i => SpanStart + i), .. Enumerable.Range(SpanStart + SpanLength, LengthA + 1 - SpanStart - SpanLength)];
        Assert.Equal(expectedA, indices[indptr[0]..indptr[1]]);
        Assert.Equal(slotsB, indices[indptr[1]..indptr[2]]);
        Assert.Equal(slotsA.Length + slotsB.Length, lists.ListsFor(s_options.L - 1).Indices.NumElements); // layers < L see everything

        // Oracle: a random query against layer L's real cache; the kernel over the pruned lists vs a naive softmax over
        // every slot of the sequence with the pruned rows at −inf.
        var config = demo.Model.Config.Text;
        int h = config.NumAttentionHeads, hkv = config.NumKeyValueHeads, d = config.HeadDim;
        var rng = new Random(5);
        using var q = Tensor.Cpu(DType.F32, new Shape(2, h, d)); // [B, H, D]
        foreach (ref float x in q.Span<float>()) x = (float)rng.NextDouble() * 2 - 1;
        using var output = Tensor.Cpu(DType.F32, new Shape(2, h, d)); // [B, H, D]
        float scale = 1f / MathF.Sqrt(d);
        demo.Backend.AttentionDecode(q, cache.Keys(s_options.L), cache.Values(s_options.L), indptrTensor, indicesTensor, scale, output, null);

        float[] k = cache.Keys(s_options.L).ToFloatArray(), v = cache.Values(s_options.L).ToFloatArray(); // [S, Hkv, D]
        float[] qs = q.ToFloatArray(), expected = new float[2 * h * d]; // [B, H, D]
        int[][] full = [slotsA, slotsB];
        var attended = new HashSet<int>[] { [.. indices[indptr[0]..indptr[1]]], [.. indices[indptr[1]..indptr[2]]] };
        for (int b = 0; b < 2; b++)
            for (int head = 0; head < h; head++)
            {
                int kvHead = head / (h / hkv);
                var scores = new double[full[b].Length];
                for (int j = 0; j < scores.Length; j++)
                {
                    int slot = full[b][j];
                    double dot = 0;
                    for (int e = 0; e < d; e++) dot += qs[(b * h + head) * d + e] * k[(slot * hkv + kvHead) * d + e];
                    scores[j] = attended[b].Contains(slot) ? dot * scale : double.NegativeInfinity;
                }
                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int j = 0; j < scores.Length; j++)
                {
                    double p = Math.Exp(scores[j] - max) / sum;
                    for (int e = 0; e < d; e++) expected[(b * h + head) * d + e] += (float)(p * v[(full[b][j] * hkv + kvHead) * d + e]);
                }
            }
        ModelAssert.Close(expected, output.ToFloatArray(), 1e-5, "slot-list attention vs masked naive attention");
    }

    [Fact]
    public void OnScores_SixDpSequencesInOneBatch_EachEqualsItsRunAlone()
    {
        using var cache = Prefill();
        int[] slotsA = [.. Enumerable.Range(0, LengthA + 1)];
        var alone = NewPruning();
        var batched = Enumerable.Range(0, 6).Select(_ => NewPruning()).ToArray();
        int[] tokens = [.. Enumerable.Repeat(7, 6)], positions = [.. Enumerable.Repeat(LengthA, 6)];
        // Two steps: the first selects; the second has v_prev from the first, so it runs the gate too.
        for (int step = 0; step < 2; step++)
        {
            float[] together = Step(cache, tokens, positions, positions, [.. batched.Select(p => new DyCokeSequence(slotsA, p))], out var lists);
            float[] single = Step(cache, [7], [LengthA], [LengthA], [new(slotsA, alone)], out var aloneLists);
            var expected = aloneLists.Steps[0]!;
            Assert.Equal(step == 0, expected.Reselected);
            int v = demo.Model.Config.Text.VocabSize;
            for (int b = 0; b < 6; b++)
            {
                var decided = lists.Steps[b]!;
                // The batch's GEMMs sum in another order than one row's, so the scores (and their cosine) may differ in the last bits.
                Assert.Equal(expected.Similarity, decided.Similarity, 1e-9);
                Assert.Equal(expected.Reselected, decided.Reselected);
                Assert.Equal(expected.KeptSpanIndices, decided.KeptSpanIndices);
                Assert.Equal(ListOf(aloneLists, s_options.L, 0), ListOf(lists, s_options.L, b));
                ModelAssert.Close(single, together.AsSpan(b * v, v), 1e-5, $"step {step}, sequence {b} vs alone");
            }
        }
    }

    [Fact]
    public void OnScores_DecisionsRunInTheBackgroundOnACopy_EachEqualsItsOwnDecision()
    {
        // 8 × 3,000 visual tokens, so the decisions on the backend's worker are still running when OnScores returns and
        // the caller overwrites the score buffer, as the model may as soon as OnScores returns.
        const int b = 8, prefix = 14, span = 3000, length = prefix + span + 40;
        using var backend = new DyCoke.Tensors.Cpu.CpuBackend(new DyCoke.Tensors.Cpu.CpuBackendOptions { Threads = 2 });
        var rng = new Random(11);
        var sequences = Enumerable.Range(0, b).Select(i => new DyCokeSequence(Enumerable.Range(i * length, length).ToArray(), new DynamicKvPruning(s_options, prefix, span))).ToArray();
        var references = Enumerable.Range(0, b).Select(_ => new DynamicKvPruning(s_options, prefix, span)).ToArray();
        for (int step = 0; step < 3; step++)
        {
            float[] probs = Enumerable.Range(0, b * length).Select(_ => (float)rng.NextDouble()).ToArray(); // [B·len]
            using var meanProbs = Tensor.FromArray(probs, new Shape(probs.Length));
            using var lists = DyCokeKvLists.Create(backend, sequences);
            lists.OnScores(s_options.L - 1, meanProbs);
            meanProbs.Span<float>().Fill(float.NaN);
            for (int i = 0; i < b; i++)
            {
                var expected = references[i].Decide(probs.AsSpan(i * length + prefix, span));
                var decided = lists.Steps[i]!;
                Assert.Equal(expected.Similarity, decided.Similarity);
                Assert.Equal(expected.KeptSpanIndices, decided.KeptSpanIndices);
                Assert.Equal(references[i].AttendedSlots(expected, sequences[i].Slots.Span), ListOf(lists, s_options.L, i));
            }
        }
    }

    [Fact]
    public void ListsFor_PrunedLayerBeforeScores_Throws()
    {
        using var lists = DyCokeKvLists.Create(demo.Backend, [new DyCokeSequence(Enumerable.Range(0, LengthA + 1).ToArray(), NewPruning())]);

        Assert.True(lists.WantsScores(s_options.L - 1));
        Assert.False(lists.WantsScores(s_options.L));
        Assert.Throws<InvalidOperationException>(() => lists.ListsFor(s_options.L));
    }

    [Fact]
    public void OnScores_LayerNoSequenceScoresAt_ThrowsArgumentException()
    {
        using var lists = DyCokeKvLists.Create(demo.Backend, [new DyCokeSequence(Enumerable.Range(0, LengthA + 1).ToArray(), NewPruning())]);
        using var probs = Tensor.Cpu(DType.F32, new Shape(LengthA + 1)); // [nnz]
        var e = Assert.Throws<ArgumentException>(() => lists.OnScores(s_options.L, probs));
        Assert.Contains($"layer {s_options.L}", e.Message);
    }

    [Fact]
    public void Decode_DifferentLInOneBatch_EachSequenceGetsTheListsAndLogitsOfItsRunAlone()
    {
        // Sequences 0..2 prune from layers 1, 2 and 3 of the 4-layer demo model; sequence 3 has no DP state.
        int[] firstPruned = [1, 2, 3, 0];
        const int Length = 48, SlotStride = 64;
        int n = firstPruned.Length;
        using var cache = demo.Model.LanguageModel.CreateKvCache(n * SlotStride);
        PrefillAt(cache, Length, SlotStride, n);
        int[][] slots = [.. Enumerable.Range(0, n).Select(b => Enumerable.Range(b * SlotStride, Length + 1).ToArray())];
        DyCokeSequence Sequence(int b) => new(slots[b], firstPruned[b] == 0 ? null : new DynamicKvPruning(s_options with { L = firstPruned[b] }, SpanStart, SpanLength));
        int[] Tokens(int[] bs) => [.. bs.Select(b => 7 + b)];
        int[] Positions(int[] bs) => [.. bs.Select(_ => Length)];
        int[] NewSlots(int[] bs) => [.. bs.Select(b => b * SlotStride + Length)];
        int[] all = [.. Enumerable.Range(0, n)];

        float[] mixed = Step(cache, Tokens(all), Positions(all), NewSlots(all), [.. all.Select(Sequence)], out var lists);

        int layers = demo.Model.Config.Text.NumHiddenLayers, v = demo.Model.Config.Text.VocabSize;
        Assert.Equal([true, true, true, false], Enumerable.Range(0, layers).Select(lists.WantsScores));
        for (int b = 0; b < n; b++)
        {
            float[] alone = Step(cache, Tokens([b]), Positions([b]), NewSlots([b]), [Sequence(b)], out var aloneLists);
            ModelAssert.Close(alone, mixed.AsSpan(b * v, v), 1e-5, $"sequence {b} (L {firstPruned[b]}) in the batch vs alone");
            for (int layer = 0; layer < layers; layer++)
                Assert.Equal(ListOf(aloneLists, layer, 0), ListOf(lists, layer, b));
            if (firstPruned[b] == 0)
            {
                Assert.Null(lists.Steps[b]);
                continue;
            }
            Assert.True(lists.Steps[b] is { Pruned: true, KeptSpanIndices.Length: 20 }, $"sequence {b} pruned");
            Assert.Equal(aloneLists.Steps[0]!.KeptSpanIndices, lists.Steps[b]!.KeptSpanIndices);
            // Below its L the sequence attends to every slot; from L on, 20 of the 40 span slots are gone.
            Assert.Equal(slots[b], ListOf(lists, firstPruned[b] - 1, b));
            Assert.Equal(slots[b].Length - 20, ListOf(lists, firstPruned[b], b).Length);
        }
    }

    [Fact]
    public void ListsFor_LayersBetweenTwoL_ShareOneUploadedPair()
    {
        int[] slotsA = [.. Enumerable.Range(0, LengthA + 1)], slotsB = [.. Enumerable.Range(SlotBaseB, LengthB + 1)];
        using var lists = DyCokeKvLists.Create(demo.Backend,
            [new(slotsA, new DynamicKvPruning(s_options with { L = 1 }, SpanStart, SpanLength)), new(slotsB, null)]);
        Assert.Throws<InvalidOperationException>(() => lists.ListsFor(1)); // layer 0's scores first
        using var probs = Tensor.Cpu(DType.F32, new Shape(slotsA.Length + slotsB.Length)); // [nnz]
        probs.Span<float>().Fill(1f / slotsA.Length);
        lists.OnScores(0, probs);

        Assert.NotSame(lists.ListsFor(0).Indices, lists.ListsFor(1).Indices);
        Assert.Same(lists.ListsFor(1).Indices, lists.ListsFor(3).Indices);
        Assert.Same(lists.ListsFor(1).Indptr, lists.ListsFor(3).Indptr);
        Assert.Throws<InvalidOperationException>(() => lists.OnScores(0, probs)); // a step decides once
    }

    [Fact]
    public void Create_SpanReachingTheNewToken_Throws()
    {
        var pruning = new DynamicKvPruning(s_options, 2, 10);
        var e = Assert.Throws<ArgumentException>(() => DyCokeKvLists.Create(demo.Backend, [new DyCokeSequence(Enumerable.Range(0, 12).ToArray(), pruning)]));
        Assert.Contains("does not end before the new token", e.Message);
    }

    // Prefills text prompt A at slots 0..47 and B at 100..129 in one batch; the cache has room for one decode step each.
    private KvCache Prefill()
    {
        var model = demo.Model;
        int[] a = DemoModelFixture.TextIds(21, LengthA), b = DemoModelFixture.TextIds(22, LengthB);
        var cache = model.LanguageModel.CreateKvCache(SlotBaseB + LengthB + 1);
        using var embeds = model.EmbedPrompt([.. a, .. b], []); // [78, C]
        int[] positions = [.. Enumerable.Range(0, LengthA), .. Enumerable.Range(0, LengthB)];
        int[] slots = [.. Enumerable.Range(0, LengthA), .. Enumerable.Range(SlotBaseB, LengthB)];
        using var batch = PrefillBatch.Create(demo.Backend, [LengthA, LengthB], positions, slots);
        using var logits = model.LanguageModel.Prefill(embeds, batch, cache); // [2, V]
        return cache;
    }

    // Prefills n text prompts of the given length, prompt b at slots b·stride + [0, length).
    private void PrefillAt(KvCache cache, int length, int stride, int n)
    {
        var model = demo.Model;
        int[] ids = [.. Enumerable.Range(0, n).SelectMany(b => DemoModelFixture.TextIds(31 + b, length))];
        using var embeds = model.EmbedPrompt(ids, []); // [n·length, C]
        int[] positions = [.. Enumerable.Range(0, n).SelectMany(_ => Enumerable.Range(0, length))];
        int[] slots = [.. Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(b * stride, length))];
        using var batch = PrefillBatch.Create(demo.Backend, [.. Enumerable.Repeat(length, n)], positions, slots);
        using var logits = model.LanguageModel.Prefill(embeds, batch, cache); // [n, V]
    }

    // Sequence b's slot list at one layer, read back from the uploaded CSR pair.
    private static int[] ListOf(DyCokeKvLists lists, int layer, int b)
    {
        var (indptr, indices) = lists.ListsFor(layer); // [B + 1], [nnz]
        var offsets = indptr.Span<int>();
        return indices.Span<int>()[offsets[b]..offsets[b + 1]].ToArray();
    }

    // The text positions [3, 43) stand in for a visual span: DP only needs positions.
    private static DynamicKvPruning NewPruning() => new(s_options, SpanStart, SpanLength);

    private float[] Step(KvCache cache, int[] tokens, int[] positions, int[] slots, DyCokeSequence[] sequences, out DyCokeKvLists lists)
    {
        using var batch = DecodeBatch.Create(demo.Backend, tokens, positions, slots);
        lists = DyCokeKvLists.Create(demo.Backend, sequences);
        _lists.Add(lists);
        using var logits = demo.Model.LanguageModel.Decode(batch, cache, lists); // [B, V]
        return logits.ToFloatArray();
    }

    public void Dispose()
    {
        foreach (var lists in _lists) lists.Dispose();
    }
}
