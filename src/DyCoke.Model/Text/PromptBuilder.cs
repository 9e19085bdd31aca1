// Chat messages -> the ids the engine runs on: renders the chat template, tokenizes the whole prompt as Hugging Face
// does, and records where each video's (and image's) placeholder id landed.

namespace DyCoke.Model.Text;

/// <summary>Builds <see cref="TokenizedPrompt"/>s for LLaVA-OneVision.</summary>
public sealed class PromptBuilder
{
    private readonly Qwen2Tokenizer _tokenizer;
    private readonly ChatTemplate _template;

    /// <summary>Creates a builder over a checkpoint's tokenizer and chat template.</summary>
    /// <exception cref="ArgumentException">The tokenizer lacks the <c>&lt;video&gt;</c> or <c>&lt;image&gt;</c>
    /// added token that LLaVA-OneVision checkpoints define.</exception>
    public PromptBuilder(Qwen2Tokenizer tokenizer, ChatTemplate template)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _template = template ?? throw new ArgumentNullException(nameof(template));
        VideoTokenId = RequireAddedToken("<video>");
        ImageTokenId = RequireAddedToken("<image>");
    }

    /// <summary>Id of the <c>&lt;video&gt;</c> placeholder (151647 in LLaVA-OneVision checkpoints).</summary>
    public int VideoTokenId { get; }

    /// <summary>Id of the <c>&lt;image&gt;</c> placeholder (151646 in LLaVA-OneVision checkpoints).</summary>
    public int ImageTokenId { get; }

    /// <summary>Renders and tokenizes <paramref name="messages"/>.</summary>
    /// <param name="messages">The conversation, oldest first.</param>
    /// <param name="addGenerationPrompt">Append the assistant turn opener the model continues from.</param>
    /// <exception cref="ArgumentException">A message's text contains the literal placeholder text "&lt;video&gt;" or
    /// "&lt;image&gt;", which would tokenize into a placeholder with no media behind it.</exception>
    public TokenizedPrompt Build(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        string text = _template.Render(messages, addGenerationPrompt);
        int[] ids = _tokenizer.Encode(text);

        // The template's media order: message by message, images before videos, each kind in content order.
        var videoIndices = messages.SelectMany(m => m.Content.OfType<VideoPart>()).Select(p => p.VideoIndex).ToList();
        var imageIndices = messages.SelectMany(m => m.Content.OfType<ImagePart>()).Select(p => p.ImageIndex).ToList();
        var videos = Place(ids, VideoTokenId, videoIndices, "<video>");
        var images = Place(ids, ImageTokenId, imageIndices, "<image>");
        return new TokenizedPrompt(ids, videos, images);
    }

    private static List<MediaPlaceholder> Place(int[] ids, int placeholderId, List<int> mediaIndices, string placeholderText)
    {
        var placed = new List<MediaPlaceholder>(mediaIndices.Count);
        for (int position = 0; position < ids.Length; position++)
        {
            if (ids[position] != placeholderId) continue;
            if (placed.Count == mediaIndices.Count) break;
            placed.Add(new MediaPlaceholder(mediaIndices[placed.Count], position));
        }
        int found = ids.Count(id => id == placeholderId);
        if (found != mediaIndices.Count)
        {
            throw new ArgumentException(
                $"the prompt has {found} '{placeholderText}' tokens for {mediaIndices.Count} media parts: message text must not contain '{placeholderText}'",
                "messages");
        }
        return placed;
    }

    private int RequireAddedToken(string content) =>
        _tokenizer.TryGetAddedToken(content, out AddedToken? token)
            ? token.Id
            : throw new ArgumentException($"the tokenizer has no '{content}' added token; LLaVA-OneVision checkpoints define it in tokenizer.json", "tokenizer");
}
