// Unicode NFC for the tokenizer's normalizer. Our own because string.Normalize does nothing under the solution's
// InvariantGlobalization. Tables come from UnicodeNormalizationData (generated); the algorithm is UAX #15.
using System.Buffers;
using System.Text;

namespace DyCoke.Model.Text;

internal static class UnicodeNormalization
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, byte> s_combiningClass = BuildCombiningClasses();
    private static readonly Dictionary<int, (int First, int Second)> s_decomposition = BuildDecompositions();
    private static readonly Dictionary<long, int> s_composition = BuildCompositions();

    // [65536] true where a BMP character can make a string non-NFC on its own or together with its neighbours.
    private static readonly bool[] s_bmpUnsafe = new bool[0x10000];
    private static readonly HashSet<int> s_astralUnsafe = BuildUnsafeSets();

    /// <summary>
    /// Puts <paramref name="text"/> in Normalization Form C. Returns false when the text already is NFC (then
    /// <paramref name="normalized"/> is meaningless); most text is, and costs one scan. No lone surrogates allowed.
    /// </summary>
    public static bool TryNormalize(ReadOnlySpan<char> text, out string normalized)
    {
        if (IsQuickNfc(text))
        {
            normalized = string.Empty;
            return false;
        }
        normalized = Normalize(text);
        return !text.SequenceEqual(normalized);
    }

    private static bool IsQuickNfc(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x300) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length)
            {
                if (s_astralUnsafe.Contains(char.ConvertToUtf32(c, text[++i]))) return false;
            }
            else if (s_bmpUnsafe[c])
            {
                return false;
            }
        }
        return true;
    }

    private static string Normalize(ReadOnlySpan<char> text)
    {
        // No canonical decomposition is longer than 4 code points, so 4 per UTF-16 unit always suffices.
        int[] buffer = ArrayPool<int>.Shared.Rent(text.Length * 4 + 4); // [code points]
        try
        {
            int n = 0;
            foreach (Rune rune in text.EnumerateRunes()) n = Decompose(rune.Value, buffer, n);
            SortCombiningMarks(buffer.AsSpan(0, n));
            n = Compose(buffer.AsSpan(0, n));
            return string.Create(Utf16Length(buffer.AsSpan(0, n)), (buffer, n), static (dst, state) =>
            {
                int written = 0;
                for (int i = 0; i < state.n; i++) written += new Rune(state.buffer[i]).EncodeToUtf16(dst[written..]);
            });
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private static int Utf16Length(ReadOnlySpan<int> cps)
    {
        int length = 0;
        foreach (int cp in cps) length += cp >= 0x10000 ? 2 : 1;
        return length;
    }

    private static int Decompose(int cp, int[] buffer, int n)
    {
        int s = cp - SBase;
        if ((uint)s < SCount)
        {
            buffer[n++] = LBase + s / NCount;
            buffer[n++] = VBase + s % NCount / TCount;
            if (s % TCount != 0) buffer[n++] = TBase + s % TCount;
            return n;
        }
        if (!s_decomposition.TryGetValue(cp, out var d))
        {
            buffer[n++] = cp;
            return n;
        }
        n = Decompose(d.First, buffer, n);
        return d.Second == 0 ? n : Decompose(d.Second, buffer, n);
    }

    // Canonical ordering: a stable sort of each run of non-starters by combining class.
    private static void SortCombiningMarks(Span<int> cps)
    {
        for (int i = 1; i < cps.Length; i++)
        {
            int ccc = CombiningClass(cps[i]);
            if (ccc == 0) continue;
            for (int j = i; j > 0 && CombiningClass(cps[j - 1]) > ccc; j--)
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
        }
    }

    // Canonical composition: each character joins the last starter unless a character between them is blocking
    // (a starter, or a mark of the same or a higher class). Returns the new length.
    private static int Compose(Span<int> cps)
    {
        if (cps.Length == 0) return 0;
        int starterPos = 0;
        int lastClass = CombiningClass(cps[0]) == 0 ? 0 : 256; // a leading non-starter never composes
        int write = 1;
        for (int read = 1; read < cps.Length; read++)
        {
            int cp = cps[read];
            int ccc = CombiningClass(cp);
            int composite = ComposePair(cps[starterPos], cp);
            if (composite >= 0 && (lastClass < ccc || lastClass == 0))
            {
                cps[starterPos] = composite;
                continue;
            }
            if (ccc == 0) starterPos = write;
            lastClass = ccc;
            cps[write++] = cp;
        }
        return write;
    }

    private static int ComposePair(int first, int second)
    {
        int l = first - LBase, v = second - VBase;
        if ((uint)l < LCount && (uint)v < VCount) return SBase + (l * VCount + v) * TCount;
        int s = first - SBase, t = second - TBase;
        if ((uint)s < SCount && s % TCount == 0 && t is > 0 and < TCount) return first + t;
        return s_composition.TryGetValue(Pack(first, second), out int c) ? c : -1;
    }

    private static int CombiningClass(int cp) => cp < 0x300 ? 0 : s_combiningClass.GetValueOrDefault(cp);

    private static long Pack(int a, int b) => ((long)a << 21) | (uint)b;

    private static Dictionary<int, byte> BuildCombiningClasses()
    {
        var runs = UnicodeNormalizationData.CombiningClassRuns; // [R * 3] first, last, class
        var map = new Dictionary<int, byte>();
        for (int r = 0; r < runs.Length; r += 3)
            for (int cp = runs[r]; cp <= runs[r + 1]; cp++) map[cp] = (byte)runs[r + 2];
        return map;
    }

    private static Dictionary<int, (int, int)> BuildDecompositions()
    {
        var data = UnicodeNormalizationData.Decompositions; // [E * 3] code point, first, second or 0
        var map = new Dictionary<int, (int, int)>(data.Length / 3);
        for (int e = 0; e < data.Length; e += 3) map[data[e]] = (data[e + 1], data[e + 2]);
        return map;
    }

    private static Dictionary<long, int> BuildCompositions()
    {
        var excluded = new HashSet<int>(UnicodeNormalizationData.CompositionExclusions.ToArray());
        var map = new Dictionary<long, int>(PairKeyComparer.Instance);
        foreach (var (cp, (first, second)) in s_decomposition)
        {
            if (second != 0 && !excluded.Contains(cp)) map[Pack(first, second)] = cp;
        }
        return map;
    }

    // Unsafe: a combining mark, the second half of a composition (including Hangul vowels and trailing consonants),
    // or a character that NFC replaces (singletons, exclusions, decompositions that start with a mark).
    private static HashSet<int> BuildUnsafeSets()
    {
        var astral = new HashSet<int>();
        void Mark(int cp)
        {
            if (cp < 0x10000) s_bmpUnsafe[cp] = true;
            else astral.Add(cp);
        }
        foreach (int cp in s_combiningClass.Keys) Mark(cp);
        foreach (long pair in s_composition.Keys) Mark((int)(pair & 0x1FFFFF));
        for (int cp = VBase; cp < VBase + VCount; cp++) Mark(cp);
        for (int cp = TBase + 1; cp < TBase + TCount; cp++) Mark(cp);
        var composites = new HashSet<int>(s_composition.Values);
        foreach (var (cp, (first, _)) in s_decomposition)
        {
            if (!composites.Contains(cp) || CombiningClass(first) != 0) Mark(cp);
        }
        return astral;
    }
}
