// `make-demo-model --tokenizer PATH`: takes an existing Hugging Face tokenizer.json (e.g. Qwen2's) for the demo
// checkpoint instead of the built-in one, adding <image> and <video> when it lacks them, as LLaVA's converter does.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DyCoke.Model.Demo;

internal static class TokenizerImporter
{
    /// <summary>
    /// Reads <paramref name="path"/> (a tokenizer.json, or a directory holding one) and the tokenizer_config.json
    /// beside it, if any. Files that already have <c>&lt;image&gt;</c> and <c>&lt;video&gt;</c> are kept byte for byte;
    /// otherwise the missing ones are appended as special added tokens after the highest id, in both files.
    /// Without a tokenizer_config.json one is generated.
    /// </summary>
    /// <exception cref="FileNotFoundException">No tokenizer.json at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a BPE tokenizer.json, or lacks a ChatML special token.</exception>
    public static TokenizerFiles Import(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"no tokenizer.json at '{path}'", file);
        byte[] original = File.ReadAllBytes(file);
        var root = ParseObject(original, file);

        if (root["model"] is not JsonObject { } model || model["vocab"] is not JsonObject vocab)
            throw new InvalidDataException($"{file}: expected a BPE tokenizer with a 'model.vocab' object");
        if (root["added_tokens"] is not JsonArray addedArray)
        {
            addedArray = [];
            root["added_tokens"] = addedArray;
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int maxId = -1;
        foreach (var (content, idNode) in vocab)
        {
            int id = ReadId(idNode, file, $"model.vocab['{content}']");
            ids.TryAdd(content, id);
            maxId = Math.Max(maxId, id);
        }
        var added = new List<AddedToken>();
        foreach (var entry in addedArray)
        {
            string content = entry?["content"]?.GetValue<string>() ?? throw new InvalidDataException($"{file}: an added_tokens entry has no content");
            int id = ReadId(entry["id"], file, $"added_tokens['{content}'].id");
            bool special = entry["special"] is JsonValue s && s.GetValueKind() == JsonValueKind.True;
            added.Add(new AddedToken(id, content, special));
            ids[content] = id;
            maxId = Math.Max(maxId, id);
        }

        var appended = new List<AddedToken>();
        foreach (string content in (string[])[SpecialTokens.Image, SpecialTokens.Video])
        {
            if (ids.ContainsKey(content)) continue;
            var token = new AddedToken(++maxId, content, Special: true);
            ids[content] = token.Id;
            addedArray.Add((JsonNode)DemoTokenizerBuilder.AddedTokenEntry(token));
            added.Add(token);
            appended.Add(token);
        }

        var specialIds = new SpecialTokenIds(
            Require(ids, SpecialTokens.EndOfText, file), Require(ids, SpecialTokens.ImStart, file), Require(ids, SpecialTokens.ImEnd, file),
            ids[SpecialTokens.Image], ids[SpecialTokens.Video]);
        byte[] tokenizerJson = appended.Count == 0 ? original : HfJson.WriteInOrder(root);
        byte[] configJson = ReadOrBuildConfig(file, added, appended);
        return new TokenizerFiles(tokenizerJson, configJson, specialIds, maxId + 1);
    }

    private static byte[] ReadOrBuildConfig(string tokenizerFile, List<AddedToken> added, List<AddedToken> appended)
    {
        string configFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerFile))!, "tokenizer_config.json");
        if (!File.Exists(configFile)) return TokenizerConfigJson.Build(added, DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision);

        byte[] original = File.ReadAllBytes(configFile);
        if (appended.Count == 0) return original;
        var root = ParseObject(original, configFile);
        if (root["added_tokens_decoder"] is not JsonObject decoder)
        {
            decoder = [];
            root["added_tokens_decoder"] = decoder;
        }
        foreach (var token in appended)
            decoder[token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = TokenizerConfigJson.Entry(token);
        return HfJson.WriteInOrder(root);
    }

    private static JsonObject ParseObject(byte[] utf8, string file)
    {
        try
        {
            return JsonNode.Parse(utf8) as JsonObject ?? throw new InvalidDataException($"{file}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: invalid JSON: {e.Message}", e);
        }
    }

    private static int ReadId(JsonNode? node, string file, string what)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int id) && id >= 0) return id;
        throw new InvalidDataException($"{file}: {what} must be a non-negative integer id, found {node?.ToJsonString() ?? "nothing"}");
    }

    private static int Require(Dictionary<string, int> ids, string content, string file) =>
        ids.TryGetValue(content, out int id)
            ? id
            : throw new InvalidDataException($"{file}: the tokenizer has no '{content}' token; LLaVA-OneVision's ChatML prompts need it");
}
