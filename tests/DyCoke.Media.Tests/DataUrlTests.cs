// data: URL parsing: base64 only (else 501), the length cap applied before decoding, malformed payloads refused.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class DataUrlTests
{
    [Fact]
    public void Decode_Base64_ReturnsBytes()
    {
        byte[] payload = [0, 1, 2, 250, 251, 255, 7];

        byte[] decoded = DataUrl.Decode("data:video/mp4;base64," + Convert.ToBase64String(payload), maxBytes: 100);

        Assert.Equal(payload, decoded);
    }

    [Fact]
    public void Decode_PercentEncodedBase64_IsUnescapedFirst()
    {
        byte[] payload = [0xFB, 0xFF, 0xBF, 0x3E];
        string base64 = Convert.ToBase64String(payload); // contains '+' and '/'
        Assert.True(base64.Contains('+') || base64.Contains('/'));

        byte[] decoded = DataUrl.Decode("data:video/mp4;base64," + Uri.EscapeDataString(base64), maxBytes: 100);

        Assert.Equal(payload, decoded);
    }

    [Theory]
    [InlineData("data:video/mp4,rawbytes")]
    [InlineData("data:video/mp4;charset=utf-8,abc")]
    [InlineData("data:,hello")]
    public void Decode_NotBase64_UnsupportedDataUrl501(string url)
    {
        var e = Assert.Throws<MediaException>(() => DataUrl.Decode(url, maxBytes: 100));

        Assert.Equal(MediaErrorKind.UnsupportedDataUrl, e.Kind);
        Assert.Equal(501, e.HttpStatus);
        Assert.Equal(MediaParams.Url, e.Param);
    }

    [Theory]
    [InlineData("data:video/mp4;base64")]
    [InlineData("data:video/mp4;base64,@@@@")]
    [InlineData("data:video/mp4;base64,")]
    public void Decode_Malformed_BadUrl(string url)
    {
        var e = Assert.Throws<MediaException>(() => DataUrl.Decode(url, maxBytes: 100));

        Assert.Equal(MediaErrorKind.BadUrl, e.Kind);
    }

    [Fact]
    public void Decode_PayloadLongerThanCapAllows_TooLargeBeforeDecoding()
    {
        // Not valid base64 at all: it must be refused for its length alone, never reaching the decoder.
        string url = "data:video/mp4;base64," + new string('!', 2000);

        var e = Assert.Throws<MediaException>(() => DataUrl.Decode(url, maxBytes: 1000));

        Assert.Equal(MediaErrorKind.TooLarge, e.Kind);
        Assert.Equal(413, e.HttpStatus);
    }

    [Fact]
    public void Decode_ExactlyAtCap_Accepted_OneMoreByte_TooLarge()
    {
        string atCap = "data:video/mp4;base64," + Convert.ToBase64String(new byte[999]);
        string above = "data:video/mp4;base64," + Convert.ToBase64String(new byte[1000]);

        Assert.Equal(999, DataUrl.Decode(atCap, maxBytes: 999).Length);
        Assert.Equal(MediaErrorKind.TooLarge, Assert.Throws<MediaException>(() => DataUrl.Decode(above, maxBytes: 999)).Kind);
    }
}
