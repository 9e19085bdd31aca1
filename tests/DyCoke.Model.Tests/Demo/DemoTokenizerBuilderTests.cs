// The built-in demo tokenizer: Qwen2's tokenizer.json structure, a consistent BPE vocabulary and merge list,
// the special tokens after the vocabulary, and a tokenizer_config.json that names them.
using System.Text.Json;
using DyCoke.Model.Demo;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class DemoTokenizerBuilderTests
{
    [Fact]
    public void Build_TokenizerJson_HasQwen2Structure()
    {
        using var doc = JsonDocument.Parse(DemoTokenizerBuilder.Build().TokenizerJson);
        var root = doc.RootElement;

        Assert.Equal(["version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("NFC", root.GetProperty("normalizer").GetProperty("type").GetString());
        var pre = root.GetProperty("pre_tokenizer");
        Assert.Equal("Sequence", pre.GetProperty("type").GetString());
        var steps = pre.GetProperty("pretokenizers").EnumerateArray().ToList();
        Assert.Equal(2, steps.Count);
        Assert.Equal("Split", steps[0].GetProperty("type").GetString());
        Assert.Equal(BpeMergeLearner.Qwen2SplitPattern, steps[0].GetProperty("pattern").GetProperty("Regex").GetString());
        Assert.Equal("Isolated", steps[0].GetProperty("behavior").GetString());
        Assert.False(steps[0].GetProperty("invert").GetBoolean());
        foreach (var byteLevel in (JsonElement[])[steps[1], root.GetProperty("decoder"), root.GetProperty("post_processor")])
        {
            Assert.Equal("ByteLevel", byteLevel.GetProperty("type").GetString());
            Assert.False(byteLevel.GetProperty("add_prefix_space").GetBoolean());
            Assert.False(byteLevel.GetProperty("use_regex").GetBoolean());
        }
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("unk_token").ValueKind);
        Assert.False(model.GetProperty("byte_fallback").GetBoolean());
    }

    [Fact]
    public void Build_Vocabulary_ByteAlphabetFirstThenMergesConsistent()
    {
        using var doc = JsonDocument.Parse(DemoTokenizerBuilder.Build().TokenizerJson);
        var model = doc.RootElement.GetProperty("model");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var merges = model.GetProperty("merges").EnumerateArray().Select(m => m.GetString()!).ToList();

        Assert.Equal(Enumerable.Range(0, vocab.Count), vocab.Values.Order());
        // Qwen2 ids of the byte alphabet: '!' first, 'Ā' (byte 0) after the 188 printable bytes, 'Ġ' (space) at 220.
        Assert.Equal(0, vocab["!"]);
        Assert.Equal(188, vocab["\u0100"]);
        Assert.Equal(220, vocab["Ġ"]);
        Assert.Equal(198, vocab["Ċ"]);
        Assert.InRange(merges.Count, 200, DemoTokenizerBuilder.MaxMerges);
        Assert.Equal(merges.Count, merges.Distinct(StringComparer.Ordinal).Count());
        foreach (string merge in merges)
        {
            string[] parts = merge.Split(' ');
            Assert.Equal(2, parts.Length);
            Assert.True(vocab[parts[0]] < vocab[parts[0] + parts[1]] && vocab[parts[1]] < vocab[parts[0] + parts[1]], $"merge '{merge}' yields a token older than its parts");
        }
        Assert.Contains("Ġthe", vocab.Keys);
        Assert.Contains("Ġvideo", vocab.Keys);
    }

    [Fact]
    public void Build_AddedTokens_SpecialAndRightAfterTheVocabulary()
    {
        var files = DemoTokenizerBuilder.Build();
        using var doc = JsonDocument.Parse(files.TokenizerJson);
        int vocabCount = doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Count();
        var added = doc.RootElement.GetProperty("added_tokens").EnumerateArray().ToList();

        Assert.Equal(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"], added.Select(t => t.GetProperty("content").GetString()));
        Assert.Equal(Enumerable.Range(vocabCount, 5), added.Select(t => t.GetProperty("id").GetInt32()));
        Assert.All(added, t => Assert.True(t.GetProperty("special").GetBoolean()));
        Assert.All(added, t => Assert.False(t.GetProperty("normalized").GetBoolean()));
        Assert.Equal(new SpecialTokenIds(vocabCount, vocabCount + 1, vocabCount + 2, vocabCount + 3, vocabCount + 4), files.Ids);
        Assert.Equal(vocabCount + 5, files.NumIds);
    }

    [Fact]
    public void Build_TokenizerConfig_NamesSpecialTokensAndListsAddedTokens()
    {
        var files = DemoTokenizerBuilder.Build();
        using var doc = JsonDocument.Parse(files.TokenizerConfigJson);
        var root = doc.RootElement;

        var decoder = root.GetProperty("added_tokens_decoder");
        Assert.Equal("<video>", decoder.GetProperty(files.Ids.Video.ToString()).GetProperty("content").GetString());
        Assert.Equal("<|im_start|>", decoder.GetProperty(files.Ids.ImStart.ToString()).GetProperty("content").GetString());
        Assert.Equal("<|im_end|>", root.GetProperty("eos_token").GetString());
        Assert.Equal("<|endoftext|>", root.GetProperty("pad_token").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("bos_token").ValueKind);
        Assert.Equal("Qwen2Tokenizer", root.GetProperty("tokenizer_class").GetString());
        Assert.Equal(DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision, root.GetProperty("chat_template").GetString());
        // transformers writes configs with sorted keys.
        var names = root.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Build_Twice_ByteIdentical()
    {
        var a = DemoTokenizerBuilder.Build();
        var b = DemoTokenizerBuilder.Build();

        Assert.True(a.TokenizerJson.AsSpan().SequenceEqual(b.TokenizerJson));
        Assert.True(a.TokenizerConfigJson.AsSpan().SequenceEqual(b.TokenizerConfigJson));
    }
}
