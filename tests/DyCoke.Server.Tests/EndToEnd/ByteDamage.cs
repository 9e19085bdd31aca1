// Blind fuzzing: valid bodies damaged byte by byte (truncation, deletion, flipped or random bytes, JSON punctuation
// inserted, spans duplicated or swapped). A damaged body that no longer parses must get a 4xx; one that still parses
// may happen to be a valid request, so it only must not get a 5xx.
using System.Text;
using System.Text.Json;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class ByteDamage
{
    private const string Punctuation = "{}[],:\"\\0-e9.tfn ";

    /// <summary>
    /// <paramref name="count"/> damaged copies of <paramref name="valid"/>, deterministic for <paramref name="seed"/>.
    /// Every valid body should cap generation twice (max_tokens and max_completion_tokens) so that damage to one cap
    /// cannot start an unbounded answer.
    /// </summary>
    public static IEnumerable<HostileCase> Cases(string label, string valid, int count, int seed)
    {
        var rng = new Random(seed);
        byte[] original = Encoding.UTF8.GetBytes(valid);
        for (int i = 0; i < count; i++)
        {
            var bytes = new List<byte>(original);
            int edits = 1 + rng.Next(4);
            var applied = new List<string>(edits);
            for (int e = 0; e < edits && bytes.Count > 0; e++) applied.Add(Damage(bytes, rng));
            byte[] body = [.. bytes];
            string name = $"{label} #{i}: {string.Join(", ", applied)}";
            yield return new HostileCase(name, body, HostileCase.Json, MayBeValid: Parses(body));
        }
    }

    private static string Damage(List<byte> bytes, Random rng)
    {
        int at = rng.Next(bytes.Count);
        switch (rng.Next(8))
        {
            case 0:
                bytes.RemoveRange(at, bytes.Count - at);
                return $"truncated at {at}";
            case 1:
                bytes.RemoveAt(at);
                return $"deleted {at}";
            case 2:
                bytes[at] = (byte)rng.Next(32, 127);
                return $"printable at {at}";
            case 3:
                bytes[at] = (byte)rng.Next(256);
                return $"random byte at {at}";
            case 4:
                bytes[at] ^= (byte)(1 << rng.Next(8));
                return $"bit flip at {at}";
            case 5:
                bytes.Insert(at, (byte)Punctuation[rng.Next(Punctuation.Length)]);
                return $"punctuation at {at}";
            case 6:
            {
                int length = Math.Min(1 + rng.Next(40), bytes.Count - at);
                bytes.InsertRange(at, bytes.GetRange(at, length));
                return $"duplicated {length} at {at}";
            }
            default:
            {
                int other = rng.Next(bytes.Count);
                (bytes[at], bytes[other]) = (bytes[other], bytes[at]);
                return $"swapped {at} and {other}";
            }
        }
    }

    /// <summary>True when the bytes are one JSON value the server's parser would read (same depth limit).</summary>
    private static bool Parses(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
