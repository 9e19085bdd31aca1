// Minimal "--name value" option parsing shared by the benchmark verbs.
namespace DyCoke.Bench;

/// <summary>Options of one verb: every argument must be a known "--name value" pair.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args, params string[] known)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || Array.IndexOf(known, name[2..]) < 0)
                throw new ArgumentException($"unknown option '{name}' (known: {string.Join(", ", known.Select(k => "--" + k))})");
            if (i + 1 >= args.Length) throw new ArgumentException($"option '{name}' needs a value");
            _values[name[2..]] = args[++i];
        }
    }

    public int Int(string name, int fallback)
    {
        if (!_values.TryGetValue(name, out string? text)) return fallback;
        if (!int.TryParse(text, out int value) || value < 1)
            throw new ArgumentException($"--{name} expects a positive integer, got '{text}'");
        return value;
    }

    public string? String(string name) => _values.GetValueOrDefault(name);
}
