// Qwen2Tokenizer behaviour beyond the reference corpus: load errors, both merge formats, added tokens, ids the design
// documents rely on, decoding with and without special tokens, and BPE merge order on a tiny vocabulary.
using System.Text.Json.Nodes;
using DyCoke.Model.Config;
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class Qwen2TokenizerTests : IDisposable
{
    // Every file a test writes goes under this folder, removed after the test.
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dycoke-tokenizer-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-dycoke", "tokenizer.json");
        var e = Assert.Throws<CheckpointException>(() => Qwen2Tokenizer.Load(path));
        Assert.Equal(path, e.File);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Load_UnsupportedModelType_ThrowsNamingFileAndField()
    {
        var json = TinyTokenizerJson([]);
        json["model"]!["type"] = "WordPiece";
        string path = Write(json);
        var e = Assert.Throws<CheckpointException>(() => Qwen2Tokenizer.Load(path));
        Assert.Equal(path, e.File);
        Assert.Equal("model.type", e.Item);
        Assert.Contains("WordPiece", e.Message);
    }

    [Fact]
    public void Load_DifferentSplitPattern_Throws()
    {
        var json = TinyTokenizerJson([]);
        json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = @"\s+|\w+";
        var e = Assert.Throws<CheckpointException>(() => Qwen2Tokenizer.Load(Write(json)));
        Assert.Equal("pre_tokenizer.pretokenizers[0]", e.Item);
    }

    [Fact]
    public void Load_InvalidJson_ThrowsNamingTheFile()
    {
        string path = Path.Combine(NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, "{ not json");
        var e = Assert.Throws<CheckpointException>(() => Qwen2Tokenizer.Load(path));
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void Load_MergeOutsideVocabulary_ThrowsNamingTheMerge()
    {
        var json = TinyTokenizerJson(["a b"]);
        var e = Assert.Throws<CheckpointException>(() => Qwen2Tokenizer.Load(Write(json)));
        Assert.Equal("model.merges[0]", e.Item);
    }

    [Fact]
    public void Encode_EqualRanks_MergesLeftmostPairFirst()
    {
        var tokenizer = Qwen2Tokenizer.Load(Write(TinyTokenizerJson(["a a"], extraVocab: ["aa"])));
        Assert.True(tokenizer.TryGetId("aa", out int aa));
        Assert.True(tokenizer.TryGetId("a", out int a));
        Assert.Equal([aa, a], tokenizer.Encode("aaa"));
        Assert.Equal([aa, aa], tokenizer.Encode("aaaa"));
    }

    [Fact]
    public void Encode_LowerRankFirst_EvenWhenRightOfAnotherMerge()
    {
        // "abc": (b, c) has rank 0 and wins over (a, b) although (a, b) is further left.
        var tokenizer = Qwen2Tokenizer.Load(Write(TinyTokenizerJson(["b c", "a b"], extraVocab: ["bc", "ab"])));
        Assert.True(tokenizer.TryGetId("bc", out int bc));
        Assert.True(tokenizer.TryGetId("a", out int a));
        Assert.Equal([a, bc], tokenizer.Encode("abc"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encode_IgnoreMerges_TakesAWholeVocabularyEntryOnlyWhenSet(bool ignoreMerges)
    {
        // "abc" is in the vocabulary but no merge builds it: only ignore_merges may emit it.
        var json = TinyTokenizerJson([], extraVocab: ["abc"]);
        json["model"]!["ignore_merges"] = ignoreMerges;
        var tokenizer = Qwen2Tokenizer.Load(Write(json));
        Assert.True(tokenizer.TryGetId("abc", out int abc));
        int[] expected = ignoreMerges ? [abc] : [.. "abc".Select(c => (int)c)]; // byte b has id b here
        Assert.Equal(expected, tokenizer.Encode("abc"));
    }

    [Fact]
    public void Load_StringAndArrayMerges_EncodeIdentically()
    {
        string[] samples = ["Hello world, tokenizers!", "数据集和模型", "  indented\n\tcode()", "emoji 👩‍💻 and 🇩🇪"];
        foreach (string s in samples)
            Assert.Equal(ReferenceTokenizers.Qwen.Encode(s), ReferenceTokenizers.Llava.Encode(s));
    }

    [Fact]
    public void Encode_LlavaPlaceholders_BecomeTheirAddedTokenIds()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        Assert.Equal([151644, 872, 198, 151647, 198, 151646], tokenizer.Encode("<|im_start|>user\n<video>\n<image>"));
        Assert.True(tokenizer.TryGetAddedToken("<video>", out var video));
        Assert.Equal(151647, video.Id);
        Assert.True(video.Special);
    }

    [Fact]
    public void Encode_OverlappingAddedTokens_LongestMatchWins()
    {
        var json = TinyTokenizerJson([]);
        json["added_tokens"] = new JsonArray(AddedToken(300, "<a>", special: true), AddedToken(301, "<a><b>", special: true));
        var tokenizer = Qwen2Tokenizer.Load(Write(json));
        Assert.Equal([301, 300], tokenizer.Encode("<a><b><a>"));
    }

    [Theory]
    [InlineData("user", 872)]
    [InlineData("assistant", 77091)]
    [InlineData("system", 8948)]
    [InlineData("Ċ", 198)]
    [InlineData("<|endoftext|>", 151643)]
    [InlineData("<|im_start|>", 151644)]
    [InlineData("<|im_end|>", 151645)]
    public void TryGetId_PiecesTheDesignUses_HaveDocumentedIds(string token, int id)
    {
        Assert.True(ReferenceTokenizers.Llava.TryGetId(token, out int actual));
        Assert.Equal(id, actual);
        Assert.True(ReferenceTokenizers.Llava.TryGetToken(id, out string? back));
        Assert.Equal(token, back);
    }

    [Fact]
    public void VocabSize_IsHighestIdPlusOne()
    {
        Assert.Equal(151648, ReferenceTokenizers.Llava.VocabSize);
        Assert.Equal(ReferenceTokenizers.Qwen.AddedTokens.Max(t => t.Id) + 1, ReferenceTokenizers.Qwen.VocabSize);
    }

    [Fact]
    public void Decode_SkipSpecialTokens_DropsOnlySpecialTokens()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        int[] ids = tokenizer.Encode("<|im_start|>assistant\nA cat.<|im_end|>");
        Assert.Equal("<|im_start|>assistant\nA cat.<|im_end|>", tokenizer.Decode(ids));
        Assert.Equal("assistant\nA cat.", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecial(151645));
        Assert.False(tokenizer.IsSpecial(198));
    }

    [Fact]
    public void Decode_IdsWithoutToken_AreSkipped()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        int[] ids = [.. tokenizer.Encode("a"), 151900, -1, .. tokenizer.Encode("b")];
        Assert.Equal("ab", tokenizer.Decode(ids));
        Assert.False(tokenizer.TryGetToken(151900, out _));
    }

    // A byte-level tokenizer.json with the 256 byte tokens (ids 0..255), optional extra vocabulary and string merges.
    internal static JsonObject TinyTokenizerJson(string[] merges, string[]? extraVocab = null)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelSpelling((byte)b)] = b;
        int next = 256;
        foreach (string token in extraVocab ?? []) vocab[token] = next++;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Qwen2PreTokenizerPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["byte_fallback"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            },
        };
    }

    private const string Qwen2PreTokenizerPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static JsonObject AddedToken(int id, string content, bool special) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
        ["normalized"] = false, ["special"] = special,
    };

    private static string ByteLevelSpelling(byte b)
    {
        int next = 0x100;
        for (int v = 0; v < 256; v++)
        {
            bool printable = v is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            char c = printable ? (char)v : (char)next++;
            if (v == b) return c.ToString();
        }
        throw new ArgumentOutOfRangeException(nameof(b));
    }

    private string Write(JsonObject json)
    {
        string path = Path.Combine(NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private string NewTempDir()
    {
        string dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
