// NFC on the cases that exercise each step: composition, singletons, exclusions, canonical reordering, Hangul,
// astral characters, and the quick check that leaves normalized text alone.
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class UnicodeNormalizationTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]                      // composition
    [InlineData("\u212B", "\u00C5")]                       // singleton (ANGSTROM SIGN)
    [InlineData("\uF900", "\u8C48")]                       // CJK compatibility ideograph (singleton)
    [InlineData("\u0958", "\u0915\u093C")]                 // composition exclusion stays decomposed
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]          // canonical ordering, nothing composes
    [InlineData("d\u0307\u0323", "\u1E0D\u0307")]          // reorder, then the lower mark composes first
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]           // Hangul L V T
    [InlineData("\uAC00\u11A8", "\uAC01")]                 // Hangul LV + T
    [InlineData("\u0301e", "\u0301e")]                     // a leading mark composes with nothing
    [InlineData("a\u0308\u0301", "\u00E4\u0301")]          // second mark of the same class is blocked
    [InlineData("\u0344", "\u0308\u0301")]                 // non-starter decomposition
    [InlineData("\U0001109A", "\U0001109A")]               // astral composite (KAITHI LETTER DDDHA) is NFC
    [InlineData("\U00011099\U000110BA", "\U0001109A")]     // and composes from its parts
    public void TryNormalize_NonNfcText_GivesNfc(string input, string expected)
    {
        bool changed = UnicodeNormalization.TryNormalize(input, out string normalized);
        Assert.Equal(expected, changed ? normalized : input);
        Assert.Equal(expected != input, changed);
    }

    [Theory]
    [InlineData("plain ASCII text")]
    [InlineData("déjà vu, naïve café")]
    [InlineData("中文 日本語 한국어 👩‍💻🇩🇪")]
    [InlineData("𝐀𝐁𝐂 𠀀")]
    public void TryNormalize_NfcText_ReportsUnchanged(string input)
    {
        Assert.False(UnicodeNormalization.TryNormalize(input, out _));
    }
}
