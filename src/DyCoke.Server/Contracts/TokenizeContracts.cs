// vLLM's POST /tokenize and POST /detokenize bodies (not part of OpenAI's API): a prompt or chat messages in, ids out,
// and back.
namespace DyCoke.Server.Contracts;

/// <summary>/tokenize: exactly one of <see cref="Prompt"/> or <see cref="Messages"/>.</summary>
public sealed record TokenizeRequest
{
    public string? Model { get; init; }
    public string? Prompt { get; init; }
    public List<ChatMessageDto?>? Messages { get; init; }
    /// <summary>For prompts: parse special-token text such as &lt;|im_start|&gt; into ids (the Qwen2 tokenizer adds no BOS).</summary>
    public bool? AddSpecialTokens { get; init; }
    /// <summary>For messages: append the assistant turn opener (default true).</summary>
    public bool? AddGenerationPrompt { get; init; }
}

/// <summary>/tokenize answer.</summary>
public sealed record TokenizeResponse(int Count, int MaxModelLen, IReadOnlyList<int> Tokens);

/// <summary>/detokenize body.</summary>
public sealed record DetokenizeRequest
{
    public string? Model { get; init; }
    public List<int>? Tokens { get; init; }
}

/// <summary>/detokenize answer.</summary>
public sealed record DetokenizeResponse(string Prompt);
