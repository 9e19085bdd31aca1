// Chunked prefill with the demo model on the CPU: a tiny token budget (many chunks, frames encoded one per step) gives
// the same greedy tokens as a large one, DyCoke included; and, counted in steps of the scheduler and runner, a running
// stream gets a token in every step while a long video prompt is encoded and prefilled beside it.
using System.Threading.Channels;
using DyCoke.Compression;
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class ChunkedPrefillEngineTests(DemoEngineFixture fixture) : IClassFixture<DemoEngineFixture>
{
    [Fact]
    public async Task Submit_TinyTokenBudget_SameGreedyTokensAsLargeBudget()
    {
        var small = await RunMixAsync(new SchedulerOptions { TokenBudget = 32 });
        var large = await RunMixAsync(new SchedulerOptions());

        Assert.Equal(large.Count, small.Count);
        for (int i = 0; i < large.Count; i++) Assert.Equal(large[i], small[i]);
        Assert.All(large, tokens => Assert.Equal(8, tokens.Count));
    }

    [Fact]
    public void Step_LongVideoPromptBesideARunningStream_StreamDecodesEveryStep()
    {
        // The engine's step (decode, then prefill work, greedy sampling) driven by hand so that steps can be counted.
        using var runner = new ModelRunner(fixture.Model, 2048);
        var options = new SchedulerOptions { TokenBudget = 48, BlockSize = 16 };
        var pool = new KvCachePool(runner.NumSlots / options.BlockSize, options.BlockSize);
        var scheduler = new Scheduler(pool, options, fixture.Model.Config.TokensPerFrame);
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 200 };
        var stream = new Sequence(1, new EngineRequest("stream", DemoEngineFixture.TextIds(3, 20), [], greedy), options.BlockSize);
        scheduler.Add(stream);
        Step(runner, scheduler);
        Assert.True(stream.IsPrefilled);

        var prompt = fixture.VideoPrompt(3, DemoEngineFixture.TextIds(4, 6), DemoEngineFixture.TextIds(5, 200));
        using var frames = fixture.Frames(3, seed: 7);
        var video = new Sequence(2, new EngineRequest("video", prompt, [frames], greedy with { MaxTokens = 3 }), options.BlockSize);
        scheduler.Add(video);
        int steps = 0;
        while (!video.IsPrefilled)
        {
            int before = stream.OutputIds.Count;
            var planned = Step(runner, scheduler);
            Assert.Equal([stream], planned.Decodes);
            Assert.Equal(before + 1, stream.OutputIds.Count);
            steps++;
        }

        // 3 frames alone (each costs 196 > 47), then the 3·196 + 1 + 206 prompt in chunks of 47.
        Assert.Equal(3 + (prompt.Length + 46) / 47, steps);
        Assert.Equal(1 + steps, stream.OutputIds.Count);
        Assert.Equal(fixture.Greedy(prompt, [frames], 1), video.OutputIds);
        scheduler.Finish(stream);
        scheduler.Finish(video);
        Assert.Equal(0, pool.NumUsedBlocks);
    }

    // Engine.Step's order: decodes first, then the prefill work; only sequences whose prefill ended are sampled.
    private static ScheduledStep Step(ModelRunner runner, Scheduler scheduler)
    {
        var step = scheduler.Schedule();
        if (step.Decodes.Count > 0) AppendArgMax(step.Decodes, runner.Decode(step.Decodes), runner.VocabSize);
        if (step.Prefills.Count > 0)
        {
            var result = runner.Prefill(step.Prefills);
            AppendArgMax(result.Completed, result.Logits, runner.VocabSize);
        }
        return step;
    }

    private static void AppendArgMax(IReadOnlyList<Sequence> batch, ReadOnlyMemory<float> logits, int vocab)
    {
        for (int b = 0; b < batch.Count; b++)
        {
            var row = logits.Span.Slice(b * vocab, vocab);
            int best = 0;
            for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
            batch[b].AppendToken(best);
        }
    }

    // Two videos (one with DyCoke) and two text prompts, one longer than the tiny budget, all at once.
    private async Task<List<List<int>>> RunMixAsync(SchedulerOptions scheduler)
    {
        using var engine = fixture.CreateEngine(scheduler: scheduler);
        var greedy = new SamplingParams { Temperature = 0, MaxTokens = 8 };
        var requests = new[]
        {
            new EngineRequest("video", fixture.VideoPrompt(2, DemoEngineFixture.TextIds(1, 4), DemoEngineFixture.TextIds(2, 3)), [fixture.Frames(2, seed: 3)], greedy),
            new EngineRequest("long", DemoEngineFixture.TextIds(4, 150), [], greedy),
            new EngineRequest("dycoke", fixture.VideoPrompt(4, DemoEngineFixture.TextIds(5, 5), DemoEngineFixture.TextIds(6, 4)), [fixture.Frames(4, seed: 7)], greedy)
            {
                DyCoke = new DyCokeOptions { Gate = 0.99 },
            },
            new EngineRequest("short", DemoEngineFixture.TextIds(8, 9), [], greedy),
        };
        var readers = requests.Select(r => engine.Submit(r, TestContext.Current.CancellationToken)).ToArray();
        var outputs = new List<List<int>>();
        foreach (var reader in readers) outputs.Add(await TokensAsync(reader));
        return outputs;
    }

    private static async Task<List<int>> TokensAsync(ChannelReader<TokenEvent> reader)
    {
        var tokens = new List<int>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await foreach (var e in reader.ReadAllAsync(cts.Token))
        {
            if (e is TokenGenerated g) tokens.Add(g.TokenId);
            else Assert.IsType<SequenceFinished>(e);
        }
        return tokens;
    }
}
