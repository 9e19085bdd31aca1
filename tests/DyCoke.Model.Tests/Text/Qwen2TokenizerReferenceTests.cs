// Our tokenizer against Hugging Face's on the real Qwen vocabulary: identical ids and decoded text for every string
// of tests/fixtures/tokenizer/qwen_reference.json (made by tools/reference/tokenizer/make-fixture.mjs).
using System.Security.Cryptography;
using System.Text.Json;
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class Qwen2TokenizerReferenceTests
{
    private static readonly Lazy<JsonDocument> s_fixture = new(() => JsonDocument.Parse(File.ReadAllBytes(
        Path.Combine(ReferenceTokenizers.RepositoryRoot, "tests", "fixtures", "tokenizer", "qwen_reference.json"))));

    private static JsonElement Fixture => s_fixture.Value.RootElement;

    [Fact]
    public void Fixture_TokenizerJson_IsTheFileTheFixtureWasMadeFrom()
    {
        string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ReferenceTokenizers.QwenTokenizerJsonPath)));
        Assert.Equal(Fixture.GetProperty("tokenizerJsonSha256").GetString(), actual);
    }

    [Fact]
    public void Fixture_Corpus_HasAtLeastTwoThousandStrings()
    {
        Assert.True(Fixture.GetProperty("cases").GetArrayLength() >= 2000);
    }

    [Fact]
    public void Encode_EveryReferenceString_GivesHuggingFaceIds()
    {
        var tokenizer = ReferenceTokenizers.Qwen;
        var failures = new List<string>();
        foreach (JsonElement entry in Fixture.GetProperty("cases").EnumerateArray())
        {
            string text = Text(entry);
            int[] expected = Ids(entry.GetProperty("ids"));
            int[] actual = tokenizer.Encode(text);
            if (!expected.AsSpan().SequenceEqual(actual))
                failures.Add($"{Describe(text)}: expected [{string.Join(',', expected)}], got [{string.Join(',', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} strings differ; first ones:\n{string.Join('\n', failures.Take(10))}");
    }

    [Fact]
    public void Decode_EveryReferenceString_GivesHuggingFaceText()
    {
        var tokenizer = ReferenceTokenizers.Qwen;
        var failures = new List<string>();
        foreach (JsonElement entry in Fixture.GetProperty("cases").EnumerateArray())
        {
            // Decoding returns the normalized text: NFC, lone surrogates as U+FFFD.
            string expected = entry.TryGetProperty("decoded", out var decoded) ? decoded.GetString()! : Text(entry);
            string actual = tokenizer.Decode(Ids(entry.GetProperty("ids")));
            if (actual != expected) failures.Add($"{Describe(expected)}: got {Describe(actual)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} strings differ; first ones:\n{string.Join('\n', failures.Take(10))}");
    }

    [Fact]
    public void Decode_RandomIdSequences_GivesHuggingFaceText()
    {
        var tokenizer = ReferenceTokenizers.Qwen;
        int checkedCases = 0;
        foreach (JsonElement entry in Fixture.GetProperty("decodeCases").EnumerateArray())
        {
            int[] ids = Ids(entry.GetProperty("ids"));
            bool skip = entry.GetProperty("skipSpecialTokens").GetBoolean();
            Assert.Equal(entry.GetProperty("text").GetString(), tokenizer.Decode(ids, skip));
            checkedCases++;
        }
        Assert.True(checkedCases >= 100);
    }

    [Fact]
    public void Encode_ManyThreadsAtOnce_GivesTheSameIds()
    {
        var tokenizer = ReferenceTokenizers.Qwen;
        var entries = Fixture.GetProperty("cases").EnumerateArray().Take(400).Select(e => (Text: Text(e), Ids: Ids(e.GetProperty("ids")))).ToArray();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8 * entries.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (text, ids) = entries[i % entries.Length];
            if (!ids.AsSpan().SequenceEqual(tokenizer.Encode(text))) mismatches.Add(Describe(text));
        });
        Assert.Empty(mismatches);
    }

    private static string Text(JsonElement entry)
    {
        if (entry.TryGetProperty("text", out var text)) return text.GetString()!;
        // Strings with lone surrogates are stored as UTF-16 code units: JSON readers refuse such escapes.
        return new string(entry.GetProperty("utf16").EnumerateArray().Select(u => (char)u.GetInt32()).ToArray());
    }

    private static int[] Ids(JsonElement ids) => ids.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    // Printable ASCII as is, everything else as \uXXXX, so lone surrogates and invisible characters show.
    private static string Describe(string s) =>
        "\"" + string.Concat(s.Take(80).Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}")) + (s.Length > 80 ? "...\"" : "\"");
}
