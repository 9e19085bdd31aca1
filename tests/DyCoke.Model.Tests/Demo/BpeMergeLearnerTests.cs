// Merge learning on tiny texts whose merges can be worked out by hand, plus the byte-level alphabet it builds on.
using DyCoke.Model.Demo;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class BpeMergeLearnerTests
{
    [Fact]
    public void Learn_RepeatedWord_MergesMostFrequentPairFirstThenStops()
    {
        // Chunks: "ab", " ab", " ab" → (a,b) ×3, (Ġ,a) ×2. After "a b": (Ġ,ab) ×2. Then nothing occurs twice.
        var bpe = BpeMergeLearner.Learn("ab ab ab", 10);

        Assert.Equal([("a", "b"), ("Ġ", "ab")], bpe.Merges);
        Assert.Equal(258, bpe.Tokens.Count);
        Assert.Equal("ab", bpe.Tokens[256]);
        Assert.Equal("Ġab", bpe.Tokens[257]);
    }

    [Fact]
    public void Learn_TiedCounts_OrdinallySmallerPairFirst()
    {
        // (z,w), (x,y) and (Ġ,x) all occur twice; 'x' < 'z' < 'Ġ', so (x,y) wins although (z,w) comes first in the text.
        var bpe = BpeMergeLearner.Learn("zw xy zw xy", 10);

        Assert.Equal(("x", "y"), bpe.Merges[0]);
        Assert.Equal(("z", "w"), bpe.Merges[1]);
    }

    [Fact]
    public void Learn_MaxMerges_Respected()
    {
        var bpe = BpeMergeLearner.Learn(DemoCorpus.Text, 7);

        Assert.Equal(7, bpe.Merges.Count);
        Assert.Equal(256 + 7, bpe.Tokens.Count);
    }

    [Fact]
    public void Learn_RunOfOneSymbol_MergesLeftToRightWithoutOverlap()
    {
        // "aaa" twice: pairs (a,a) ×4 → "aa a"; then (aa,a) ×2 → "aaa".
        var bpe = BpeMergeLearner.Learn("aaa\naaa", 10);

        Assert.Equal(("a", "a"), bpe.Merges[0]);
        Assert.Equal(("aa", "a"), bpe.Merges[1]);
    }

    [Fact]
    public void Learn_CrLfText_SameMergesAsLf()
    {
        var lf = BpeMergeLearner.Learn("one line\ntwo lines\nthree lines\n", 20);
        var crlf = BpeMergeLearner.Learn("one line\r\ntwo lines\r\nthree lines\r\n", 20);

        Assert.Equal(lf.Merges, crlf.Merges);
    }

    [Fact]
    public void ByteLevelAlphabet_MapsEveryByteToADistinctVisibleChar()
    {
        var chars = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b)).ToList();

        Assert.Equal(256, chars.Distinct().Count());
        Assert.All(chars, c => Assert.False(char.IsWhiteSpace(c) || char.IsControl(c), $"U+{(int)c:X4} is not visible"));
        Assert.Equal('Ġ', ByteLevelAlphabet.ToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.ToChar((byte)'\n'));
        Assert.Equal('A', ByteLevelAlphabet.ToChar((byte)'A'));
        Assert.Equal(chars.Order(), ByteLevelAlphabet.BaseSymbols.Order());
        Assert.Equal("Ġcaf\u00C3\u00A9", ByteLevelAlphabet.Encode(" café"));
    }
}
