// Greedy decode batches take their ids from the backend's argmax (ModelRunner.DecodeArgMax) instead of reading B·V
// logits back: the ids equal the host sampler's first maximum at every DyCoke step, and the engine picks that path only
// when every sequence of the batch is greedy without penalties.
using System.Reflection;
using System.Threading.Channels;
using DyCoke.Compression;
using DyCoke.Model.Demo;
using DyCoke.Model.Llava;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class ArgMaxDecodeTests(DemoEngineFixture fixture) : IClassFixture<DemoEngineFixture>
{
    [Fact]
    public void DecodeArgMax_TwoVideoSequencesWithDyCoke_EqualsTheFirstMaximumOfTheLogitsAtEveryStep()
    {
        using var logitsRunner = new ModelRunner(fixture.Model, 2048, kvCacheDType: DType.F32);
        using var argMaxRunner = new ModelRunner(fixture.Model, 2048, kvCacheDType: DType.F32);
        using var frames = fixture.Frames(2, seed: 7);
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 10 };
        var options = new SchedulerOptions { BlockSize = 16 };
        int[][] prompts = [fixture.VideoPrompt(2, DemoEngineFixture.TextIds(3, 5), DemoEngineFixture.TextIds(4, 7)),
            fixture.VideoPrompt(2, DemoEngineFixture.TextIds(5, 9), DemoEngineFixture.TextIds(6, 4))];
        var (a, schedulerA) = Start(logitsRunner, prompts, frames, sampling, options);
        var (b, schedulerB) = Start(argMaxRunner, prompts, frames, sampling, options);
        PrefillAll(logitsRunner, schedulerA, a);
        PrefillAll(argMaxRunner, schedulerB, b);

        int v = logitsRunner.VocabSize, compared = 0;
        for (int step = 0; step < 8; step++)
        {
            var decodesA = schedulerA.Schedule().Decodes;
            var decodesB = schedulerB.Schedule().Decodes;
            Assert.Equal(2, decodesA.Count);
            float[] logits = logitsRunner.Decode(decodesA).ToArray(); // [2·V]
            int[] ids = argMaxRunner.DecodeArgMax(decodesB).ToArray(); // [2]
            for (int i = 0; i < 2; i++)
            {
                int expected = Array.IndexOf(logits, logits.AsSpan(i * v, v).ToArray().Max(), i * v) - i * v;
                Assert.Equal(expected, ids[i]);
                decodesA[i].AppendToken(expected);
                decodesB[i].AppendToken(ids[i]);
                compared++;
            }
        }
        Assert.Equal(16, compared);
        Assert.All(b, seq => Assert.NotNull(seq.Pruning)); // DyCoke's decisions ran in the argmax runner too
    }

    [Fact]
    public async Task Engine_GreedyBatchesUseTheBackendArgMax_SampledBatchesDoNot()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"dycoke-argmax-{Guid.NewGuid():N}");
        try
        {
            DemoModelWriter.Write(directory, new DemoModelOptions());
            using var cpu = new CpuBackend();
            var counting = CountingBackend.Wrap(cpu, out var counts);
            using var model = LlavaOnevisionModel.Load(directory, counting);
            using var engine = new Engine(new ModelRunner(model, 1024), new EngineOptions());
            int[] prompt = DemoEngineFixture.TextIds(9, 12);

            var greedy = await DrainAsync(engine.Submit(new EngineRequest("greedy", prompt, [], new SamplingParams { Temperature = 0, MaxTokens = 6, IgnoreEos = true }), TestContext.Current.CancellationToken));
            int afterGreedy = counts.ArgMax;
            var sampled = await DrainAsync(engine.Submit(new EngineRequest("sampled", prompt, [], new SamplingParams { Temperature = 0.8f, Seed = 1, MaxTokens = 6, IgnoreEos = true }), TestContext.Current.CancellationToken));
            var penalised = await DrainAsync(engine.Submit(new EngineRequest("penalised", prompt, [], new SamplingParams { Temperature = 0, PresencePenalty = 0.5f, MaxTokens = 6, IgnoreEos = true }), TestContext.Current.CancellationToken));

            Assert.Equal(6, greedy.Count);
            Assert.Equal(5, afterGreedy); // every decode step after the prefill's token
            Assert.Equal(6, sampled.Count);
            Assert.Equal(6, penalised.Count);
            Assert.Equal(afterGreedy, counts.ArgMax); // neither sampling nor penalties may skip the host sampler
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<List<int>> DrainAsync(ChannelReader<TokenEvent> reader)
    {
        var tokens = new List<int>();
        await foreach (var e in reader.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            if (e is TokenGenerated g) tokens.Add(g.TokenId);
            if (e is SequenceFailed f) throw new InvalidOperationException(f.Message);
        }
        return tokens;
    }

    private static (List<Sequence>, Scheduler) Start(ModelRunner runner, int[][] prompts, Tensor frames, SamplingParams sampling, SchedulerOptions options)
    {
        var scheduler = new Scheduler(new KvCachePool(runner.NumSlots / options.BlockSize, options.BlockSize), options, runner.Model.Config.TokensPerFrame);
        var sequences = new List<Sequence>();
        for (int i = 0; i < prompts.Length; i++)
        {
            var seq = new Sequence(i + 1, new EngineRequest($"s{i}", prompts[i], [frames], sampling) { DyCoke = new DyCokeOptions() }, options.BlockSize);
            scheduler.Add(seq);
            sequences.Add(seq);
        }
        return (sequences, scheduler);
    }

    // Runs prefill steps until every sequence has its first token (the first maximum of its prefill logits).
    private static void PrefillAll(ModelRunner runner, Scheduler scheduler, List<Sequence> sequences)
    {
        while (sequences.Any(s => !s.IsPrefilled))
        {
            var step = scheduler.Schedule();
            Assert.Empty(step.Decodes);
            var result = runner.Prefill(step.Prefills);
            int v = runner.VocabSize;
            for (int i = 0; i < result.Completed.Count; i++)
            {
                var row = result.Logits.AsSpan(i * v, v);
                result.Completed[i].AppendToken(row.IndexOf(row.ToArray().Max()));
            }
        }
    }
}

/// <summary>Forwards every <see cref="IBackend"/> call and counts the ArgMax ones.</summary>
public class CountingBackend : ForwardingBackend
{
    public sealed class Counts
    {
        public int ArgMax;
    }

    private Counts _counts = null!;

    public static IBackend Wrap(IBackend inner, out Counts counts)
    {
        var (proxy, self) = WrapAs<CountingBackend>(inner);
        self._counts = counts = new Counts();
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IBackend.ArgMax)) Interlocked.Increment(ref _counts.ArgMax);
        return Forward(method, args);
    }
}
