// The Qwen2 tokenizer: tokenizer.json's byte-level BPE with its added tokens, NFC normalizer and split regex.
// Encode gives the ids Hugging Face's tokenizers library gives (no BOS, no post-processing); Decode inverts it.
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace DyCoke.Model.Text;

/// <summary>Byte-level BPE tokenizer for Qwen2-family checkpoints (LLaVA-OneVision's language model).</summary>
/// <remarks>Thread-safe: one instance serves all requests.</remarks>
public sealed class Qwen2Tokenizer
{
    private readonly BytePairEncoder _bpe;
    private readonly AddedTokenSplitter _rawAddedTokens;        // matched in the raw text
    private readonly AddedTokenSplitter _normalizedAddedTokens; // matched after NFC
    private readonly Dictionary<string, int> _idsByToken;      // vocabulary and added tokens
    private readonly Dictionary<string, AddedToken> _addedByContent;
    private readonly string?[] _tokens;      // [V] spelled token per id, null for unused ids
    private readonly bool[] _special;        // [V]
    private readonly int[] _byteOffsets;     // [V + 1] start of each token's bytes in _bytes
    private readonly byte[] _bytes;          // [sum of token lengths] the bytes each token stands for
    private readonly SegmentEncoder _encodeRawSegment, _encodeWords;

    private Qwen2Tokenizer(TokenizerDefinition definition)
    {
        _bpe = new BytePairEncoder(definition.Vocabulary, definition.Merges, definition.IgnoreMerges);
        _rawAddedTokens = new AddedTokenSplitter(definition.AddedTokens.Where(t => !t.Normalized));
        _normalizedAddedTokens = new AddedTokenSplitter(definition.AddedTokens.Where(t => t.Normalized));
        AddedTokens = definition.AddedTokens;

        _idsByToken = new Dictionary<string, int>(definition.Vocabulary, StringComparer.Ordinal);
        _addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (AddedToken token in definition.AddedTokens)
        {
            _idsByToken[token.Content] = token.Id;
            _addedByContent[token.Content] = token;
        }

        int vocabSize = Math.Max(definition.Vocabulary.Count == 0 ? 0 : definition.Vocabulary.Values.Max() + 1,
                                 definition.AddedTokens.Count == 0 ? 0 : definition.AddedTokens.Max(t => t.Id) + 1);
        _tokens = new string?[vocabSize];
        _special = new bool[vocabSize];
        foreach (var (token, id) in definition.Vocabulary) _tokens[id] = token;
        foreach (AddedToken token in definition.AddedTokens)
        {
            _tokens[token.Id] = token.Content; // an added token wins over a vocabulary entry with the same id
            _special[token.Id] = token.Special;
        }
        (_byteOffsets, _bytes) = BuildTokenBytes(_tokens);
        _encodeRawSegment = EncodeRawSegment;
        _encodeWords = EncodeWords;
    }

    /// <summary>Number of ids: the highest vocabulary or added-token id + 1.</summary>
    public int VocabSize => _tokens.Length;

    /// <summary>The added tokens, in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Loads <paramref name="path"/>: a tokenizer.json file, or a checkpoint directory that contains one.</summary>
    /// <exception cref="Config.CheckpointException">The file is missing, is not JSON, or uses a model, normalizer,
    /// pre-tokenizer or decoder other than Qwen2's; the message names the file and the field.</exception>
    public static Qwen2Tokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        return new Qwen2Tokenizer(TokenizerJsonReader.Read(file));
    }

    /// <summary>Token ids of <paramref name="text"/>. Added tokens (<c>&lt;|im_start|&gt;</c>, <c>&lt;video&gt;</c>, ...)
    /// written in the text become their ids. Lone surrogates are read as U+FFFD, as UTF-8 conversion does.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> input = ReplaceLoneSurrogates(text);
        var ids = new List<int>(input.Length / 3 + 4);
        SplitOnAddedTokens(input, _rawAddedTokens, ids, _encodeRawSegment);
        return ids.ToArray();
    }

    /// <summary>Text of <paramref name="ids"/>: the UTF-8 decoding of all their bytes, with U+FFFD for invalid
    /// sequences. Ids that name no token are skipped, as Hugging Face does.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens (<c>&lt;|im_end|&gt;</c>, <c>&lt;video&gt;</c>, ...).</param>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        int length = 0;
        foreach (int id in ids) length += GetTokenBytes(id, skipSpecialTokens).Length;
        var bytes = new byte[length];
        int offset = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> token = GetTokenBytes(id, skipSpecialTokens);
            token.CopyTo(bytes.AsSpan(offset));
            offset += token.Length;
        }
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A streaming decoder that turns ids into text pieces as they are generated.</summary>
    public IncrementalDetokenizer CreateDetokenizer(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>Id of a vocabulary entry (byte-level spelling, e.g. "Ġthe") or of an added token.</summary>
    public bool TryGetId(string token, out int id) => _idsByToken.TryGetValue(token, out id);

    /// <summary>The vocabulary spelling or added-token content of <paramref name="id"/>.</summary>
    public bool TryGetToken(int id, [NotNullWhen(true)] out string? token)
    {
        token = (uint)id < (uint)_tokens.Length ? _tokens[id] : null;
        return token is not null;
    }

    /// <summary>The added token whose content is exactly <paramref name="content"/>, such as "&lt;video&gt;".</summary>
    public bool TryGetAddedToken(string content, [NotNullWhen(true)] out AddedToken? token) =>
        _addedByContent.TryGetValue(content, out token);

    /// <summary>True for ids of added tokens flagged special.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>The bytes <paramref name="id"/> stands for; empty for unknown ids and, if asked, special tokens.</summary>
    internal ReadOnlySpan<byte> GetTokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)_tokens.Length || skipSpecialTokens && _special[id]) return default;
        return _bytes.AsSpan(_byteOffsets[id], _byteOffsets[id + 1] - _byteOffsets[id]);
    }

    private void EncodeRawSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (UnicodeNormalization.TryNormalize(segment, out string normalized)) segment = normalized;
        if (_normalizedAddedTokens.IsEmpty) EncodeWords(segment, ids);
        else SplitOnAddedTokens(segment, _normalizedAddedTokens, ids, _encodeWords);
    }

    private void EncodeWords(ReadOnlySpan<char> segment, List<int> ids)
    {
        for (int start = 0; start < segment.Length;)
        {
            int length = Qwen2PreTokenizer.ChunkLength(segment, start);
            _bpe.Encode(segment.Slice(start, length), ids);
            start += length;
        }
    }

    private delegate void SegmentEncoder(ReadOnlySpan<char> segment, List<int> ids);

    private static void SplitOnAddedTokens(ReadOnlySpan<char> text, AddedTokenSplitter splitter, List<int> ids, SegmentEncoder encodeBetween)
    {
        int start = 0;
        while (start < text.Length)
        {
            int hit = splitter.FindNext(text, start, out AddedToken? token);
            int end = hit < 0 ? text.Length : hit;
            if (end > start) encodeBetween(text[start..end], ids);
            if (token is null) break;
            ids.Add(token.Id);
            start = end + token.Content.Length;
        }
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        ReadOnlySpan<char> span = text;
        int i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0 && i < span.Length)
        {
            if (!char.IsHighSurrogate(span[i]) || i + 1 == span.Length || !char.IsLowSurrogate(span[i + 1])) break;
            i += 2;
            int next = span[i..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + next;
        }
        if (i < 0 || i >= span.Length) return text; // only well-formed pairs
        return string.Create(text.Length, text, static (dst, src) =>
        {
            for (int k = 0; k < src.Length; k++)
            {
                char c = src[k];
                if (char.IsHighSurrogate(c) && k + 1 < src.Length && char.IsLowSurrogate(src[k + 1]))
                {
                    dst[k] = c;
                    dst[++k] = src[k];
                }
                else
                {
                    dst[k] = char.IsSurrogate(c) ? '\uFFFD' : c;
                }
            }
        });
    }

    private static (int[] Offsets, byte[] Bytes) BuildTokenBytes(string?[] tokens)
    {
        var offsets = new int[tokens.Length + 1]; // [V + 1]
        var perToken = new byte[tokens.Length][];
        for (int id = 0; id < tokens.Length; id++)
        {
            perToken[id] = tokens[id] is { } token ? ByteLevelAlphabet.ToBytes(token) : [];
            offsets[id + 1] = offsets[id] + perToken[id].Length;
        }
        var bytes = new byte[offsets[^1]];
        for (int id = 0; id < tokens.Length; id++) perToken[id].CopyTo(bytes, offsets[id]);
        return (offsets, bytes);
    }
}
