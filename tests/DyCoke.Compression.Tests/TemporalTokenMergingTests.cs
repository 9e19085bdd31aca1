// TTM against the spec's test vectors (dycoke-algorithm.md §12) and each mode's window, ordering and frame-count rules,
// with similarities synthesised per pair so the expected survivors are known.
using DyCoke.Compression;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Compression.Tests;

public sealed class TemporalTokenMergingTests
{
    private const int N = 196;

    [Theory]
    [InlineData(0.7, 58, 3098)]
    [InlineData(0.5, 98, 4018)]
    [InlineData(0.3, 137, 4915)]
    public void SelectRows_F32Reference_KeepsSpecCountsPerFrame(double k, int keep, int total)
    {
        int[] perFrame = KeptPerFrame(32, new DyCokeOptions { K = k, Mode = DyCokeMode.Reference });

        int[] expected = [.. Enumerable.Range(0, 7).SelectMany(_ => new[] { N, keep, keep, keep }), N, keep, N, keep];
        Assert.Equal(expected, perFrame);
        Assert.Equal(total, perFrame.Sum());
    }

    [Theory]
    [InlineData(0.7, 58)]
    [InlineData(0.5, 98)]
    [InlineData(0.3, 137)]
    public void SelectRows_F32Paper_PrunesEveryWindowIncludingTheLast(double k, int keep)
    {
        int[] perFrame = KeptPerFrame(32, new DyCokeOptions { K = k });

        Assert.Equal(Enumerable.Range(0, 8).SelectMany(_ => new[] { N, keep, keep, keep }), perFrame);
        Assert.Equal(8 * N + 24 * keep, perFrame.Sum());
    }

    [Theory]
    [InlineData(DyCokeMode.Paper, 1, new[] { N })]
    [InlineData(DyCokeMode.Reference, 1, new[] { N })]
    [InlineData(DyCokeMode.Paper, 2, new[] { N, 58 })]
    [InlineData(DyCokeMode.Reference, 2, new[] { N, 58 })]
    [InlineData(DyCokeMode.Paper, 3, new[] { N, 58, 58 })]
    [InlineData(DyCokeMode.Reference, 3, new[] { N, 58 })]
    [InlineData(DyCokeMode.Paper, 4, new[] { N, 58, 58, 58 })]
    [InlineData(DyCokeMode.Reference, 4, new[] { N, 58, N, 58 })]
    [InlineData(DyCokeMode.Paper, 5, new[] { N, 58, 58, 58, N })]
    [InlineData(DyCokeMode.Reference, 5, new[] { N, 58, 58, 58 })]
    [InlineData(DyCokeMode.Paper, 7, new[] { N, 58, 58, 58, N, 58, 58 })]
    [InlineData(DyCokeMode.Reference, 7, new[] { N, 58, 58, 58, N, 58 })]
    public void SelectRows_FewOrOddFrames_FollowTheMode(DyCokeMode mode, int frames, int[] expected) =>
        Assert.Equal(expected, KeptPerFrame(frames, new DyCokeOptions { Mode = mode }));

    [Fact]
    public void Plan_Reference_ComparesWPlus3WithTheOriginalWPlus2AndSkipsPassBOfTheLastWindow()
    {
        var (pairs, outputFrames) = TemporalTokenMerging.Plan(8, DyCokeMode.Reference);

        Assert.Equal(8, outputFrames);
        Assert.Equal([new(1, 0), new(3, 2), new(5, 4), new(7, 6), new(2, 0)], pairs);
    }

    [Fact]
    public void SelectRows_Reference_SurvivorsInAscendingSimilarityTiesByIndex()
    {
        var options = new DyCokeOptions { K = 1.0 - 4.5 / N, Mode = DyCokeMode.Reference }; // keeps floor(4.5) = 4 per pruned frame
        Assert.Equal(4, options.KeptPerPrunedFrame(N));
        float[] s = Enumerable.Repeat(1f, N).ToArray();
        (s[50], s[7], s[120], s[3]) = (-0.5f, 0.1f, 0.1f, 0.3f);

        int[] rows = TemporalTokenMerging.SelectRows(2, N, options, _ => s);

        Assert.Equal([.. Enumerable.Range(0, N), N + 50, N + 7, N + 120, N + 3], rows);
    }

    [Fact]
    public void SelectRows_Paper_SurvivorsInSpatialOrder()
    {
        var options = new DyCokeOptions { K = 1.0 - 4.5 / N };
        float[] s = Enumerable.Repeat(1f, N).ToArray();
        (s[50], s[7], s[120], s[3]) = (-0.5f, 0.1f, 0.1f, 0.3f);

        int[] rows = TemporalTokenMerging.SelectRows(2, N, options, _ => s);

        Assert.Equal([.. Enumerable.Range(0, N), N + 3, N + 7, N + 50, N + 120], rows);
    }

    [Fact]
    public void Merge_OnCpu_KeepsTheTokensThatChangedAndGathersThem()
    {
        // Frame 1 equals frame 0 except tokens 5 and 9, which point elsewhere: with 2 kept, those two survive.
        const int c = 8;
        using var backend = new CpuBackend();
        using var video = Tensor.Cpu(DType.F32, new Shape(2 * N, c)); // [F·N, C]
        var v = video.Span<float>();
        var rng = new Random(3);
        for (int n = 0; n < N; n++)
            for (int j = 0; j < c; j++) v[n * c + j] = v[(N + n) * c + j] = (float)rng.NextDouble() + 0.5f;
        foreach (int n in new[] { 9, 5 })
            for (int j = 0; j < c; j++) v[(N + n) * c + j] = j % 2 == 0 ? -1f : 1f;
        var options = new DyCokeOptions { K = 1.0 - 2.5 / N };

        var result = TemporalTokenMerging.Merge(backend, video, N, options);
        using var tokens = result.Tokens; // [198, C]

        Assert.Equal([.. Enumerable.Range(0, N), N + 5, N + 9], result.KeptRows);
        Assert.Equal(new Shape(N + 2, c), tokens.Shape);
        float[] got = tokens.ToFloatArray(), all = video.ToFloatArray();
        for (int i = 0; i < result.KeptRows.Length; i++)
            Assert.Equal(all.AsSpan(result.KeptRows[i] * c, c).ToArray(), got.AsSpan(i * c, c).ToArray());
    }

    [Fact]
    public void SelectRows_WrongSimilarityLength_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => TemporalTokenMerging.SelectRows(2, N, DyCokeOptions.Default, _ => new float[N - 1]));
        Assert.Contains("expected 196", e.Message);
    }

    // Kept rows counted per source frame, frames in output order (rows must be frame-major).
    private static int[] KeptPerFrame(int frames, DyCokeOptions options)
    {
        var rng = new Random(frames);
        int[] rows = TemporalTokenMerging.SelectRows(frames, N, options,
            _ => Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray());
        Assert.True(rows.Select(r => r / N).Zip(rows.Skip(1).Select(r => r / N)).All(p => p.First <= p.Second), "rows are not frame-major");
        return rows.GroupBy(r => r / N).Select(g => g.Count()).ToArray();
    }
}
