// What the server hands the engine for one generation: token ids with every video already expanded into its
// placeholder rows, the decoded frames, sampling settings and per-sequence compression state. No JSON type here.
using DyCoke.Compression;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>One generation request.</summary>
/// <param name="RequestId">Caller's id, used in logs and events.</param>
/// <param name="PromptIds">Token ids; video i occupies <c>F_i·196 + 1</c> consecutive video-placeholder ids.</param>
/// <param name="Videos">Per video, host F32 pixels [F, 3, S, S] in prompt order; empty for text-only prompts. Once
/// <see cref="IEngine.Submit"/> accepts the request, the engine owns them and disposes them when the sequence ends.</param>
/// <param name="Sampling">How tokens are chosen and when generation stops.</param>
public sealed record EngineRequest(string RequestId, int[] PromptIds, IReadOnlyList<Tensor> Videos, SamplingParams Sampling)
{
    /// <summary>
    /// DyCoke for this request (TTM on its videos in prefill, dynamic KV pruning in decode); null or disabled runs the
    /// model uncompressed. Only prompts with a video use it; dynamic pruning needs exactly one video.
    /// </summary>
    public DyCokeOptions? DyCoke { get; init; }
}
