// Reads a Hugging Face tokenizer.json into a TokenizerDefinition and refuses, with the file and field named,
// every setting this tokenizer would not reproduce exactly (another model type, pre-tokenizer or normalizer).
using System.Text.Json;
using DyCoke.Model.Config;

namespace DyCoke.Model.Text;

/// <summary>What <see cref="Qwen2Tokenizer"/> needs from tokenizer.json, with merges resolved to ids.</summary>
internal sealed record TokenizerDefinition(
    Dictionary<string, int> Vocabulary,
    List<(int Left, int Right, int Merged)> Merges,
    List<AddedToken> AddedTokens,
    bool IgnoreMerges);

internal static class TokenizerJsonReader
{
    public static TokenizerDefinition Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, null, "file not found");
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, null, $"not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            return Read(path, document.RootElement);
        }
    }

    private static TokenizerDefinition Read(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, null, "the top level is not a JSON object");
        CheckNormalizer(path, Optional(root, "normalizer"));
        CheckPreTokenizer(path, Optional(root, "pre_tokenizer"));
        CheckDecoder(path, Optional(root, "decoder"));
        CheckPostProcessor(path, Optional(root, "post_processor"));

        JsonElement model = Optional(root, "model") ?? throw new CheckpointException(path, "model", "missing");
        string type = StringOrNull(model, "type") ?? "(none)";
        if (type != "BPE") throw new CheckpointException(path, "model.type", $"'{type}' is not supported; only byte-level BPE is");
        if (Optional(model, "dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
            throw new CheckpointException(path, "model.dropout", "BPE dropout is not supported");
        if (Flag(model, "byte_fallback")) throw new CheckpointException(path, "model.byte_fallback", "byte fallback is not supported");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (!string.IsNullOrEmpty(StringOrNull(model, affix))) throw new CheckpointException(path, $"model.{affix}", "subword affixes are not supported");
        }

        var vocabulary = ReadVocabulary(path, model);
        var merges = ReadMerges(path, model, vocabulary);
        var added = ReadAddedTokens(path, root);
        return new TokenizerDefinition(vocabulary, merges, added, Flag(model, "ignore_merges"));
    }

    private static Dictionary<string, int> ReadVocabulary(string path, JsonElement model)
    {
        if (Optional(model, "vocab") is not { ValueKind: JsonValueKind.Object } vocab)
            throw new CheckpointException(path, "model.vocab", "missing or not an object");
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new CheckpointException(path, "model.vocab", $"'{entry.Name}' has no valid id");
            map[entry.Name] = id;
        }
        return map;
    }

    // Merges come either as "left right" strings (older files) or as [left, right] arrays (tokenizers >= 0.20).
    private static List<(int, int, int)> ReadMerges(string path, JsonElement model, Dictionary<string, int> vocabulary)
    {
        if (Optional(model, "merges") is not { ValueKind: JsonValueKind.Array } merges)
            throw new CheckpointException(path, "model.merges", "missing or not an array");
        var result = new List<(int, int, int)>(merges.GetArrayLength());
        int index = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            string? left = null, right = null;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                int space = text.IndexOf(' ');
                if (space > 0 && text.IndexOf(' ', space + 1) < 0) (left, right) = (text[..space], text[(space + 1)..]);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                (left, right) = (merge[0].GetString(), merge[1].GetString());
            }
            if (left is null || right is null || right.Length == 0)
                throw new CheckpointException(path, $"model.merges[{index}]", $"expected \"left right\" or [left, right], found {merge.GetRawText()}");
            if (!vocabulary.TryGetValue(left, out int l) || !vocabulary.TryGetValue(right, out int r) || !vocabulary.TryGetValue(string.Concat(left, right), out int merged))
                throw new CheckpointException(path, $"model.merges[{index}]", $"'{left} {right}' uses or makes a token missing from model.vocab");
            result.Add((l, r, merged));
            index++;
        }
        return result;
    }

    private static List<AddedToken> ReadAddedTokens(string path, JsonElement root)
    {
        var result = new List<AddedToken>();
        if (Optional(root, "added_tokens") is not { } tokens) return result;
        if (tokens.ValueKind != JsonValueKind.Array) throw new CheckpointException(path, "added_tokens", "not an array");
        int index = 0;
        foreach (JsonElement token in tokens.EnumerateArray())
        {
            string item = $"added_tokens[{index++}]";
            string? content = token.ValueKind == JsonValueKind.Object ? StringOrNull(token, "content") : null;
            if (content is null || Optional(token, "id") is not { ValueKind: JsonValueKind.Number } idElement || !idElement.TryGetInt32(out int id) || id < 0)
                throw new CheckpointException(path, item, "needs a string 'content' and a non-negative integer 'id'");
            foreach (string unsupported in new[] { "single_word", "lstrip", "rstrip" })
            {
                if (Flag(token, unsupported)) throw new CheckpointException(path, item, $"'{content}' sets {unsupported}, which is not supported");
            }
            bool special = Flag(token, "special");
            // The Hugging Face default for 'normalized' is the opposite of 'special'.
            bool normalized = Optional(token, "normalized") is { } n && n.ValueKind is JsonValueKind.True or JsonValueKind.False ? n.GetBoolean() : !special;
            result.Add(new AddedToken(id, content, special, normalized));
        }
        return result;
    }

    private static void CheckNormalizer(string path, JsonElement? normalizer)
    {
        if (normalizer is null) return;
        string type = StringOrNull(normalizer.Value, "type") ?? "(none)";
        if (type != "NFC") throw new CheckpointException(path, "normalizer", $"type '{type}' is not supported; only NFC or none");
    }

    private static void CheckPreTokenizer(string path, JsonElement? pre)
    {
        const string Expected = "a Sequence of Split(Qwen2 pattern, Isolated) and ByteLevel(add_prefix_space false, use_regex false)";
        if (pre is not { } p || StringOrNull(p, "type") != "Sequence" || Optional(p, "pretokenizers") is not { ValueKind: JsonValueKind.Array } steps || steps.GetArrayLength() != 2)
            throw new CheckpointException(path, "pre_tokenizer", $"expected {Expected}");
        JsonElement split = steps[0], byteLevel = steps[1];
        string? pattern = Optional(split, "pattern") is { ValueKind: JsonValueKind.Object } pat ? StringOrNull(pat, "Regex") : null;
        if (StringOrNull(split, "type") != "Split" || pattern != Qwen2PreTokenizer.Pattern || StringOrNull(split, "behavior") != "Isolated" || Flag(split, "invert"))
            throw new CheckpointException(path, "pre_tokenizer.pretokenizers[0]", $"expected {Expected}; the split pattern or behaviour differs from Qwen2's");
        if (StringOrNull(byteLevel, "type") != "ByteLevel" || Flag(byteLevel, "add_prefix_space") || Flag(byteLevel, "use_regex", fallback: true))
            throw new CheckpointException(path, "pre_tokenizer.pretokenizers[1]", $"expected {Expected}");
    }

    private static void CheckDecoder(string path, JsonElement? decoder)
    {
        if (decoder is not { } d || StringOrNull(d, "type") != "ByteLevel")
            throw new CheckpointException(path, "decoder", "expected a ByteLevel decoder");
    }

    // A post-processor could add ids (BOS, EOS); only the ones that add none are accepted.
    private static void CheckPostProcessor(string path, JsonElement? post)
    {
        if (post is { } p && StringOrNull(p, "type") != "ByteLevel")
            throw new CheckpointException(path, "post_processor", $"type '{StringOrNull(p, "type")}' is not supported; only ByteLevel or none");
    }

    // JSON null counts as absent, as in the Hugging Face loader.
    private static JsonElement? Optional(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? StringOrNull(JsonElement o, string name) =>
        Optional(o, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private static bool Flag(JsonElement o, string name, bool fallback = false) =>
        Optional(o, name) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
}
