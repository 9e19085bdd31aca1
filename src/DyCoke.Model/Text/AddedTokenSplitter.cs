// Finds added tokens in text before BPE sees it, leftmost-longest like the Hugging Face added vocabulary: at the
// first position where any token matches, the longest one wins.
using System.Buffers;

namespace DyCoke.Model.Text;

internal sealed class AddedTokenSplitter
{
    private readonly SearchValues<char> _firstChars;
    private readonly Dictionary<char, AddedToken[]> _byFirstChar; // candidates per first character, longest first

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
        IsEmpty = _byFirstChar.Count == 0;
    }

    /// <summary>True when there is nothing to match, so callers can skip the scan.</summary>
    public bool IsEmpty { get; }

    /// <summary>
    /// Index of the leftmost added token at or after <paramref name="start"/>, or -1 when there is none.
    /// </summary>
    public int FindNext(ReadOnlySpan<char> text, int start, out AddedToken? token)
    {
        int i = start;
        while (!IsEmpty && i < text.Length)
        {
            int hit = text[i..].IndexOfAny(_firstChars);
            if (hit < 0) break;
            i += hit;
            foreach (AddedToken candidate in _byFirstChar[text[i]])
            {
                if (text[i..].StartsWith(candidate.Content, StringComparison.Ordinal))
                {
                    token = candidate;
                    return i;
                }
            }
            i++;
        }
        token = null;
        return -1;
    }
}
