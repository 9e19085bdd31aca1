// DP per sequence: span and keep counts per mode (spec §12), the first step always prunes, the gate (Reference runs a
// stable step unpruned, Paper reuses the selection), recall of a pruned token, the attended layout, and the stats.
using DyCoke.Compression;
using Xunit;

namespace DyCoke.Compression.Tests;

public sealed class DynamicKvPruningTests
{
    [Fact]
    public void Constructor_ReferenceTemplateAtK07_SpanAndKeepMatchSpec()
    {
        // 14 template tokens, 3098 TTM tokens, then the newline and the question.
        var reference = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference }, 14, 3098);
        var referenceP08 = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference, P = 0.8 }, 14, 3098);
        var paper = new DynamicKvPruning(new DyCokeOptions(), 14, 3098);

        Assert.Equal((14, 3097, 929), (reference.SpanStart, reference.SpanLength, reference.KeepCount));
        Assert.Equal(619, referenceP08.KeepCount);
        Assert.Equal((3098, 929), (paper.SpanLength, paper.KeepCount));
    }

    [Theory]
    [InlineData(DyCokeMode.Paper)]
    [InlineData(DyCokeMode.Reference)]
    public void Decide_FirstStep_SelectsTopKAscending(DyCokeMode mode)
    {
        var dp = new DynamicKvPruning(new DyCokeOptions { Mode = mode, P = 0.5 }, 2, 9); // Reference span 8, Paper 9: keep 4
        float[] v = mode == DyCokeMode.Reference ? [0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.05f, 0.6f] : [0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.05f, 0.6f, 0.01f];

        var step = dp.Decide(v);

        Assert.True(step.Pruned && step.Reselected);
        Assert.True(double.IsNaN(step.Similarity));
        Assert.Equal(new[] { 1, 3, 5, 7 }, step.KeptSpanIndices);
        Assert.Equal(4 + (9 - dp.SpanLength), step.AttendedVisualTokens);
    }

    [Fact]
    public void Decide_StableAttention_ReferenceRunsUnprunedPaperReuses()
    {
        float[] v1 = [0.1f, 0.9f, 0.2f, 0.8f], v2 = [0.12f, 0.88f, 0.21f, 0.79f]; // cosine ≈ 0.9998
        var reference = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference, P = 0.5 }, 0, 5);
        var paper = new DynamicKvPruning(new DyCokeOptions { P = 0.5 }, 0, 4);
        reference.Decide(v1);
        paper.Decide(v1);

        var r = reference.Decide(v2);
        var p = paper.Decide(v2);

        Assert.False(r.Pruned);
        Assert.Null(r.KeptSpanIndices);
        Assert.Equal(5, r.AttendedVisualTokens);
        Assert.True(p.Pruned);
        Assert.False(p.Reselected);
        Assert.Equal(new[] { 1, 3 }, p.KeptSpanIndices);
        Assert.Equal((2, 1, 1), (paper.Stats.PrunedSteps, paper.Stats.ReselectedSteps, paper.Stats.ReusedSteps));
        Assert.Equal((1, 1, 0), (reference.Stats.PrunedSteps, reference.Stats.ReselectedSteps, reference.Stats.ReusedSteps));
    }

    [Fact]
    public void Decide_AttentionShifts_RecallsAPreviouslyPrunedToken()
    {
        var dp = new DynamicKvPruning(new DyCokeOptions { P = 0.5 }, 0, 4);
        Assert.Equal(new[] { 1, 3 }, dp.Decide([0.1f, 0.9f, 0.2f, 0.8f]).KeptSpanIndices);

        var step = dp.Decide([0.9f, 0.1f, 0.8f, 0.2f]); // cosine ≈ 0.29 < 0.9

        Assert.True(step.Reselected);
        Assert.Equal(new[] { 0, 2 }, step.KeptSpanIndices);
        Assert.Equal(2, dp.Stats.ReselectedSteps);
        Assert.Equal(2.0, dp.Stats.MeanKeptVisualTokens);
    }

    [Fact]
    public void AttendedPositions_Pruned_IsPrefixKeptAndSuffixUpToTheNewToken()
    {
        var dp = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference, P = 0.5 }, 3, 5); // span [3, 7)
        var step = dp.Decide([0.4f, 0.1f, 0.3f, 0.2f]);

        Assert.Equal([0, 1, 2, 3, 5, 7, 8, 9, 10], dp.AttendedPositions(step, 10));
    }

    [Fact]
    public void AttendedSlots_Pruned_MapsTheAttendedPositionsThroughTheSlotList()
    {
        var dp = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference, P = 0.5 }, 3, 5); // span [3, 7)
        var step = dp.Decide([0.4f, 0.1f, 0.3f, 0.2f]);
        int[] slots = [40, 41, 42, 90, 91, 92, 93, 17, 60, 61, 5]; // positions 0..10, scattered over the cache

        Assert.Equal([40, 41, 42, 90, 92, 17, 60, 61, 5], dp.AttendedSlots(step, slots));
        Assert.Equal(dp.AttendedPositions(step, 10).Select(p => slots[p]), dp.AttendedSlots(step, slots));
        Assert.Throws<ArgumentOutOfRangeException>(() => dp.AttendedSlots(step, slots.AsSpan(0, 6)));
    }

    [Fact]
    public void AttendedPositions_Unpruned_IsEveryPosition()
    {
        var dp = new DynamicKvPruning(new DyCokeOptions { Mode = DyCokeMode.Reference, P = 0.5 }, 1, 3);
        dp.Decide([0.1f, 0.9f]);
        var step = dp.Decide([0.1f, 0.9f]);

        Assert.Equal(Enumerable.Range(0, 7), dp.AttendedPositions(step, 6));
    }

    [Fact]
    public void Decide_WrongLength_Throws()
    {
        var dp = new DynamicKvPruning(new DyCokeOptions(), 0, 4);
        var e = Assert.Throws<ArgumentException>(() => dp.Decide(new float[3]));
        Assert.Contains("span length 4", e.Message);
    }

    [Fact]
    public void Stats_RecordMerge_SumsVideos()
    {
        var stats = new DyCokeStats();
        stats.RecordMerge(6272, 3098);
        stats.RecordMerge(784, 446);

        Assert.Equal((7056, 3544), (stats.VideoTokensBefore, stats.VideoTokensAfter));
        Assert.Throws<ArgumentOutOfRangeException>(() => stats.RecordMerge(10, 11));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(450)]
    [InlineData(6273)]
    public void Cosine_AnyLength_MatchesAScalarDoubleSum(int n)
    {
        var rng = new Random(n);
        float[] a = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() / n).ToArray();
        float[] b = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() / n).ToArray();
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < n; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        Assert.Equal(dot / (Math.Sqrt(na) * Math.Sqrt(nb)), DynamicKvPruning.Cosine(a, b), 1e-12);
        Assert.Equal(1.0, DynamicKvPruning.Cosine(a, a), 1e-12);
        Assert.Equal(0.0, DynamicKvPruning.Cosine(new float[n], b)); // a zero vector: no division by zero
    }
}
