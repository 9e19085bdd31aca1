// Engine over the real demo model on the CPU: batched greedy output equals the single-sequence Generator, video
// prompts (with DyCoke, each request at its own L), seeds, stop ids, cancellation freeing KV blocks, queue limit, drain.
using Xunit;
using System.Threading.Channels;
using DyCoke.Compression;

namespace DyCoke.Engine.Tests;

public sealed class EngineTests(DemoEngineFixture fixture) : IClassFixture<DemoEngineFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    private static async Task<(List<int> Tokens, TokenEvent Last)> DrainAsync(ChannelReader<TokenEvent> reader)
    {
        var tokens = new List<int>();
        TokenEvent? last = null;
        using var cts = new CancellationTokenSource(s_timeout);
        await foreach (var e in reader.ReadAllAsync(cts.Token))
        {
            if (e is TokenGenerated g) tokens.Add(g.TokenId);
            else last = e;
        }
        return (tokens, last ?? throw new InvalidOperationException("the channel completed without a terminal event"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(s_timeout);
        while (!condition()) await Task.Delay(10, cts.Token);
    }

    [Fact]
    public async Task Submit_ConcurrentGreedyTextRequests_MatchSingleSequenceGeneration()
    {
        using var engine = fixture.CreateEngine();
        var prompts = Enumerable.Range(0, 4).Select(i => DemoEngineFixture.TextIds(i, 5 + 7 * i)).ToArray();
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 6 };
        var readers = prompts.Select((p, i) => engine.Submit(new EngineRequest($"r{i}", p, [], greedy), TestContext.Current.CancellationToken)).ToArray();

        for (int i = 0; i < prompts.Length; i++)
        {
            var (tokens, last) = await DrainAsync(readers[i]);
            Assert.Equal(fixture.Greedy(prompts[i], [], 6), tokens);
            var finished = Assert.IsType<SequenceFinished>(last);
            Assert.Equal(EngineFinishReason.Length, finished.Reason);
            Assert.Equal(prompts[i].Length, finished.PromptTokens);
            Assert.Equal(6, finished.CompletionTokens);
        }
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
        var snapshot = engine.Snapshot();
        Assert.Equal(snapshot.NumBlocks, snapshot.NumFreeBlocks);
    }

    [Fact]
    public async Task Submit_VideoPrompt_MatchesSingleSequenceGeneration()
    {
        using var engine = fixture.CreateEngine();
        var frames = fixture.Frames(2, seed: 11); // owned by the engine once submitted
        using var referenceFrames = fixture.Frames(2, seed: 11);
        var prompt = fixture.VideoPrompt(2, DemoEngineFixture.TextIds(1, 4), DemoEngineFixture.TextIds(2, 3));
        var request = new EngineRequest("video", prompt, [frames], new SamplingParams { Temperature = 0, MaxTokens = 4 });

        var (tokens, last) = await DrainAsync(engine.Submit(request, TestContext.Current.CancellationToken));

        Assert.Equal(fixture.Greedy(prompt, [referenceFrames], 4), tokens);
        Assert.Equal(2 * 196 + 1 + 7, Assert.IsType<SequenceFinished>(last).PromptTokens);
    }

    [Fact]
    public async Task Submit_OneRequestsVideoBreaksItsPrefill_OnlyThatRequestFails()
    {
        using var engine = fixture.CreateEngine();
        var goodFrames = fixture.Frames(2, seed: 21); // owned by the engine once submitted
        using var referenceFrames = fixture.Frames(2, seed: 21);
        var goodPrompt = fixture.VideoPrompt(2, DemoEngineFixture.TextIds(3, 4), DemoEngineFixture.TextIds(4, 3));
        // Three frames behind a prompt laid out for two: its own embedding step rejects it, in the same prefill step.
        var badFrames = fixture.Frames(3, seed: 22);
        var badPrompt = fixture.VideoPrompt(2, DemoEngineFixture.TextIds(5, 4), DemoEngineFixture.TextIds(6, 3));
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 4 };

        var bad = engine.Submit(new EngineRequest("bad", badPrompt, [badFrames], greedy), TestContext.Current.CancellationToken);
        var good = engine.Submit(new EngineRequest("good", goodPrompt, [goodFrames], greedy), TestContext.Current.CancellationToken);

        var (badTokens, badLast) = await DrainAsync(bad);
        Assert.Empty(badTokens);
        Assert.StartsWith("generation failed:", Assert.IsType<SequenceFailed>(badLast).Message);
        var (goodTokens, goodLast) = await DrainAsync(good);
        Assert.Equal(fixture.Greedy(goodPrompt, [referenceFrames], 4), goodTokens);
        Assert.Equal(EngineFinishReason.Length, Assert.IsType<SequenceFinished>(goodLast).Reason);
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
        Assert.True(engine.Snapshot().IsAlive);
    }

    [Theory]
    [InlineData(DyCokeMode.Paper)]
    [InlineData(DyCokeMode.Reference)]
    public async Task Submit_VideoWithDyCokeBesideATextRequest_MatchesTheReferenceGenerator(DyCokeMode mode)
    {
        using var engine = fixture.CreateEngine();
        var dycoke = new DyCokeOptions { Mode = mode, Gate = 0.99 };
        var frames = fixture.Frames(4, seed: 5); // owned by the engine once submitted
        using var referenceFrames = fixture.Frames(4, seed: 5);
        var prompt = fixture.VideoPrompt(4, DemoEngineFixture.TextIds(6, 5), DemoEngineFixture.TextIds(7, 4));
        var text = DemoEngineFixture.TextIds(9, 11);
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 8 };

        var videoReader = engine.Submit(new EngineRequest("video", prompt, [frames], greedy) { DyCoke = dycoke }, TestContext.Current.CancellationToken);
        var textReader = engine.Submit(new EngineRequest("text", text, [], greedy) { DyCoke = dycoke }, TestContext.Current.CancellationToken);
        var (videoTokens, videoLast) = await DrainAsync(videoReader);
        var (textTokens, _) = await DrainAsync(textReader);

        var reference = fixture.Generate(prompt, [referenceFrames], 8, dycoke);
        Assert.Equal(reference.Tokens, videoTokens);
        Assert.Equal(fixture.Greedy(text, [], 8), textTokens);
        var finished = Assert.IsType<SequenceFinished>(videoLast);
        Assert.Equal(reference.PromptTokens, finished.PromptTokens);
        Assert.True(finished.PromptTokens < prompt.Length, "TTM shortens the prompt");
        Assert.NotNull(finished.DyCoke);
        Assert.Equal(reference.DyCoke!.VideoTokensAfter, finished.DyCoke.VideoTokensAfter);
        Assert.Equal(4 * 196, finished.DyCoke.VideoTokensBefore);
        Assert.Equal(reference.DyCoke.PrunedSteps, finished.DyCoke.PrunedSteps);
        Assert.Equal(finished.DyCoke.VideoTokensAfter + 1, finished.VideoTokens);
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
    }

    [Fact]
    public async Task Submit_TwoVideosWithDifferentDyCokeL_DecodeInOneBatchAndEachMatchesItsReference()
    {
        int maxDecodeBatch = 0;
        using var engine = new Engine(new ModelRunner(fixture.Model, 4096), new EngineOptions
        {
            StepObserver = s => maxDecodeBatch = Math.Max(maxDecodeBatch, s.DecodeSequences),
        });
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 8 };
        // The demo model has 4 layers: one request prunes from layer 1 (scores at 0), the other from layer 3.
        int[] firstPruned = [1, 3];
        var prompts = new int[2][];
        var readers = new ChannelReader<TokenEvent>[2];
        for (int i = 0; i < 2; i++)
        {
            prompts[i] = fixture.VideoPrompt(2, DemoEngineFixture.TextIds(30 + i, 5), DemoEngineFixture.TextIds(40 + i, 4));
            var dycoke = new DyCokeOptions { L = firstPruned[i] };
            readers[i] = engine.Submit(new EngineRequest($"video-l{firstPruned[i]}", prompts[i], [fixture.Frames(2, seed: 50 + i)], greedy) { DyCoke = dycoke },
                TestContext.Current.CancellationToken);
        }

        for (int i = 0; i < 2; i++)
        {
            var (tokens, last) = await DrainAsync(readers[i]);
            using var referenceFrames = fixture.Frames(2, seed: 50 + i);
            var reference = fixture.Generate(prompts[i], [referenceFrames], 8, new DyCokeOptions { L = firstPruned[i] });
            Assert.Equal(reference.Tokens, tokens);
            var finished = Assert.IsType<SequenceFinished>(last);
            Assert.Equal(reference.DyCoke!.PrunedSteps, finished.DyCoke!.PrunedSteps);
            Assert.True(finished.DyCoke.PrunedSteps > 0, $"the L = {firstPruned[i]} request pruned");
        }
        Assert.Equal(2, maxDecodeBatch); // both decoded in the same steps, each with its own L
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
    }

    [Fact]
    public void Submit_DyCokeLayerNotBelowTheModelsLayerCount_ThrowsArgumentException()
    {
        using var engine = fixture.CreateEngine();
        int layers = fixture.Model.Config.Text.NumHiddenLayers;
        var prompt = fixture.VideoPrompt(1, [1], [2]);
        var request = new EngineRequest("l", prompt, [fixture.Frames(1, 1)], new SamplingParams()) { DyCoke = new DyCokeOptions { L = layers } };
        var e = Assert.Throws<ArgumentException>(() => engine.Submit(request, TestContext.Current.CancellationToken));
        Assert.Contains($"[1, {layers - 1}]", e.Message);
        request.Videos[0].Dispose();
    }

    [Fact]
    public async Task Submit_SameSeed_GivesTheSameSampledTokens()
    {
        using var engine = fixture.CreateEngine();
        var prompt = DemoEngineFixture.TextIds(5, 9);
        var sampling = new SamplingParams { Temperature = 1.2f, TopP = 0.95f, Seed = 1234, MaxTokens = 12 };
        var a = await DrainAsync(engine.Submit(new EngineRequest("a", prompt, [], sampling), TestContext.Current.CancellationToken));
        var b = await DrainAsync(engine.Submit(new EngineRequest("b", prompt, [], sampling), TestContext.Current.CancellationToken));
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(12, a.Tokens.Count);
    }

    [Fact]
    public async Task Submit_StopTokenId_EndsWithStopAndWithholdsTheToken()
    {
        using var engine = fixture.CreateEngine();
        var prompt = DemoEngineFixture.TextIds(8, 6);
        var reference = fixture.Greedy(prompt, [], 5);
        var request = new EngineRequest("stop", prompt, [], new SamplingParams { Temperature = 0, MaxTokens = 5, StopTokenIds = [reference[2]] });

        var (tokens, last) = await DrainAsync(engine.Submit(request, TestContext.Current.CancellationToken));

        int firstStop = Array.IndexOf(reference, reference[2]);
        Assert.Equal(reference[..firstStop], tokens);
        var finished = Assert.IsType<SequenceFinished>(last);
        Assert.Equal(EngineFinishReason.Stop, finished.Reason);
        Assert.Equal(reference[2], finished.StopTokenId);
        Assert.Equal(firstStop + 1, finished.CompletionTokens);
    }

    [Fact]
    public async Task Submit_CancelledMidStream_FreesEveryBlock()
    {
        using var engine = fixture.CreateEngine();
        using var cts = new CancellationTokenSource();
        var request = new EngineRequest("cancel", DemoEngineFixture.TextIds(3, 8), [], new SamplingParams { Temperature = 0, MaxTokens = 2000 });
        var reader = engine.Submit(request, cts.Token);
        Assert.IsType<TokenGenerated>(await reader.ReadAsync(TestContext.Current.CancellationToken));
        // The snapshot is republished at the top of the next step, so it may lag the first token for a moment.
        await WaitUntilAsync(() => engine.Snapshot() is { NumUsedBlocks: > 0, NumRunning: 1 });

        cts.Cancel();
        var (_, last) = await DrainAsync(reader);

        Assert.Equal(EngineFinishReason.Cancelled, Assert.IsType<SequenceFinished>(last).Reason);
        await WaitUntilAsync(() => engine.Snapshot() is { NumUsedBlocks: 0, NumRunning: 0, NumWaiting: 0 });
    }

    [Fact]
    public async Task Submit_SmallPoolWithoutReservation_PreemptsAndStillMatchesGreedy()
    {
        // 6 blocks of 4 slots: two 8-token prompts growing to 14 tokens cannot both stay resident.
        using var engine = fixture.CreateEngine(numSlots: 24, new SchedulerOptions { BlockSize = 4, ReserveFullOutput = false });
        var prompts = new[] { DemoEngineFixture.TextIds(20, 8), DemoEngineFixture.TextIds(21, 8) };
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 6 };
        var readers = prompts.Select((p, i) => engine.Submit(new EngineRequest($"p{i}", p, [], greedy), TestContext.Current.CancellationToken)).ToArray();

        for (int i = 0; i < 2; i++)
            Assert.Equal(fixture.Greedy(prompts[i], [], 6), (await DrainAsync(readers[i])).Tokens);
        Assert.True(engine.Snapshot().NumPreemptions > 0);
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
    }

    [Fact]
    public void Submit_LongerThanTheKvPool_ThrowsArgumentException()
    {
        using var engine = fixture.CreateEngine(numSlots: 64);
        var request = new EngineRequest("long", DemoEngineFixture.TextIds(1, 60), [], new SamplingParams { MaxTokens = 10 });
        Assert.Throws<ArgumentException>(() => engine.Submit(request, TestContext.Current.CancellationToken));
    }

    // The pool holds the post-TTM prompt + max_tokens while the video decodes, not the pre-TTM reservation.
    [Fact]
    public async Task Submit_VideoWithDyCoke_ReservationShrinksToThePostTtmPrompt()
    {
        const int maxTokens = 3000;
        using var engine = fixture.CreateEngine(numSlots: 8192);
        var dycoke = new DyCokeOptions();
        var frames = fixture.Frames(4, seed: 21); // owned by the engine once submitted
        using var referenceFrames = fixture.Frames(4, seed: 21);
        var prompt = fixture.VideoPrompt(4, DemoEngineFixture.TextIds(3, 5), DemoEngineFixture.TextIds(4, 4));
        int postTtm = fixture.Generate(prompt, [referenceFrames], 1, dycoke).PromptTokens;
        int blockSize = new SchedulerOptions().BlockSize;
        int expected = (postTtm + maxTokens + blockSize - 1) / blockSize;
        Assert.True(expected < (prompt.Length + maxTokens + blockSize - 1) / blockSize, "TTM must shorten the prompt for this test to mean anything");

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var reader = engine.Submit(new EngineRequest("video", prompt, [frames], new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true })
        {
            DyCoke = dycoke,
        }, cancel.Token);
        Assert.IsType<TokenGenerated>(await reader.ReadAsync(TestContext.Current.CancellationToken));
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == expected);
        cancel.Cancel();
        await WaitUntilAsync(() => engine.Snapshot().NumUsedBlocks == 0);
    }

    // prompt + int.MaxValue wraps to a negative int: the check must not let it through to the scheduler.
    [Fact]
    public void Submit_MaxTokensNearIntMax_ThrowsArgumentExceptionWithoutOverflow()
    {
        using var engine = fixture.CreateEngine(numSlots: 64);
        var request = new EngineRequest("huge", DemoEngineFixture.TextIds(1, 8), [], new SamplingParams { MaxTokens = int.MaxValue });
        var e = Assert.Throws<ArgumentException>(() => engine.Submit(request, TestContext.Current.CancellationToken));
        Assert.Contains("exceeds the maximum length", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Snapshot().NumUsedBlocks);
    }

    [Fact]
    public async Task StopAsync_Draining_RefusesNewWorkAndCutsInFlightStreams()
    {
        using var engine = fixture.CreateEngine();
        var reader = engine.Submit(new EngineRequest("long", DemoEngineFixture.TextIds(4, 8), [], new SamplingParams { Temperature = 0, MaxTokens = 3000 }),
            TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);

        await engine.StopAsync(TimeSpan.FromMilliseconds(50));

        var (_, last) = await DrainAsync(reader);
        Assert.Equal(EngineFinishReason.Aborted, Assert.IsType<SequenceFinished>(last).Reason);
        Assert.Throws<EngineOverloadedException>(() =>
            engine.Submit(new EngineRequest("late", [1, 2], [], new SamplingParams()), TestContext.Current.CancellationToken));
        Assert.False(engine.Snapshot().IsAlive);
    }
}
