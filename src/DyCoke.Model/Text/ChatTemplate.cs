// Renders chat messages into prompt text exactly as the checkpoint's Jinja chat template does. Not a Jinja engine:
// the checkpoint's template is checked at load against the known LLaVA-OneVision template, and an unknown one is a
// start-up error naming the file, never a silently different prompt.
using System.Text;
using System.Text.Json;
using DyCoke.Model.Config;

namespace DyCoke.Model.Text;

/// <summary>The LLaVA-OneVision chat template (llava-onevision.md §5).</summary>
public sealed class ChatTemplate
{
    private static readonly string s_knownCanonical = ChatTemplateCanonicalizer.Canonicalize(KnownChatTemplates.LlavaOnevision);

    private ChatTemplate(string source) => Source = source;

    /// <summary>The built-in LLaVA-OneVision template, for callers without a checkpoint directory.</summary>
    public static ChatTemplate LlavaOnevision { get; } = new("built-in LLaVA-OneVision template");

    /// <summary>The exact template text the built-in renderer reproduces (what a checkpoint writer should save).</summary>
    public static string LlavaOnevisionTemplateText => KnownChatTemplates.LlavaOnevision;

    /// <summary>Where the template came from: a file path or "built-in ...".</summary>
    public string Source { get; }

    /// <summary>
    /// Loads and checks the processor chat template of a checkpoint directory: chat_template.jinja if present,
    /// else the "chat_template" string of chat_template.json.
    /// </summary>
    /// <exception cref="CheckpointException">No template file, a malformed file, or a template that differs from the
    /// LLaVA-OneVision one; the message names the file.</exception>
    public static ChatTemplate FromCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja)) return Parse(File.ReadAllText(jinja), jinja);
        string json = Path.Combine(directory, "chat_template.json");
        if (!File.Exists(json)) throw new CheckpointException(json, null, "not found (nor chat_template.jinja); the LLaVA-OneVision processor template is required");
        string? text;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(json));
            text = document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("chat_template", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new CheckpointException(json, null, $"not valid JSON: {e.Message}", e);
        }
        return Parse(text ?? throw new CheckpointException(json, "chat_template", "missing or not a string"), json);
    }

    /// <summary>Accepts <paramref name="template"/> if it renders like the LLaVA-OneVision template.</summary>
    /// <param name="template">Jinja template text.</param>
    /// <param name="source">File it came from, for error messages.</param>
    /// <exception cref="CheckpointException">The template is malformed or is not the LLaVA-OneVision template.</exception>
    public static ChatTemplate Parse(string template, string source)
    {
        ArgumentNullException.ThrowIfNull(template);
        string canonical;
        try
        {
            canonical = ChatTemplateCanonicalizer.Canonicalize(template);
        }
        catch (FormatException e)
        {
            throw new CheckpointException(source, "chat_template", $"not a readable Jinja template: {e.Message}", e);
        }
        if (canonical != s_knownCanonical)
        {
            throw new CheckpointException(source, "chat_template",
                "differs from the LLaVA-OneVision template this server renders (see KnownChatTemplates.cs); first difference near "
                + $"'{Excerpt(canonical, FirstDifference(canonical, s_knownCanonical))}'");
        }
        return new ChatTemplate(source);
    }

    /// <summary>
    /// The prompt text: per message <c>&lt;|im_start|&gt;role\n</c>, one <c>&lt;image&gt;\n</c> per image, then one
    /// <c>&lt;video&gt;\n</c> per video (whatever their position among the parts), then the texts concatenated, then
    /// <c>&lt;|im_end|&gt;\n</c>; with <paramref name="addGenerationPrompt"/>, <c>&lt;|im_start|&gt;assistant\n</c>.
    /// No system prompt is added.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        foreach (ChatMessage message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            sb.Append("<|im_start|>").Append(RoleName(message.Role)).Append('\n');
            foreach (var _ in message.Content.OfType<ImagePart>()) sb.Append("<image>\n");
            foreach (var _ in message.Content.OfType<VideoPart>()) sb.Append("<video>\n");
            foreach (TextPart part in message.Content.OfType<TextPart>()) sb.Append(part.Text);
            sb.Append("<|im_end|>\n");
        }
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    private static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown chat role"),
    };

    private static int FirstDifference(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private static string Excerpt(string canonical, int at)
    {
        int start = Math.Max(0, at - 20);
        return canonical.Substring(start, Math.Min(60, canonical.Length - start)).Replace('\u0001', ' ').Replace("\n", "\\n");
    }
}
