// ffprobe: container, first real video stream (cover-art pictures skipped), size, pixel format, rotation, frame count
// T, frame rate and duration. Runs under the same protocol and demuxer allow-lists as the decoder.
using System.Globalization;
using System.Text.Json;

namespace DyCoke.Media;

/// <summary>What ffprobe found in a video file.</summary>
/// <param name="StreamIndex">Absolute stream index for <c>-map 0:N</c>.</param>
/// <param name="Codec">Codec name, e.g. h264.</param>
/// <param name="Container">Demuxer name list, e.g. "mov,mp4,m4a,3gp,3g2,mj2".</param>
/// <param name="Width">Coded width in pixels (before rotation).</param>
/// <param name="Height">Coded height in pixels (before rotation).</param>
/// <param name="PixelFormat">ffmpeg pixel format name, e.g. yuv420p.</param>
/// <param name="Rotation">Display rotation in degrees, one of 0, 90, 180, 270.</param>
/// <param name="FrameCount">T: frames the container lists, else video packets counted in the stream.</param>
/// <param name="Fps">Average frame rate (0 when unknown).</param>
/// <param name="DurationSeconds">Stream duration, else container duration, else T / fps.</param>
internal sealed record VideoInfo(int StreamIndex, string Codec, string Container, int Width, int Height, string PixelFormat,
    int Rotation, int FrameCount, double Fps, double DurationSeconds)
{
    /// <summary>True for pixel formats with an alpha channel; those frames are composited over white.</summary>
    public bool HasAlpha => PixelFormat.StartsWith("yuva", StringComparison.Ordinal)
        || PixelFormat.StartsWith("gbrap", StringComparison.Ordinal)
        || PixelFormat.StartsWith("ya", StringComparison.Ordinal)
        || PixelFormat.StartsWith("rgba", StringComparison.Ordinal) || PixelFormat.StartsWith("bgra", StringComparison.Ordinal)
        || PixelFormat is "argb" or "abgr" or "pal8";

    /// <summary>Width as displayed (after ffmpeg's autorotation).</summary>
    public int DisplayWidth => Rotation % 180 == 0 ? Width : Height;

    /// <summary>Height as displayed (after ffmpeg's autorotation).</summary>
    public int DisplayHeight => Rotation % 180 == 0 ? Height : Width;
}

internal static class VideoProbe
{
    private const int MaxOutputBytes = 1 << 20;

    /// <summary>
    /// Probes <paramref name="path"/>. T is the container's frame count (nb_frames, what decord reports as the length);
    /// only when the container has none (Matroska, WebM, AVI streams without an index...) a second pass counts the
    /// stream's packets, which means reading the whole file. Throws <see cref="MediaException"/>: NotAVideo (unreadable
    /// or not an allowed container), NoVideoStream, CorruptStream (no frames or no size).
    /// </summary>
    public static async Task<VideoInfo> RunAsync(MediaOptions options, string path, CancellationToken cancellationToken)
    {
        byte[] json = await RunProbeAsync(options, path, ["-show_streams", "-show_format"], cancellationToken);
        VideoInfo info = Parse(json);
        if (info.FrameCount > 0) return info;

        byte[] counted = await RunProbeAsync(options, path,
            ["-count_packets", "-select_streams", info.StreamIndex.ToString(CultureInfo.InvariantCulture), "-show_entries", "stream=nb_read_packets"],
            cancellationToken);
        int frames = ParseOrRefuse(counted, root => (int)Math.Min(int.MaxValue, Number(root.GetProperty("streams")[0], "nb_read_packets")));
        if (frames <= 0)
            throw new MediaException(MediaErrorKind.CorruptStream, "The video stream holds no frames (damaged or empty file).", MediaParams.Url);
        return info with { FrameCount = frames, DurationSeconds = info.DurationSeconds > 0 ? info.DurationSeconds : Duration(frames, info.Fps) };
    }

    private static async Task<byte[]> RunProbeAsync(MediaOptions options, string path, string[] query, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-v", "error", "-hide_banner",
            "-protocol_whitelist", "file",
            "-format_whitelist", string.Join(',', options.AllowedContainers),
            .. query,
            "-of", "json",
            "file:" + path,
        ];
        using var output = new MemoryStream();
        ToolResult result;
        try
        {
            result = await ToolProcess.RunAsync(options.FfprobePath, arguments, ToolProcess.CollectInto(output, MaxOutputBytes), cancellationToken);
        }
        catch (InvalidDataException e)
        {
            // Megabytes of stream descriptions: no video we want, and no reason to parse it.
            throw new MediaException(MediaErrorKind.NotAVideo, "The file's stream list is far too long for a video.", MediaParams.Url, e.Message, e);
        }
        if (result.ExitCode != 0)
            throw new MediaException(MediaErrorKind.NotAVideo,
                "The data is not a video this server can read (unknown, unsupported or damaged container).",
                MediaParams.Url, Scrub(result.StandardErrorTail, path));
        return output.ToArray();
    }

    /// <summary>Interprets the first probe's JSON; FrameCount is 0 when the container does not state it.</summary>
    internal static VideoInfo Parse(byte[] json) => ParseOrRefuse(json, Interpret);

    private static T ParseOrRefuse<T>(byte[] json, Func<JsonElement, T> interpret)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return interpret(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new MediaException(MediaErrorKind.NotAVideo, "The data is not a video this server can read.", MediaParams.Url, e.Message, e);
        }
    }

    private static VideoInfo Interpret(JsonElement root)
    {
        string container = root.TryGetProperty("format", out JsonElement format) ? Text(format, "format_name") ?? "" : "";
        double formatDuration = format.ValueKind == JsonValueKind.Object ? Number(format, "duration") : 0;

        JsonElement? video = null;
        if (root.TryGetProperty("streams", out JsonElement streams))
        {
            foreach (JsonElement stream in streams.EnumerateArray())
            {
                if (Text(stream, "codec_type") != "video") continue;
                bool coverArt = stream.TryGetProperty("disposition", out JsonElement disposition)
                    && disposition.TryGetProperty("attached_pic", out JsonElement pic) && pic.GetInt32() == 1;
                if (coverArt) continue;
                video = stream;
                break;
            }
        }
        if (video is not JsonElement v)
            throw new MediaException(MediaErrorKind.NoVideoStream, "The file has no video stream (audio only or an image?).", MediaParams.Url);

        int width = (int)Number(v, "width");
        int height = (int)Number(v, "height");
        if (width <= 0 || height <= 0)
            throw new MediaException(MediaErrorKind.CorruptStream, "The video stream has no frame size (damaged file).", MediaParams.Url);

        int frames = (int)Math.Min(int.MaxValue, Number(v, "nb_frames"));
        double fps = Rate(Text(v, "avg_frame_rate"));
        if (fps <= 0) fps = Rate(Text(v, "r_frame_rate"));
        double duration = Number(v, "duration");
        if (duration <= 0) duration = formatDuration;
        if (duration <= 0) duration = Duration(frames, fps);

        return new VideoInfo(
            StreamIndex: v.GetProperty("index").GetInt32(),
            Codec: Text(v, "codec_name") ?? "unknown",
            Container: container,
            Width: width,
            Height: height,
            PixelFormat: Text(v, "pix_fmt") ?? "",
            Rotation: RotationOf(v),
            FrameCount: frames,
            Fps: fps,
            DurationSeconds: duration);
    }

    private static double Duration(int frames, double fps) => frames > 0 && fps > 0 ? frames / fps : 0;

    /// <summary>Display-matrix rotation normalised to 0/90/180/270 (ffprobe reports e.g. -90 or 90).</summary>
    private static int RotationOf(JsonElement stream)
    {
        double degrees = 0;
        if (stream.TryGetProperty("side_data_list", out JsonElement sideData))
        {
            foreach (JsonElement item in sideData.EnumerateArray())
            {
                if (item.TryGetProperty("rotation", out JsonElement r) && r.ValueKind == JsonValueKind.Number) degrees = r.GetDouble();
            }
        }
        else if (stream.TryGetProperty("tags", out JsonElement tags) && Text(tags, "rotate") is string legacy)
        {
            degrees = double.Parse(legacy, CultureInfo.InvariantCulture);
        }
        int quarter = (int)Math.Round(degrees / 90.0);
        return ((quarter % 4) + 4) % 4 * 90;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>ffprobe prints most numbers as strings ("2.000000", "50"); both forms are read here.</summary>
    private static double Number(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out JsonElement value)) return 0;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        return value.ValueKind == JsonValueKind.String
            && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)
            && double.IsFinite(parsed) ? parsed : 0;
    }

    private static double Rate(string? fraction)
    {
        if (fraction is null) return 0;
        int slash = fraction.IndexOf('/');
        if (slash < 0) return double.TryParse(fraction, NumberStyles.Float, CultureInfo.InvariantCulture, out double plain) ? plain : 0;
        bool ok = double.TryParse(fraction.AsSpan(0, slash), NumberStyles.Float, CultureInfo.InvariantCulture, out double num)
            & double.TryParse(fraction.AsSpan(slash + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double den);
        return ok && den > 0 ? num / den : 0;
    }

    /// <summary>Removes the staged path from ffmpeg's messages before they reach a log line.</summary>
    internal static string Scrub(string stderr, string path) => stderr.Replace("file:" + path, "input").Replace(path, "input").Trim();
}
