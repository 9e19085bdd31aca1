// ffmpeg hands over only the selected frames: it decodes the stream up to the last one (inter-frame codecs need
// that), the select filter keeps frame numbers n in the index set, the scaler ffmpeg inserts for -pix_fmt converts
// just those to RGB(A), -fps_mode passthrough stops frame duplication or dropping, and -frames:v ends the process
// after the last one. Frames arrive as PAM images over stdout; nothing touches disk.
// Rotation metadata is applied by ffmpeg's default autorotation (the PAM headers carry the rotated size), so frames
// look as a player shows them; decord and PyAV ignore it, so phone videos can differ from their frames.
using System.Buffers;
using System.Text;

namespace DyCoke.Media;

internal static class FrameDecoder
{
    /// <summary>
    /// Decodes the frames numbered <paramref name="sortedUniqueIndices"/> (ascending, distinct) and hands each one, in
    /// order, to <paramref name="onFrame"/> with its ordinal in that list. Throws <see cref="MediaException"/>
    /// (CorruptStream) when ffmpeg fails or the stream ends before the last index.
    /// </summary>
    public static async Task DecodeAsync(MediaOptions options, string path, VideoInfo info, IReadOnlyList<int> sortedUniqueIndices,
        Action<int, PamHeader, ReadOnlyMemory<byte>> onFrame, CancellationToken cancellationToken)
    {
        int received = 0;
        byte[]? buffer = null;
        List<string> arguments = Arguments(options, path, info, sortedUniqueIndices);
        try
        {
            ToolResult result = await ToolProcess.RunAsync(options.FfmpegPath, arguments, async (stdout, ct) =>
            {
                var reader = new PamReader(new BufferedStream(stdout, 1 << 16), options.MaxFrameSide);
                while (await reader.ReadHeaderAsync(ct) is PamHeader header)
                {
                    if (received >= sortedUniqueIndices.Count) throw new InvalidDataException("ffmpeg produced more frames than selected");
                    if (buffer is null || buffer.Length < header.ByteCount)
                    {
                        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(header.ByteCount); // [H, W, C]
                    }
                    await reader.ReadPixelsAsync(header, buffer, ct);
                    onFrame(received, header, buffer.AsMemory(0, header.ByteCount));
                    received++;
                }
            }, cancellationToken);

            if (received < sortedUniqueIndices.Count)
            {
                string detail = VideoProbe.Scrub(result.StandardErrorTail, path);
                throw new MediaException(MediaErrorKind.CorruptStream,
                    $"The video could not be decoded up to frame {sortedUniqueIndices[received]} of the {info.FrameCount} its container "
                    + "lists; the file is truncated or damaged.", MediaParams.Url, $"exit {result.ExitCode}: {detail}");
            }
        }
        catch (InvalidDataException e)
        {
            throw new MediaException(MediaErrorKind.CorruptStream, "The video could not be decoded (ffmpeg produced unreadable output).",
                MediaParams.Url, e.Message, e);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The ffmpeg command line (internal for tests and the benchmark).</summary>
    internal static List<string> Arguments(MediaOptions options, string path, VideoInfo info, IReadOnlyList<int> sortedUniqueIndices)
    {
        return
        [
            "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
            "-protocol_whitelist", "file",
            "-format_whitelist", string.Join(',', options.AllowedContainers),
            "-i", "file:" + path,
            "-map", $"0:{info.StreamIndex}",
            "-an", "-sn", "-dn",
            "-vf", SelectFilter(sortedUniqueIndices),
            "-fps_mode", "passthrough",
            "-frames:v", sortedUniqueIndices.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-pix_fmt", info.HasAlpha ? "rgba" : "rgb24",
            "-f", "image2pipe", "-c:v", "pam",
            "pipe:1",
        ];
    }

    /// <summary><c>select='eq(n,i0)+eq(n,i1)+...'</c>; quoted so the commas stay inside the expression.</summary>
    internal static string SelectFilter(IReadOnlyList<int> sortedUniqueIndices)
    {
        var filter = new StringBuilder("select='");
        for (int i = 0; i < sortedUniqueIndices.Count; i++)
        {
            if (i > 0) filter.Append('+');
            filter.Append("eq(n,").Append(sortedUniqueIndices[i]).Append(')');
        }
        return filter.Append('\'').ToString();
    }
}
