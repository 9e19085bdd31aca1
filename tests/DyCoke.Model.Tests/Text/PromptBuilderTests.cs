// Prompt ids for LLaVA-OneVision: the design's single-turn video layout, placeholder positions for several videos
// and images, and refusal of text that smuggles in a placeholder.
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class PromptBuilderTests
{
    private static PromptBuilder Builder() => new(ReferenceTokenizers.Llava, ChatTemplate.LlavaOnevision);

    [Fact]
    public void Build_SingleVideoQuestion_MatchesTheDesignIds()
    {
        var prompt = Builder().Build([new ChatMessage(ChatRole.User, [new VideoPart(0), new TextPart("What is the man doing?")])]);
        int[] question = ReferenceTokenizers.Llava.Encode("What is the man doing?");
        int[] expected = [151644, 872, 198, 151647, 198, .. question, 151645, 198, 151644, 77091, 198];
        Assert.Equal(expected, prompt.Ids);
        Assert.Equal([new MediaPlaceholder(0, 3)], prompt.Videos);
        Assert.Empty(prompt.Images);
    }

    [Fact]
    public void Build_VideosAcrossMessages_PlaceholdersInOrderWithTheirIndices()
    {
        var messages = new[]
        {
            new ChatMessage(ChatRole.User, [new TextPart("First:"), new VideoPart(1)]),
            ChatMessage.FromText(ChatRole.Assistant, "A dog."),
            new ChatMessage(ChatRole.User, [new VideoPart(0), new ImagePart(0), new TextPart("And these?")]),
        };
        var prompt = Builder().Build(messages);
        Assert.Equal([1, 0], prompt.Videos.Select(v => v.MediaIndex));
        Assert.All(prompt.Videos, v => Assert.Equal(151647, prompt.Ids[v.Position]));
        Assert.Single(prompt.Images);
        Assert.Equal(151646, prompt.Ids[prompt.Images[0].Position]);
        Assert.True(prompt.Images[0].Position < prompt.Videos[1].Position); // images come first within a message
        Assert.Equal(ChatTemplate.LlavaOnevision.Render(messages, true), ReferenceTokenizers.Llava.Decode(prompt.Ids));
    }

    [Fact]
    public void Build_TextContainingPlaceholder_Throws()
    {
        var builder = Builder();
        var e = Assert.Throws<ArgumentException>(() => builder.Build([ChatMessage.FromText(ChatRole.User, "look: <video>")]));
        Assert.Contains("<video>", e.Message);
    }

    [Fact]
    public void Constructor_TokenizerWithoutVideoToken_Throws()
    {
        var qwen = ReferenceTokenizers.Qwen;
        var e = Assert.Throws<ArgumentException>(() => new PromptBuilder(qwen, ChatTemplate.LlavaOnevision));
        Assert.Contains("<video>", e.Message);
    }
}
