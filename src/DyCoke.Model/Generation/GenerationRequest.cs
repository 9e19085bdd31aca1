// What a single-sequence greedy generation takes and returns (llava-onevision.md §7).
using DyCoke.Compression;
using DyCoke.Tensors;

namespace DyCoke.Model.Generation;

/// <summary>One prompt to continue greedily.</summary>
/// <param name="PromptIds">Token ids, with F·196 + 1 <c>&lt;video&gt;</c> placeholders per video (already expanded).</param>
/// <param name="Videos">Per video, host F32 pixels [F, Ch, S, S], in prompt order; empty for a text-only prompt.</param>
/// <param name="MaxNewTokens">The most tokens to generate (≥ 1).</param>
/// <param name="StopTokenId">Generation stops after emitting this id (<c>&lt;|im_end|&gt;</c>, 151645 on the hub models).</param>
/// <param name="DyCoke">DyCoke settings; null or disabled runs uncompressed. TTM merges every video; DP runs only
/// for a prompt with exactly one video (the reference supports one visual span).</param>
/// <param name="OnDyCokeStep">Observes each decode step's DP decision (traces and parity tests); may be null.</param>
public sealed record GenerationRequest(int[] PromptIds, IReadOnlyList<Tensor> Videos, int MaxNewTokens, int StopTokenId,
    DyCokeOptions? DyCoke = null, Action<DyCokeStep>? OnDyCokeStep = null);

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>The stop token was generated (it is the last entry of the tokens).</summary>
    Stop,
    /// <summary><see cref="GenerationRequest.MaxNewTokens"/> tokens were generated without the stop token.</summary>
    Length,
}

/// <summary>The generated tokens (stop token included when it ended the generation).</summary>
/// <param name="PromptTokens">Tokens prefilled: the prompt after TTM when DyCoke ran.</param>
/// <param name="DyCoke">What DyCoke did, or null when it did not run.</param>
public sealed record GenerationResult(int[] Tokens, FinishReason FinishReason, int PromptTokens, DyCokeStats? DyCoke = null);
