// Streaming detokenization: ids arrive one at a time during generation and text leaves in pieces that never split
// a UTF-8 character, even though a byte-level token may end in the middle of one.
using System.Text;

namespace DyCoke.Model.Text;

/// <summary>
/// Turns a stream of token ids into text pieces. The concatenation of every piece returned by <see cref="Add"/> and
/// the final <see cref="Flush"/> equals <see cref="Qwen2Tokenizer.Decode"/> of all the ids at once.
/// </summary>
/// <remarks>One instance per generated sequence; not thread-safe.</remarks>
public sealed class IncrementalDetokenizer
{
    private readonly Qwen2Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    // The decoder keeps an incomplete trailing sequence (at most 3 bytes) until the next token completes or breaks
    // it; invalid input becomes U+FFFD exactly as one-shot decoding would, whatever the chunking.
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64]; // [capacity] scratch for decoded characters

    internal IncrementalDetokenizer(Qwen2Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Feeds one id; returns the text it completes (often empty while a character is still partial).
    /// Special tokens give nothing when the detokenizer skips them; unknown ids give nothing.</summary>
    public string Add(int id) => Decode(_tokenizer.GetTokenBytes(id, _skipSpecialTokens), flush: false);

    /// <summary>Feeds several ids; returns the text they complete.</summary>
    public string Add(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(Add(id));
        return sb.ToString();
    }

    /// <summary>Ends the stream: returns what is still held back (an incomplete character becomes U+FFFD) and
    /// resets the detokenizer for reuse.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        if (bytes.IsEmpty && !flush) return string.Empty;
        int count = _decoder.GetCharCount(bytes, flush);
        if (count > _chars.Length) _chars = new char[Math.Max(count, 2 * _chars.Length)];
        int written = _decoder.GetChars(bytes, _chars, flush);
        return written == 0 ? string.Empty : new string(_chars, 0, written);
    }
}
