// The byte-level alphabet of GPT-2-style BPE vocabularies: each of the 256 byte values is spelled by one printable
// character, so vocabulary entries are strings while the model really works on UTF-8 bytes.
namespace DyCoke.Model.Text;

internal static class ByteLevelAlphabet
{
    // [256] byte value -> the character that spells it in tokenizer.json.
    private static readonly char[] s_byteToChar = BuildByteToChar();

    // [324] character -> byte value, or -1 outside the alphabet; the highest character is U+0143.
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>The character that spells <paramref name="value"/> in the vocabulary.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>Maps a vocabulary character back to its byte; false for characters outside the alphabet.</summary>
    public static bool TryToByte(char c, out byte value)
    {
        if (c < s_charToByte.Length && s_charToByte[c] >= 0)
        {
            value = (byte)s_charToByte[c];
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>
    /// The bytes a vocabulary string stands for. A string with any character outside the alphabet (possible for added
    /// tokens only) stands for its own UTF-8 bytes, which is what the Hugging Face ByteLevel decoder does.
    /// </summary>
    public static byte[] ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!TryToByte(token[i], out bytes[i]))
                return System.Text.Encoding.UTF8.GetBytes(token);
        }
        return bytes;
    }

    /// <summary>Spells raw bytes in the alphabet (the form vocabulary keys and merges use).</summary>
    public static string ToVocabularyString(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = s_byteToChar[src[i]];
        });
    }

    // Printable Latin-1 bytes keep their own character; the other 68 bytes (controls, space, DEL, NBSP, soft hyphen)
    // are moved to U+0100 onwards in byte order, so every byte gets a visible, non-whitespace character.
    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[0x144];
        map.AsSpan().Fill(-1);
        for (int b = 0; b < 256; b++) map[s_byteToChar[b]] = (short)b;
        return map;
    }
}
