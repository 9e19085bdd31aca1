// Learns byte-level BPE merges from a text, greedily: repeatedly merge the most frequent adjacent pair of symbols.
// Deterministic by construction (ordinal sorting everywhere, ties broken by the pair's strings), so the demo
// vocabulary never depends on dictionary enumeration order or the platform.
using System.Text;
using System.Text.RegularExpressions;

namespace DyCoke.Model.Demo;

/// <summary>The result of training: token strings in id order (the 256 base symbols first) and the merges by rank.</summary>
internal sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges);

internal static class BpeMergeLearner
{
    /// <summary>
    /// Qwen2's pre-tokenizer split pattern (contractions, letter runs with one optional leading non-letter, single
    /// digits, punctuation runs, newline runs, spaces). Training splits the text the same way the tokenizer will.
    /// </summary>
    public const string Qwen2SplitPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Learns up to <paramref name="maxMerges"/> merges from <paramref name="text"/>. Stops early when no pair occurs
    /// at least twice (a merge seen once teaches nothing). Ties in frequency go to the ordinally smallest
    /// (left, right) pair.
    /// </summary>
    public static BpeVocabulary Learn(string text, int maxMerges)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMerges);
        var tokens = new List<string>(ByteLevelAlphabet.BaseSymbols.Count + maxMerges);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (char c in ByteLevelAlphabet.BaseSymbols) AddToken(tokens, ids, c.ToString());

        var words = CountWords(text, ids);
        var merges = new List<(string, string)>(maxMerges);
        while (merges.Count < maxMerges)
        {
            var best = FindBestPair(words, tokens);
            if (best is not { } pair) break;
            string merged = tokens[pair.Left] + tokens[pair.Right];
            int mergedId = ids.TryGetValue(merged, out int existing) ? existing : AddToken(tokens, ids, merged);
            merges.Add((tokens[pair.Left], tokens[pair.Right]));
            foreach (var word in words) ApplyMerge(word.Symbols, pair.Left, pair.Right, mergedId);
        }
        return new BpeVocabulary(tokens, merges);
    }

    private sealed record Word(List<int> Symbols, int Count);

    private static int AddToken(List<string> tokens, Dictionary<string, int> ids, string token)
    {
        ids.Add(token, tokens.Count);
        tokens.Add(token);
        return tokens.Count - 1;
    }

    // Distinct pre-tokenized chunks with their counts, in ordinal order of the chunk text.
    private static List<Word> CountWords(string text, Dictionary<string, int> ids)
    {
        string normalized = text.ReplaceLineEndings("\n").Normalize(NormalizationForm.FormC);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(normalized, Qwen2SplitPattern, RegexOptions.CultureInvariant))
        {
            string chunk = ByteLevelAlphabet.Encode(m.Value);
            counts[chunk] = counts.TryGetValue(chunk, out int n) ? n + 1 : 1;
        }
        var words = new List<Word>(counts.Count);
        foreach (var (chunk, count) in counts)
        {
            var symbols = new List<int>(chunk.Length);
            foreach (char c in chunk) symbols.Add(ids[c.ToString()]);
            words.Add(new Word(symbols, count));
        }
        return words;
    }

    private static (int Left, int Right)? FindBestPair(List<Word> words, List<string> tokens)
    {
        var pairCounts = new Dictionary<(int, int), long>();
        foreach (var word in words)
        {
            for (int i = 0; i + 1 < word.Symbols.Count; i++)
            {
                var key = (word.Symbols[i], word.Symbols[i + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + word.Count;
            }
        }

        (int, int)? best = null;
        long bestCount = 0;
        foreach (var (pair, count) in pairCounts)
        {
            if (count < 2 || count < bestCount) continue;
            if (count > bestCount || ComparePairs(pair, best!.Value, tokens) < 0)
            {
                best = pair;
                bestCount = count;
            }
        }
        return best;
    }

    private static int ComparePairs((int Left, int Right) a, (int Left, int Right) b, List<string> tokens)
    {
        int c = string.CompareOrdinal(tokens[a.Left], tokens[b.Left]);
        return c != 0 ? c : string.CompareOrdinal(tokens[a.Right], tokens[b.Right]);
    }

    // Left to right, non-overlapping: "a a a" with merge (a, a) becomes "aa a", as BPE encoding would do it.
    private static void ApplyMerge(List<int> symbols, int left, int right, int merged)
    {
        int write = 0;
        for (int read = 0; read < symbols.Count; read++)
        {
            if (read + 1 < symbols.Count && symbols[read] == left && symbols[read + 1] == right)
            {
                symbols[write++] = merged;
                read++;
            }
            else
            {
                symbols[write++] = symbols[read];
            }
        }
        symbols.RemoveRange(write, symbols.Count - write);
    }
}
