// A minimal Dockerfile reader for the tests: joins continuation lines, drops comments, and splits the instructions
// into the global ARGs and the build stages (base image, stage name, instructions).
namespace DyCoke.Deploy.Tests;

/// <summary>One instruction: the upper-case keyword and the rest of the (joined) line.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>One build stage: FROM's image, its AS name, and the instructions after FROM.</summary>
internal sealed record DockerStage(string BaseImage, string Name, IReadOnlyList<DockerInstruction> Instructions)
{
    /// <summary>The arguments of every instruction with <paramref name="keyword"/>.</summary>
    public IEnumerable<string> All(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>The arguments of the only instruction with <paramref name="keyword"/>.</summary>
    public string Single(string keyword) => Xunit.Assert.Single(All(keyword));

    /// <summary>The ENV variables set in this stage (KEY=VALUE pairs, possibly several per instruction).</summary>
    public Dictionary<string, string> Environment() => All("ENV")
        .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(pair => pair.Split('=', 2))
        .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1].Trim('"') : "", StringComparer.Ordinal);
}

/// <summary>A parsed Dockerfile.</summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyDictionary<string, string> globalArgs, IReadOnlyList<DockerStage> stages)
    {
        GlobalArgs = globalArgs;
        Stages = stages;
    }

    /// <summary>ARGs before the first FROM, with their default values ("" when none).</summary>
    public IReadOnlyDictionary<string, string> GlobalArgs { get; }

    /// <summary>The stages in file order (the last is what a build without --target produces).</summary>
    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage named <paramref name="name"/>.</summary>
    public DockerStage Stage(string name) => Xunit.Assert.Single(Stages, s => s.Name == name);

    /// <summary>Parses Dockerfile text.</summary>
    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        string pending = "";
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0) continue;
            bool continues = line.EndsWith('\\');
            pending += (pending.Length > 0 ? " " : "") + (continues ? line[..^1] : line).Trim();
            if (continues) continue;
            int space = pending.IndexOf(' ');
            instructions.Add(new DockerInstruction(pending[..space].ToUpperInvariant(), pending[(space + 1)..].Trim()));
            pending = "";
        }

        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string baseImage = "", name = "";
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                if (current is not null) stages.Add(new DockerStage(baseImage, name, current));
                string[] words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                baseImage = words[0];
                name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : "";
                current = [];
            }
            else if (current is null)
            {
                Xunit.Assert.Equal("ARG", instruction.Keyword);
                string[] kv = instruction.Arguments.Split('=', 2);
                globals[kv[0]] = kv.Length > 1 ? kv[1] : "";
            }
            else current.Add(instruction);
        }
        if (current is not null) stages.Add(new DockerStage(baseImage, name, current));
        return new Dockerfile(globals, stages);
    }
}
