// Streaming decoding against one-shot decoding: random id sequences (byte tokens that split characters, special
// tokens, unknown ids), and pieces that never carry a half character.
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class IncrementalDetokenizerTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Add_RandomIdSequences_ConcatenationEqualsDecode(int seed, bool skipSpecialTokens)
    {
        var tokenizer = ReferenceTokenizers.Llava;
        var random = new Random(seed);
        int[] byteTokens = SingleByteTokenIds(tokenizer);
        int[] textIds = tokenizer.Encode("日本語テキスト, emoji 👩‍💻🇩🇪, Ārabic مرحبا, ok.");
        for (int sequence = 0; sequence < 300; sequence++)
        {
            int[] ids = new int[random.Next(1, 60)];
            for (int i = 0; i < ids.Length; i++)
            {
                double k = random.NextDouble();
                ids[i] = k < 0.5 ? byteTokens[random.Next(byteTokens.Length)]
                    : k < 0.6 ? random.Next(151643, 151650) // specials, and two ids past the vocabulary
                    : k < 0.8 ? textIds[random.Next(textIds.Length)]
                    : random.Next(0, 151643);
            }
            var detokenizer = tokenizer.CreateDetokenizer(skipSpecialTokens);
            string streamed = string.Concat(ids.Select(detokenizer.Add)) + detokenizer.Flush();
            Assert.Equal(tokenizer.Decode(ids, skipSpecialTokens), streamed);
        }
    }

    [Fact]
    public void Add_CharacterSplitOverByteTokens_HoldsItBackUntilComplete()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        byte[] utf8 = "😀"u8.ToArray();
        int[] ids = utf8.Select(b => ByteTokenId(tokenizer, b)).ToArray();
        var detokenizer = tokenizer.CreateDetokenizer();
        Assert.Equal(["", "", "", "😀"], ids.Select(detokenizer.Add).ToArray());
        Assert.Equal("", detokenizer.Flush());
    }

    [Fact]
    public void Add_ValidText_PiecesNeverContainReplacementCharacters()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        string text = "Ünïcödé 中文测试 😀👍🏽 👩‍👩‍👧‍👦 नमस्ते ﷺ 𝐀𝐁𝐂";
        int[] ids = tokenizer.Encode(text);
        var detokenizer = tokenizer.CreateDetokenizer();
        var pieces = ids.Select(detokenizer.Add).Append(detokenizer.Flush()).ToList();
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(pieces));
    }

    [Fact]
    public void Flush_IncompleteCharacter_GivesReplacementAndResets()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        var detokenizer = tokenizer.CreateDetokenizer();
        Assert.Equal("", detokenizer.Add(ByteTokenId(tokenizer, 0xE4)));
        Assert.Equal("\uFFFD", detokenizer.Flush());
        Assert.Equal("a", detokenizer.Add(ByteTokenId(tokenizer, (byte)'a')));
    }

    [Fact]
    public void Add_SpecialToken_SkippedOrKeptAsAsked()
    {
        var tokenizer = ReferenceTokenizers.Llava;
        Assert.Equal("", tokenizer.CreateDetokenizer(skipSpecialTokens: true).Add(151645));
        Assert.Equal("<|im_end|>", tokenizer.CreateDetokenizer(skipSpecialTokens: false).Add(151645));
    }

    private static int[] SingleByteTokenIds(Qwen2Tokenizer tokenizer) =>
        Enumerable.Range(0, 256).Select(b => ByteTokenId(tokenizer, (byte)b)).ToArray();

    private static int ByteTokenId(Qwen2Tokenizer tokenizer, byte b)
    {
        // The vocabulary spells each byte with one character (ByteLevelAlphabet); its decoding is that one byte.
        for (int id = 0; id < 512; id++)
        {
            ReadOnlySpan<byte> bytes = tokenizer.GetTokenBytes(id, skipSpecialTokens: false);
            if (bytes.Length == 1 && bytes[0] == b) return id;
        }
        throw new InvalidOperationException($"no single-byte token for 0x{b:X2}");
    }
}
