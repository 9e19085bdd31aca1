// The hand-written split against chunkings read off Hugging Face's pre-tokenizer (Rust, Oniguruma) for the cases
// where a naive translation goes wrong: astral letters, Unicode whitespace, case-folded contractions, backtracking.
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class Qwen2PreTokenizerTests
{
    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("it's IT'S", new[] { "it", "'s", " IT", "'S" })]
    [InlineData("x'ſt", new[] { "x", "'ſ", "t" })]
    [InlineData("x'Ll", new[] { "x", "'Ll" })]
    [InlineData("x'\u212Aa", new[] { "x", "'\u212Aa" })]
    [InlineData("12 345", new[] { "1", "2", " ", "3", "4", "5" })]
    [InlineData("a  \u0085b", new[] { "a", "  ", "\u0085b" })]
    [InlineData("a\uFEFF b", new[] { "a", "\uFEFF", " b" })]
    [InlineData("a\u0301b", new[] { "a", "\u0301b" })]
    [InlineData("𝐀𝐁 abc", new[] { "𝐀𝐁", " abc" })]
    [InlineData("𝟘𝟙", new[] { "𝟘", "𝟙" })]
    [InlineData("foo();\n\n  bar", new[] { "foo", "();\n\n", " ", " bar" })]
    [InlineData("a \n\n b", new[] { "a", " \n\n", " b" })]
    [InlineData("end   ", new[] { "end", "   " })]
    [InlineData("\t\tx", new[] { "\t", "\tx" })]
    [InlineData(" !!!\r\nx", new[] { " !!!\r\n", "x" })]
    [InlineData("中文，测试", new[] { "中文", "，测试" })]
    public void ChunkLength_Text_SplitsLikeHuggingFace(string text, string[] expected)
    {
        var chunks = new List<string>();
        for (int i = 0; i < text.Length;)
        {
            int length = Qwen2PreTokenizer.ChunkLength(text, i);
            Assert.True(length > 0);
            chunks.Add(text.Substring(i, length));
            i += length;
        }
        Assert.Equal(expected, chunks);
    }
}
