// How one sequence picks its tokens and when it stops: the engine-side form of the OpenAI/vLLM sampling fields,
// validated once here so the sampler and scheduler can trust them.
namespace DyCoke.Engine;

/// <summary>Per-request sampling settings. A temperature of 0 means greedy (argmax, first index on ties).</summary>
public sealed record SamplingParams
{
    /// <summary>Softmax temperature in [0, 2]; 0 selects greedy decoding.</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Keep the K most likely tokens; 0 or −1 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus mass in (0, 1]; 1 disables.</summary>
    public float TopP { get; init; } = 1.0f;

    /// <summary>Drop tokens whose probability is below MinP × the top probability; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>Seed of the sequence's own random generator; null draws one (not reproducible).</summary>
    public long? Seed { get; init; }

    /// <summary>Subtracted once from the logit of every token already generated, in [−2, 2].</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence from the logit of every token already generated, in [−2, 2].</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>The most tokens to generate (≥ 1), the stop token included.</summary>
    public int MaxTokens { get; init; } = 16;

    /// <summary>Token ids that end the sequence with finish reason stop (the model's end-of-turn ids are added by the engine).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past the model's end-of-turn ids (vLLM's ignore_eos).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>True when the sampler may skip the softmax and take the argmax.</summary>
    public bool IsGreedy => Temperature == 0f || TopK == 1;

    /// <summary>Whether presence or frequency penalties change the logits before selection.</summary>
    public bool HasPenalties => PresencePenalty != 0f || FrequencyPenalty != 0f;

    /// <summary>Whether the token is the first maximum of the raw logits (greedy, no penalties): what a backend's argmax gives.</summary>
    public bool TakesArgMax => IsGreedy && !HasPenalties;

    /// <summary>Checks every field's range.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(Temperature >= 0f && Temperature <= 2f)) throw new ArgumentException($"temperature is {Temperature}, expected 0..2", nameof(Temperature));
        if (TopK < -1) throw new ArgumentException($"top_k is {TopK}, expected -1, 0 or a positive count", nameof(TopK));
        if (!(TopP > 0f && TopP <= 1f)) throw new ArgumentException($"top_p is {TopP}, expected (0, 1]", nameof(TopP));
        if (!(MinP >= 0f && MinP <= 1f)) throw new ArgumentException($"min_p is {MinP}, expected 0..1", nameof(MinP));
        if (!(PresencePenalty >= -2f && PresencePenalty <= 2f)) throw new ArgumentException($"presence_penalty is {PresencePenalty}, expected -2..2", nameof(PresencePenalty));
        if (!(FrequencyPenalty >= -2f && FrequencyPenalty <= 2f)) throw new ArgumentException($"frequency_penalty is {FrequencyPenalty}, expected -2..2", nameof(FrequencyPenalty));
        if (MaxTokens < 1) throw new ArgumentException($"max_tokens is {MaxTokens}, expected >= 1", nameof(MaxTokens));
    }
}
