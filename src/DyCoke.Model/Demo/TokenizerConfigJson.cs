// tokenizer_config.json as transformers saves it for a Qwen2 tokenizer inside a LLaVA-OneVision processor:
// the added-token table, the special-token names, and the chat template.
using System.Text.Json.Nodes;

namespace DyCoke.Model.Demo;

internal static class TokenizerConfigJson
{
    /// <summary>Qwen2-Instruct's context length, which its tokenizer config repeats as model_max_length.</summary>
    public const int ModelMaxLength = 32768;

    /// <summary>
    /// The config for a Qwen2-style tokenizer whose added tokens are <paramref name="addedTokens"/>. EOS is
    /// <c>&lt;|im_end|&gt;</c> and PAD <c>&lt;|endoftext|&gt;</c>, with no BOS, as in Qwen2-Instruct.
    /// </summary>
    public static byte[] Build(IEnumerable<AddedToken> addedTokens, string chatTemplate)
    {
        var decoder = new JsonObject();
        foreach (var token in addedTokens.OrderBy(t => t.Id))
            decoder[token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Entry(token);

        var config = new JsonObject
        {
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["additional_special_tokens"] = new JsonArray(SpecialTokens.ImStart, SpecialTokens.ImEnd),
            ["bos_token"] = null,
            ["chat_template"] = chatTemplate,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = SpecialTokens.ImEnd,
            ["errors"] = "replace",
            ["model_max_length"] = ModelMaxLength,
            ["pad_token"] = SpecialTokens.EndOfText,
            ["processor_class"] = "LlavaOnevisionProcessor",
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["unk_token"] = null,
        };
        return HfJson.WriteSorted(config);
    }

    /// <summary>An <c>added_tokens_decoder</c> value (keys as transformers sorts them).</summary>
    public static JsonObject Entry(AddedToken token) => new()
    {
        ["content"] = token.Content,
        ["lstrip"] = false,
        ["normalized"] = false,
        ["rstrip"] = false,
        ["single_word"] = false,
        ["special"] = token.Special,
    };
}
