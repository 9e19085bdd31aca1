// The chat template renderer against the LLaVA-OneVision template's documented output, and the load-time check that
// accepts equivalent spellings of the template and rejects any other template with the file named.
using DyCoke.Model.Config;
using DyCoke.Model.Text;
using Xunit;

namespace DyCoke.Model.Tests.Text;

public sealed class ChatTemplateTests : IDisposable
{
    // The checkpoint folders the FromCheckpoint tests write, removed after each test.
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dycoke-template-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly ChatTemplate s_template = ChatTemplate.LlavaOnevision;

    [Fact]
    public void Render_SingleTurnVideoQuestion_MatchesTheDesignPrompt()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, [new VideoPart(0), new TextPart("What happens?")]) };
        Assert.Equal("<|im_start|>user\n<video>\nWhat happens?<|im_end|>\n<|im_start|>assistant\n", s_template.Render(messages, addGenerationPrompt: true));
    }

    [Fact]
    public void Render_MediaAfterText_ImagesThenVideosThenText()
    {
        var messages = new[]
        {
            new ChatMessage(ChatRole.User, [new TextPart("Compare "), new VideoPart(0), new TextPart("these."), new ImagePart(0), new VideoPart(1)]),
        };
        Assert.Equal("<|im_start|>user\n<image>\n<video>\n<video>\nCompare these.<|im_end|>\n", s_template.Render(messages, addGenerationPrompt: false));
    }

    [Fact]
    public void Render_MultiTurnWithSystem_NoDefaultSystemPrompt()
    {
        var messages = new[]
        {
            ChatMessage.FromText(ChatRole.System, "Be brief."),
            ChatMessage.FromText(ChatRole.User, "Hi"),
            ChatMessage.FromText(ChatRole.Assistant, "Hello."),
            ChatMessage.FromText(ChatRole.User, "Bye"),
        };
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            s_template.Render(messages, addGenerationPrompt: true));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", s_template.Render([ChatMessage.FromText(ChatRole.User, "Hi")], false));
    }

    [Fact]
    public void Parse_KnownTemplateText_IsAccepted()
    {
        Assert.Equal("chat_template.json", ChatTemplate.Parse(ChatTemplate.LlavaOnevisionTemplateText, "chat_template.json").Source);
    }

    [Fact]
    public void Parse_SameTemplateReformatted_IsAccepted()
    {
        // Spaces inside tags, no comments, double quotes, a folded literal, and line breaks and indentation that
        // trim_blocks, lstrip_blocks and '-' markers remove (indentation before an expression tag needs '-').
        string reformatted = """
            {% for message in messages %}
              {{- "<|im_start|>" + message["role"] + "\n" -}}
              {% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}
              {% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>\n' }}{% endfor %}
              {% if message['role'] != 'assistant' %}
                {% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}
              {% else %}
                {% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] }}{% endgeneration %}{% endfor %}
              {% endif %}
              {{- '<|im_end|>\n' -}}
            {% endfor %}
            {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
            """;
        Assert.NotNull(ChatTemplate.Parse(reformatted, "chat_template.jinja"));
    }

    [Theory]
    [InlineData("{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>' }}{% endfor %}{{'<|im_end|>'}}{% endfor %}")]
    [InlineData("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")]
    [InlineData("{{ unclosed")]
    public void Parse_OtherTemplate_ThrowsNamingTheFile(string template)
    {
        var e = Assert.Throws<CheckpointException>(() => ChatTemplate.Parse(template, "/models/x/chat_template.json"));
        Assert.Equal("/models/x/chat_template.json", e.File);
    }

    [Fact]
    public void Parse_SystemPromptAdded_IsRejected()
    {
        string withDefault = "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
            + ChatTemplate.LlavaOnevisionTemplateText;
        Assert.Throws<CheckpointException>(() => ChatTemplate.Parse(withDefault, "chat_template.json"));
    }

    [Fact]
    public void FromCheckpoint_ChatTemplateJson_IsReadAndChecked()
    {
        string dir = _dir;
        Directory.CreateDirectory(dir);
        string json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["chat_template"] = ChatTemplate.LlavaOnevisionTemplateText });
        File.WriteAllText(Path.Combine(dir, "chat_template.json"), json);
        Assert.Equal(Path.Combine(dir, "chat_template.json"), ChatTemplate.FromCheckpoint(dir).Source);

        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "{{ messages }}");
        var e = Assert.Throws<CheckpointException>(() => ChatTemplate.FromCheckpoint(dir));
        Assert.Equal(Path.Combine(dir, "chat_template.jinja"), e.File);
    }

    [Fact]
    public void FromCheckpoint_NoTemplateFile_ThrowsNamingTheFile()
    {
        string dir = _dir;
        Directory.CreateDirectory(dir);
        var e = Assert.Throws<CheckpointException>(() => ChatTemplate.FromCheckpoint(dir));
        Assert.Equal(Path.Combine(dir, "chat_template.json"), e.File);
    }
}
