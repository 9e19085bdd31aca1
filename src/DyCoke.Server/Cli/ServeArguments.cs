// The serve verb's command line: ASP.NET Core configuration keys (--Model:Path=..., --urls ...) plus a few short
// aliases for people (--model, --device, --served-model-name, --api-key).
namespace DyCoke.Server.Cli;

internal static class ServeArguments
{
    public const string Verb = "serve";

    private static readonly Dictionary<string, string> s_aliases = new(StringComparer.Ordinal)
    {
        ["--model"] = "--Model:Path",
        ["--device"] = "--Model:Device",
        ["--served-model-name"] = "--Model:ServedModelName",
        ["--max-model-len"] = "--Model:MaxModelLength",
        ["--kv-cache-dtype"] = "--Model:KvCacheDType",
        ["--api-key"] = "--Server:ApiKeys:0",
    };

    /// <summary>True when the words ask for the server: no verb, an option first, or "serve".</summary>
    public static bool IsServe(IReadOnlyList<string> args) =>
        args.Count == 0 || args[0] == Verb || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help"));

    /// <summary>Drops the verb and rewrites aliases (<c>--model DIR</c>, <c>--model=DIR</c>) to configuration keys.</summary>
    public static string[] Normalize(IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count);
        for (int i = args.Count > 0 && args[0] == Verb ? 1 : 0; i < args.Count; i++)
        {
            string arg = args[i];
            int eq = arg.IndexOf('=');
            string name = eq < 0 ? arg : arg[..eq];
            if (s_aliases.TryGetValue(name, out var key))
            {
                result.Add(key);
                if (eq >= 0) result.Add(arg[(eq + 1)..]);
            }
            else result.Add(arg);
        }
        return [.. result];
    }
}
