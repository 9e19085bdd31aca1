// data:<mime>;base64,<payload> URLs: only base64 is accepted (other encodings answer 501 as in vLLM), and the payload
// length is checked against the byte cap before anything is decoded or allocated.
namespace DyCoke.Media;

internal static class DataUrl
{
    /// <summary>
    /// Decodes the payload of <paramref name="url"/> into <paramref name="destination"/>. Throws <see cref="MediaException"/>:
    /// BadUrl (no comma, not base64, empty), UnsupportedDataUrl (not ;base64), TooLarge (above <paramref name="maxBytes"/>).
    /// </summary>
    public static async Task WriteAsync(string url, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        byte[] bytes = Decode(url, maxBytes);
        await destination.WriteAsync(bytes, cancellationToken);
    }

    /// <summary>The decoded payload; see <see cref="WriteAsync"/> for the errors.</summary>
    public static byte[] Decode(string url, long maxBytes)
    {
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            throw new MediaException(MediaErrorKind.BadUrl, "A data URL must start with 'data:'.", MediaParams.Url);
        int comma = url.IndexOf(',');
        if (comma < 0)
            throw new MediaException(MediaErrorKind.BadUrl, "The data URL has no ',' before its payload; use data:<mime>;base64,<payload>.", MediaParams.Url);
        ReadOnlySpan<char> header = url.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw new MediaException(MediaErrorKind.UnsupportedDataUrl,
                "Only base64 data URLs are supported; use data:<mime>;base64,<payload>.", MediaParams.Url);

        // Base64 turns 3 bytes into 4 characters; a longer payload cannot fit under the cap, so refuse before decoding.
        ReadOnlySpan<char> payload = url.AsSpan(comma + 1);
        long maxChars = (maxBytes + 2) / 3 * 4;
        if (payload.Length > maxChars) throw TooLarge(maxBytes);

        // Some clients percent-encode '+', '/' and '='; unescaping only shrinks the text, so the check above still holds.
        ReadOnlySpan<char> text = payload.Contains('%') ? Uri.UnescapeDataString(payload.ToString()) : payload;
        var bytes = new byte[text.Length / 4 * 3 + 3]; // [bytes]
        if (!Convert.TryFromBase64Chars(text, bytes, out int written))
            throw new MediaException(MediaErrorKind.BadUrl, "The data URL payload is not valid base64.", MediaParams.Url);
        if (written == 0) throw new MediaException(MediaErrorKind.BadUrl, "The data URL payload is empty.", MediaParams.Url);
        if (written > maxBytes) throw TooLarge(maxBytes);
        Array.Resize(ref bytes, written);
        return bytes;
    }

    private static MediaException TooLarge(long maxBytes) => new(MediaErrorKind.TooLarge,
        $"The data URL holds more than {maxBytes} bytes, this server's limit per video; send a smaller video or a link to it.",
        MediaParams.Url);
}
