// End to end through the official OpenAI .NET client against the real server and engine on the demo checkpoint:
// non-streaming and streaming answers, finish reasons, usage, seeds, stop sequences, model errors, KV slots freed.
using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public sealed class ChatCompletionsClientTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly ChatMessage[] s_prompt = [new SystemChatMessage("You describe videos."), new UserChatMessage("What happens in the clip?")];

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { MaxOutputTokenCount = maxTokens, Temperature = 0f };

    private async Task<(string Text, ChatFinishReason? Finish, ChatTokenUsage? Usage)> StreamAsync(ChatClient chat, ChatCompletionOptions options)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(s_prompt, options, TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        return (text.ToString(), finish, usage);
    }

    [Fact]
    public async Task CompleteChat_MaxTokens_FinishesWithLengthAndReportsUsage()
    {
        var chat = server.Chat();

        ChatCompletion completion = await chat.CompleteChatAsync(s_prompt, Greedy(6), TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(server.Model.Name, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(6, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 10);
        Assert.Equal(completion.Usage.InputTokenCount + 6, completion.Usage.TotalTokenCount);
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task CompleteChatStreaming_Greedy_SameTextAsNonStreamingWithUsage()
    {
        var chat = server.Chat();
        ChatCompletion whole = await chat.CompleteChatAsync(s_prompt, Greedy(10), TestContext.Current.CancellationToken);

        var (text, finish, usage) = await StreamAsync(chat, Greedy(10));

        Assert.Equal(whole.Content[0].Text, text);
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task CompleteChat_SameSeed_ReproducesTheSampledText()
    {
        var chat = server.Chat();
        var options = () => new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 1.3f, Seed = 4242 };

        ChatCompletion first = await chat.CompleteChatAsync(s_prompt, options(), TestContext.Current.CancellationToken);
        ChatCompletion second = await chat.CompleteChatAsync(s_prompt, options(), TestContext.Current.CancellationToken);
        var (streamed, _, _) = await StreamAsync(chat, options());

        Assert.Equal(first.Content[0].Text, second.Content[0].Text);
        Assert.Equal(first.Content[0].Text, streamed);
    }

    [Fact]
    public async Task CompleteChat_StopSequence_CutsBeforeItInBothModes()
    {
        var chat = server.Chat();
        ChatCompletion reference = await chat.CompleteChatAsync(s_prompt, Greedy(16), TestContext.Current.CancellationToken);
        string full = reference.Content[0].Text;
        Assert.True(full.Length >= 8, $"the demo answer '{full}' is too short to cut");
        string stop = full.Substring(full.Length / 2, 2);
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = () =>
        {
            var o = Greedy(16);
            o.StopSequences.Add(stop);
            return o;
        };

        ChatCompletion cut = await chat.CompleteChatAsync(s_prompt, options(), TestContext.Current.CancellationToken);
        var (streamed, finish, _) = await StreamAsync(chat, options());

        Assert.Equal(expected, cut.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.Equal(expected, streamed);
        Assert.Equal(ChatFinishReason.Stop, finish);
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task CompleteChat_UnknownModel_ClientSees404()
    {
        var chat = server.Chat(model: "gpt-4o");

        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync(s_prompt, Greedy(4), TestContext.Current.CancellationToken));

        Assert.Equal(404, e.Status);
        Assert.Contains("gpt-4o", e.Message, StringComparison.Ordinal);
    }
}
