// The demo checkpoint's own tokenizer: a small byte-level BPE learned from DemoCorpus, written as a Hugging Face
// tokenizer.json with exactly Qwen2's structure (NFC, regex Split + ByteLevel pre-tokenizer, ByteLevel decoder),
// so the real-checkpoint tokenizer code path is the one the demo exercises.
using System.Text.Json.Nodes;

namespace DyCoke.Model.Demo;

internal static class DemoTokenizerBuilder
{
    /// <summary>
    /// The most merges to learn. With the 256 base symbols and five added tokens this keeps the vocabulary under
    /// 768 ids. The built-in corpus runs out of pairs seen twice after about 350 merges, which is enough for common
    /// words ("Ġthe", "Ġvideo") to become single tokens while the embedding stays tiny.
    /// </summary>
    public const int MaxMerges = 500;

    /// <summary>Builds the tokenizer files; the same every time (the corpus and the learner are deterministic).</summary>
    public static TokenizerFiles Build()
    {
        var bpe = BpeMergeLearner.Learn(DemoCorpus.Text, MaxMerges);
        int first = bpe.Tokens.Count;
        // Qwen2's order: <|endoftext|>, <|im_start|>, <|im_end|> right after the BPE vocabulary; LLaVA's converter
        // then appends <image> and <video>.
        AddedToken[] added =
        [
            new(first, SpecialTokens.EndOfText, Special: true),
            new(first + 1, SpecialTokens.ImStart, Special: true),
            new(first + 2, SpecialTokens.ImEnd, Special: true),
            new(first + 3, SpecialTokens.Image, Special: true),
            new(first + 4, SpecialTokens.Video, Special: true),
        ];
        var ids = new SpecialTokenIds(first, first + 1, first + 2, first + 3, first + 4);
        byte[] tokenizerJson = HfJson.WriteInOrder(BuildTokenizerJson(bpe, added));
        byte[] configJson = TokenizerConfigJson.Build(added, DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision);
        return new TokenizerFiles(tokenizerJson, configJson, ids, first + added.Length);
    }

    /// <summary>tokenizer.json in the key order the tokenizers library writes.</summary>
    public static JsonObject BuildTokenizerJson(BpeVocabulary bpe, IReadOnlyList<AddedToken> added)
    {
        var addedTokens = new JsonArray();
        foreach (var token in added) addedTokens.Add((JsonNode)AddedTokenEntry(token));

        var vocab = new JsonObject();
        for (int id = 0; id < bpe.Tokens.Count; id++) vocab[bpe.Tokens[id]] = id;
        var merges = new JsonArray();
        foreach (var (left, right) in bpe.Merges) merges.Add((JsonNode)$"{left} {right}");

        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = addedTokens,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = BpeMergeLearner.Qwen2SplitPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    ByteLevel()),
            },
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = merges,
            },
        };
    }

    /// <summary>One <c>added_tokens</c> entry, fields in the tokenizers library's order.</summary>
    public static JsonObject AddedTokenEntry(AddedToken token) => new()
    {
        ["id"] = token.Id,
        ["content"] = token.Content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = token.Special,
    };

    // Regex splitting already happened in the Split step, hence use_regex false; no prefix space, as in Qwen2.
    private static JsonObject ByteLevel() => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = false,
        ["trim_offsets"] = false,
        ["use_regex"] = false,
    };
}
