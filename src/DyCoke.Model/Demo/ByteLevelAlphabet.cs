// The byte-level BPE alphabet (GPT-2's bytes-to-unicode table, used by Qwen2): every byte maps to one printable
// character, so a token string never holds whitespace or control characters and merges can be written "left right".
using System.Text;

namespace DyCoke.Model.Demo;

internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildTable();

    /// <summary>
    /// The 256 base symbols in vocabulary order: the printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') first, as
    /// themselves, then the remaining bytes in increasing order, mapped to U+0100 onwards. Qwen2 gives them ids 0..255.
    /// </summary>
    public static IReadOnlyList<char> BaseSymbols { get; } = BuildBaseSymbols();

    /// <summary>The character that stands for <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => s_byteToChar[b];

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each replaced by its alphabet character.</summary>
    public static string Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes) sb.Append(s_byteToChar[b]);
        return sb.ToString();
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
            table[b] = IsPrintable(b) ? (char)b : (char)(256 + next++);
        return table;
    }

    private static char[] BuildBaseSymbols()
    {
        var symbols = new List<char>(256);
        for (int b = 0; b < 256; b++)
            if (IsPrintable(b)) symbols.Add((char)b);
        for (int b = 0; b < 256; b++)
            if (!IsPrintable(b)) symbols.Add(s_byteToChar[b]);
        return symbols.ToArray();
    }
}
