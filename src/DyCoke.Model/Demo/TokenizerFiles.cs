// A tokenizer ready to be written into a checkpoint directory: the bytes of tokenizer.json and tokenizer_config.json,
// plus the facts the rest of the checkpoint depends on (the special-token ids and how many ids exist).
namespace DyCoke.Model.Demo;

/// <summary>The special tokens LLaVA-OneVision's prompts and configs refer to, by their Qwen2 spelling.</summary>
internal static class SpecialTokens
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const string Image = "<image>";
    public const string Video = "<video>";
}

/// <summary>Ids of the special tokens in one tokenizer.</summary>
internal sealed record SpecialTokenIds(int EndOfText, int ImStart, int ImEnd, int Image, int Video);

/// <summary>One entry of tokenizer.json's <c>added_tokens</c> (and tokenizer_config.json's <c>added_tokens_decoder</c>).</summary>
internal sealed record AddedToken(int Id, string Content, bool Special);

/// <summary>
/// The tokenizer files of a checkpoint. <paramref name="NumIds"/> is one past the highest id (BPE vocabulary and
/// added tokens together): the embedding needs at least that many rows.
/// </summary>
internal sealed record TokenizerFiles(byte[] TokenizerJson, byte[] TokenizerConfigJson, SpecialTokenIds Ids, int NumIds);
