// The prompt-side message model: what the server hands the chat template once an OpenAI request is parsed and its
// media fetched. No wire (JSON) type crosses into this namespace.
namespace DyCoke.Model.Text;

/// <summary>Who speaks in a chat turn; rendered as "system", "user" or "assistant".</summary>
public enum ChatRole
{
    System,
    User,
    Assistant,
}

/// <summary>One item of a message's content, kept in the order the client sent it.</summary>
public abstract record ChatContentPart;

/// <summary>Plain text.</summary>
public sealed record TextPart(string Text) : ChatContentPart
{
    public string Text { get; } = Text ?? throw new ArgumentNullException(nameof(Text));
}

/// <summary>A video; <paramref name="VideoIndex"/> identifies it among the request's decoded videos.</summary>
public sealed record VideoPart(int VideoIndex) : ChatContentPart
{
    public int VideoIndex { get; } = VideoIndex >= 0 ? VideoIndex : throw new ArgumentOutOfRangeException(nameof(VideoIndex), VideoIndex, "must be >= 0");
}

/// <summary>An image; <paramref name="ImageIndex"/> identifies it among the request's decoded images.</summary>
public sealed record ImagePart(int ImageIndex) : ChatContentPart
{
    public int ImageIndex { get; } = ImageIndex >= 0 ? ImageIndex : throw new ArgumentOutOfRangeException(nameof(ImageIndex), ImageIndex, "must be >= 0");
}

/// <summary>One chat turn.</summary>
/// <param name="Role">The speaker.</param>
/// <param name="Content">Text and media parts in client order (the template decides where media go).</param>
public sealed record ChatMessage(ChatRole Role, IReadOnlyList<ChatContentPart> Content)
{
    public IReadOnlyList<ChatContentPart> Content { get; } = Content ?? throw new ArgumentNullException(nameof(Content));

    /// <summary>A message whose content is one text part (OpenAI's plain-string content).</summary>
    public static ChatMessage FromText(ChatRole role, string text) => new(role, [new TextPart(text)]);
}
