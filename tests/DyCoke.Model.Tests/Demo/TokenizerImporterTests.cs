// `--tokenizer PATH`: an outside tokenizer.json is copied, gains <image>/<video> when it lacks them (in both
// tokenizer files), and sizes the demo model's vocabulary.
using System.Text.Json;
using System.Text.Json.Nodes;
using DyCoke.Model.Config;
using DyCoke.Model.Demo;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class TokenizerImporterTests
{
    [Fact]
    public void Import_WithoutImageAndVideo_AppendsThemAfterHighestId()
    {
        using var temp = new TempDirectory();
        string path = WriteQwenLikeTokenizer(temp, withImageVideo: false, withConfig: true);

        var files = TokenizerImporter.Import(path);

        var root = JsonNode.Parse(files.TokenizerJson)!.AsObject();
        var added = root["added_tokens"]!.AsArray();
        Assert.Equal(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"], added.Select(t => (string)t!["content"]!));
        Assert.Equal(1003, (int)added[3]!["id"]!);
        Assert.Equal(1004, (int)added[4]!["id"]!);
        Assert.True((bool)added[4]!["special"]!);
        Assert.Equal(new SpecialTokenIds(1000, 1001, 1002, 1003, 1004), files.Ids);
        Assert.Equal(1005, files.NumIds);
        // The rest of the file is unchanged.
        Assert.Equal(root["model"]!.ToJsonString(), JsonNode.Parse(File.ReadAllBytes(path))!["model"]!.ToJsonString());

        var decoder = JsonNode.Parse(files.TokenizerConfigJson)!["added_tokens_decoder"]!.AsObject();
        Assert.Equal("<image>", (string)decoder["1003"]!["content"]!);
        Assert.Equal("<video>", (string)decoder["1004"]!["content"]!);
        Assert.Equal("<|endoftext|>", (string)decoder["1000"]!["content"]!);
    }

    [Fact]
    public void Import_WithImageAndVideo_CopiesBothFilesByteForByte()
    {
        using var temp = new TempDirectory();
        string path = WriteQwenLikeTokenizer(temp, withImageVideo: true, withConfig: true);

        var files = TokenizerImporter.Import(path);

        Assert.True(files.TokenizerJson.AsSpan().SequenceEqual(File.ReadAllBytes(path)));
        Assert.True(files.TokenizerConfigJson.AsSpan().SequenceEqual(File.ReadAllBytes(temp.File("tokenizer_config.json"))));
        Assert.Equal(new SpecialTokenIds(1000, 1001, 1002, 1003, 1004), files.Ids);
    }

    [Fact]
    public void Import_DirectoryWithoutConfig_FindsTokenizerAndGeneratesConfig()
    {
        using var temp = new TempDirectory();
        WriteQwenLikeTokenizer(temp, withImageVideo: false, withConfig: false);

        var files = TokenizerImporter.Import(temp.Path);

        using var config = JsonDocument.Parse(files.TokenizerConfigJson);
        Assert.Equal("<|im_end|>", config.RootElement.GetProperty("eos_token").GetString());
        Assert.Equal(DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision, config.RootElement.GetProperty("chat_template").GetString());
        Assert.Equal("<video>", config.RootElement.GetProperty("added_tokens_decoder").GetProperty("1004").GetProperty("content").GetString());
    }

    [Fact]
    public void Import_WithoutImEnd_ThrowsNamingTheToken()
    {
        using var temp = new TempDirectory();
        string path = WriteQwenLikeTokenizer(temp, withImageVideo: true, withConfig: false, withImEnd: false);

        var e = Assert.Throws<InvalidDataException>(() => TokenizerImporter.Import(path));
        Assert.Contains("<|im_end|>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_MissingFile_ThrowsFileNotFound()
    {
        using var temp = new TempDirectory();

        Assert.Throws<FileNotFoundException>(() => TokenizerImporter.Import(temp.File("nope.json")));
    }

    [Fact]
    public void Write_WithTokenizer_ConfigUsesItsIdsAndVocabularyCoversIt()
    {
        using var temp = new TempDirectory();
        string path = WriteQwenLikeTokenizer(temp, withImageVideo: false, withConfig: true);

        var summary = DemoModelWriter.Write(temp.File("model"), new DemoModelOptions { TokenizerPath = path });

        var config = LlavaOnevisionConfig.Load(Path.Combine(temp.File("model"), "config.json"));
        Assert.Equal((1003, 1004), (config.ImageTokenIndex, config.VideoTokenIndex));
        Assert.Equal(1024, config.Text.VocabSize);
        Assert.Equal(summary.Config, config);
        Assert.Contains("<video>", File.ReadAllText(Path.Combine(temp.File("model"), "tokenizer.json")), StringComparison.Ordinal);
    }

    // A Qwen2-shaped tokenizer.json with 1000 vocabulary entries (ids 0..999) and ChatML tokens at 1000..1002.
    private static string WriteQwenLikeTokenizer(TempDirectory temp, bool withImageVideo, bool withConfig, bool withImEnd = true)
    {
        var bpe = BpeMergeLearner.Learn(DemoCorpus.Text, 1000);
        var tokens = bpe.Tokens.ToList();
        for (int i = 0; tokens.Count < 1000; i++) tokens.Add($"filler{i}");
        var padded = new BpeVocabulary(tokens, bpe.Merges);
        var added = new List<AddedToken> { new(1000, "<|endoftext|>", true), new(1001, "<|im_start|>", true) };
        if (withImEnd) added.Add(new(1002, "<|im_end|>", true));
        if (withImageVideo)
        {
            added.Add(new(1003, "<image>", true));
            added.Add(new(1004, "<video>", true));
        }
        string path = temp.File("tokenizer.json");
        File.WriteAllBytes(path, HfJson.WriteInOrder(DemoTokenizerBuilder.BuildTokenizerJson(padded, added)));
        if (withConfig)
            File.WriteAllBytes(temp.File("tokenizer_config.json"), TokenizerConfigJson.Build(added, "{{ messages }}"));
        return path;
    }
}
