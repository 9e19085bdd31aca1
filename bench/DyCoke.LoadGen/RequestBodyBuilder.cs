// The POST /v1/chat/completions body every request of a run sends: streaming with a usage chunk, a fixed output length
// (ignore_eos), the video as a video_url part with its frame count, and the DyCoke switch (openai-api.md §1, §4).
using System.Buffers;
using System.Text.Json;

namespace DyCoke.LoadGen;

/// <summary>Builds request bodies; each is serialised once per mode and reused, since only the mode changes them.</summary>
internal static class RequestBodyBuilder
{
    /// <summary>The UTF-8 JSON body.</summary>
    /// <param name="model">The model id to ask for.</param>
    /// <param name="prompt">The text part.</param>
    /// <param name="videoUrl">The video_url.url value, or null for a text-only prompt.</param>
    /// <param name="frames">media_io_kwargs.video.num_frames (sent only with a video).</param>
    /// <param name="maxTokens">max_tokens; ignore_eos makes every response exactly this long.</param>
    /// <param name="mode">Whether and how to send the dycoke extension.</param>
    public static byte[] Build(string model, string prompt, string? videoUrl, int frames, int maxTokens, DyCokeMode mode)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteStartArray("content");
            // Video first, then the question: the order LLaVA-OneVision's own examples use.
            if (videoUrl is not null)
            {
                json.WriteStartObject();
                json.WriteString("type", "video_url");
                json.WriteStartObject("video_url");
                json.WriteString("url", videoUrl);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();

            json.WriteNumber("max_tokens", maxTokens);
            json.WriteBoolean("ignore_eos", true);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            if (videoUrl is not null)
            {
                json.WriteStartObject("media_io_kwargs");
                json.WriteStartObject("video");
                json.WriteNumber("num_frames", frames);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            if (mode != DyCokeMode.Default)
            {
                json.WriteStartObject("dycoke");
                json.WriteBoolean("enabled", mode == DyCokeMode.On);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
