// The demo checkpoint written once into a temp directory and loaded on the CPU backend, shared by the engine tests
// that run the real model (no fake runner): greedy reference generation and prompt builders.
using DyCoke.Compression;
using DyCoke.Model.Demo;
using DyCoke.Model.Generation;
using DyCoke.Model.Llava;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;

namespace DyCoke.Engine.Tests;

public sealed class DemoEngineFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dycoke-engine-tests-{Guid.NewGuid():N}");

    public DemoEngineFixture()
    {
        DemoModelWriter.Write(_directory, new DemoModelOptions());
        Backend = new CpuBackend();
        Model = LlavaOnevisionModel.Load(_directory, Backend);
    }

    public IBackend Backend { get; }

    public LlavaOnevisionModel Model { get; }

    /// <summary>A fresh engine over the shared model with its own KV cache of <paramref name="numSlots"/> slots.</summary>
    public Engine CreateEngine(int numSlots = 4096, SchedulerOptions? scheduler = null) =>
        new(new ModelRunner(Model, numSlots), new EngineOptions { Scheduler = scheduler ?? new SchedulerOptions() });

    /// <summary>Deterministic ordinary token ids (the demo vocabulary's special ids come last).</summary>
    public static int[] TextIds(int seed, int count)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(1, 500)).ToArray();
    }

    /// <summary>Host F32 frames [F, 3, S, S] with values in [−1, 1].</summary>
    public Tensor Frames(int numFrames, int seed)
    {
        int s = Model.Config.Vision.ImageSize;
        var rng = new Random(seed);
        var values = new float[numFrames * 3 * s * s];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(values, new Shape(numFrames, 3, s, s));
    }

    /// <summary>prefix + video placeholders (F·196 + 1) + suffix.</summary>
    public int[] VideoPrompt(int numFrames, int[] prefix, int[] suffix) =>
        [.. prefix, .. Enumerable.Repeat(Model.Config.VideoTokenIndex, Model.Video.TokensPerVideo(numFrames)), .. suffix];

    /// <summary>The single-sequence greedy reference (DyCoke.Model's Generator), run to exactly maxTokens tokens.</summary>
    public int[] Greedy(int[] prompt, IReadOnlyList<Tensor> videos, int maxTokens) => Generate(prompt, videos, maxTokens, null).Tokens;

    /// <summary>The single-sequence reference with optional DyCoke, run to exactly maxTokens tokens.</summary>
    public GenerationResult Generate(int[] prompt, IReadOnlyList<Tensor> videos, int maxTokens, DyCokeOptions? dycoke) =>
        new Generator(Model).Generate(new GenerationRequest(prompt, videos, maxTokens, StopTokenId: -1, DyCoke: dycoke));

    public void Dispose()
    {
        Model.Dispose();
        Backend.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
