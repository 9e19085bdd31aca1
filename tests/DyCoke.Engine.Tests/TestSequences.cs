// Builders for engine tests: sequences with given prompt lengths, sampling and (fake) videos, without any model behind
// them; and a stand-in for the model runner that applies a scheduled step's effects to the sequences.
using DyCoke.Tensors;

namespace DyCoke.Engine.Tests;

internal static class TestSequences
{
    private static long s_nextId;

    public static Sequence Create(int promptTokens, int maxTokens = 8, int blockSize = 4, int videoFrames = 0) =>
        new(Interlocked.Increment(ref s_nextId), Request(promptTokens, maxTokens, videoFrames: videoFrames), blockSize);

    /// <summary>A request whose prompt has the given length; a video of <paramref name="videoFrames"/> frames is a tiny
    /// placeholder tensor (the scheduler only counts frames).</summary>
    public static EngineRequest Request(int promptTokens, int maxTokens = 8, SamplingParams? sampling = null, int videoFrames = 0) =>
        new($"test-{promptTokens}", Enumerable.Range(1, promptTokens).ToArray(),
            videoFrames > 0 ? [Tensor.Cpu(DType.F32, new Shape(videoFrames, 1))] : [],
            sampling ?? new SamplingParams { MaxTokens = maxTokens });

    /// <summary>
    /// What the runner and sampler would do with <paramref name="step"/>, without a model: every decode appends a
    /// token; prefill work encodes its frames (the prompt keeps its length: no TTM) and prefills its tokens, and a
    /// sequence whose prefill ends gets its first token.
    /// </summary>
    public static void Run(ScheduledStep step)
    {
        foreach (var seq in step.Decodes) seq.AppendToken(1);
        foreach (var (seq, frames, tokens) in step.Prefills)
        {
            if (frames > 0)
            {
                var state = seq.Prefill ??= new PrefillState();
                state.FramesEncoded += frames;
                if (state.FramesEncoded == seq.NumFrames) state.Embeds = Tensor.Cpu(DType.F32, new Shape(1)); // stands for [N, C]
            }
            if (tokens == 0) continue;
            seq.AdvancePrefill(tokens);
            if (seq.IsPrefilled) seq.AppendToken(1);
        }
    }
}
