// Qwen2's pre-tokenizer split, hand-written: cuts text into the chunks that BPE merges within. It reproduces the
// Hugging Face (Oniguruma) semantics of the regex below exactly, which .NET's Regex cannot: .NET matches \p{L} per
// UTF-16 unit (so astral letters would not count) and the reference folds case with Unicode rules ('ſ' matches 's').
using System.Globalization;

namespace DyCoke.Model.Text;

internal static class Qwen2PreTokenizer
{
    /// <summary>The Split pattern of Qwen2's tokenizer.json (as the JSON string value, after unescaping).</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private enum CharClass : byte
    {
        Letter,   // \p{L}
        Number,   // \p{N}
        Newline,  // \r or \n (also whitespace)
        Space,    // any other \s (Unicode White_Space)
        Other,    // everything else, including U+FFFD
    }

    // [128] class of each ASCII character.
    private static readonly CharClass[] s_ascii = BuildAsciiClasses();

    /// <summary>
    /// Length in UTF-16 units of the chunk that starts at <paramref name="start"/>: the regex match the alternation
    /// above finds there (the alternatives are tried in order; every position matches one, so chunks tile the text).
    /// </summary>
    public static int ChunkLength(ReadOnlySpan<char> text, int start)
    {
        char first = text[start];
        if (first == '\'')
        {
            int contraction = ContractionLength(text, start);
            if (contraction > 0) return contraction;
        }

        CharClass cls = Classify(text, start, out int width);
        int next = start + width;
        // [^\r\n\p{L}\p{N}]?\p{L}+  (the optional prefix is greedy, so try it first)
        if (cls is CharClass.Space or CharClass.Other && next < text.Length && Classify(text, next, out _) == CharClass.Letter)
            return SkipClass(text, next, CharClass.Letter) - start;
        if (cls == CharClass.Letter) return SkipClass(text, start, CharClass.Letter) - start;
        // \p{N}
        if (cls == CharClass.Number) return width;
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        if (first == ' ' && next < text.Length && Classify(text, next, out _) == CharClass.Other)
            return SkipNewlines(text, SkipClass(text, next, CharClass.Other)) - start;
        if (cls == CharClass.Other) return SkipNewlines(text, SkipClass(text, start, CharClass.Other)) - start;
        return WhitespaceChunkLength(text, start);
    }

    // The whitespace alternatives. Every White_Space character is in the BMP, so one character is one unit here.
    private static int WhitespaceChunkLength(ReadOnlySpan<char> text, int start)
    {
        int end = start, lastNewline = -1;
        while (end < text.Length && IsWhitespace(text[end]))
        {
            if (text[end] is '\r' or '\n') lastNewline = end;
            end++;
        }
        // \s*[\r\n]+ : backtracks to the last line break in the run.
        if (lastNewline >= 0) return lastNewline + 1 - start;
        // \s+(?!\S) : the whole run at the end of the text, else the run minus its last character, which must stay
        // to prefix the next word; \s+ takes a single space before a non-space.
        if (end == text.Length || end - start == 1) return end - start;
        return end - 1 - start;
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d) with Unicode simple case folding: the only non-ASCII character that folds to one
    // of these letters is U+017F LATIN SMALL LETTER LONG S.
    private static int ContractionLength(ReadOnlySpan<char> text, int start)
    {
        if (start + 1 >= text.Length) return 0;
        char a = text[start + 1];
        char b = start + 2 < text.Length ? (char)(text[start + 2] | 0x20) : '\0';
        switch (a is < 'A' or > 'Z' ? a : (char)(a | 0x20))
        {
            case 's' or 't' or 'm' or 'd' or '\u017F':
                return 2;
            case 'r' or 'v' when b == 'e':
                return 3;
            case 'l' when b == 'l':
                return 3;
            default:
                return 0;
        }
    }

    private static int SkipClass(ReadOnlySpan<char> text, int i, CharClass cls)
    {
        while (i < text.Length && Classify(text, i, out int width) == cls) i += width;
        return i;
    }

    private static int SkipNewlines(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && text[i] is '\r' or '\n') i++;
        return i;
    }

    private static CharClass Classify(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c < 0x80) return s_ascii[c];
        UnicodeCategory category;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]));
        }
        else
        {
            if (char.IsWhiteSpace(c)) return CharClass.Space;
            category = CharUnicodeInfo.GetUnicodeCategory(c);
        }
        return FromCategory(category);
    }

    private static CharClass FromCategory(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
        _ => CharClass.Other,
    };

    // char.IsWhiteSpace is exactly Unicode White_Space (Zs, Zl, Zp, U+0009..U+000D, U+0085), which is what the
    // reference's \s means; JavaScript's \s differs (it adds U+FEFF and drops U+0085).
    private static bool IsWhitespace(char c) => c < 0x80 ? s_ascii[c] is CharClass.Space or CharClass.Newline : char.IsWhiteSpace(c);

    private static CharClass[] BuildAsciiClasses()
    {
        var table = new CharClass[128];
        for (int c = 0; c < 128; c++)
        {
            table[c] = c is '\r' or '\n' ? CharClass.Newline
                : char.IsWhiteSpace((char)c) ? CharClass.Space
                : FromCategory(CharUnicodeInfo.GetUnicodeCategory((char)c));
        }
        return table;
    }
}
