// Video URLs an attacker or a broken client sends: schemes the server must never follow, files outside the media root,
// cloud-metadata and loopback addresses in every spelling, data: URLs with broken payloads or files that are not
// videos (playlists and concat lists that would open further files), and extremely long URLs. None needs DNS or a
// network, so each is refused on its own merits, fast.
using System.Text;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class HostileUrls
{
    /// <summary>
    /// URL cases for the video part of <paramref name="request"/>. <paramref name="root"/> is the server's media root,
    /// <paramref name="clipBase64"/> a real clip, <paramref name="bodyLimit"/> the server's body limit.
    /// </summary>
    public static IEnumerable<HostileCase> Cases(BaseRequest request, string root, string clipBase64, long bodyLimit)
    {
        var url = BaseRequest.Places().Single(p => p.Path == "messages[1].content[0].video_url.url");
        string Quoted(string text) => System.Text.Json.JsonSerializer.Serialize(text);
        HostileCase Refused(string text) => HostileCase.Invalid($"url {Cut(text)}", request.With(url, Quoted(text)));

        string[] refused =
        [
            "javascript:alert(1)", "vbscript:msgbox(1)", "ftp://example.com/v.mp4", "gopher://127.0.0.1:70/_x", "dict://127.0.0.1:11211/",
            "ldap://127.0.0.1/", "jar:file:///x.jar!/v.mp4", "smb://host/share/v.mp4", "rtsp://127.0.0.1/stream", "rtmp://127.0.0.1/live",
            "concat:file:///etc/passwd", "subfile:,start,0,end,0,:file:///etc/passwd", "pipe:0", "tcp://127.0.0.1:1",
            "file:///etc/passwd", "file:///etc/shadow", "file:///proc/self/environ", "file:///proc/self/mem", "file:///dev/zero",
            "file:///dev/urandom", "file:///", "file://localhost/etc/passwd", "file://example.com/etc/passwd", "file:etc/passwd",
            $"file://{root}/../../../../etc/passwd", $"file://{root}/%2e%2e/%2e%2e/%2e%2e/etc/passwd", $"file://{root}/missing.mp4",
            $"file://{root}", $"file://{root}/", $"file://{root}/clip.mp4%00.txt", $"file://{root}/\u0000", $"file://{root}/{new string('a', 300)}",
            "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "http://[::1]/", "http://localhost:8000/v1/models",
            "https://169.254.169.254/latest/meta-data/iam/", "https://127.0.0.1:1/v.mp4", "https://[::1]/v.mp4", "https://[::ffff:127.0.0.1]/v.mp4",
            "https://[::ffff:a9fe:a9fe]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[fe80::1]/", "https://[fd00::1]/", "https://10.0.0.1/v.mp4",
            "https://172.16.0.1/v.mp4", "https://192.168.1.1/v.mp4", "https://100.64.0.1/", "https://0.0.0.0/", "https://0/", "https://2130706433/",
            "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/", "https://224.0.0.1/", "https://255.255.255.255/",
            "https://user:password@127.0.0.1/v.mp4", "https://localhost/v.mp4", "https://LOCALHOST:1/v.mp4",
            "https:///v.mp4", "https://", "https:", "https://[::1", "https://a b/", "https://%31%32%37.0.0.1/", "//127.0.0.1/v.mp4",
            "/etc/passwd", "../etc/passwd", "C:\\Windows\\win.ini", "\\\\host\\share\\v.mp4", "clip.mp4", "not a url", " ", "\t\n",
            "data:", "data:video/mp4;base64,", "data:video/mp4;base64", "data:video/mp4;base64,!!!!", "data:video/mp4;base64,%%%",
            "data:video/mp4;base64,AAAA", "data:video/mp4;base64,AAA", "data:video/mp4;base64,A===", "data:video/mp4;base64,\u00e9\u00e9\u00e9\u00e9",
            "data:text/html;base64," + B64("<script>alert(1)</script>"), "data:image/svg+xml;base64," + B64("<svg onload=alert(1)></svg>"),
            "data:video/mp4;base64," + B64("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"),
            "data:application/vnd.apple.mpegurl;base64," + B64("#EXTM3U\n#EXTINF:1,\nhttp://169.254.169.254/\n"),
            "data:video/mp4;base64," + B64("ffconcat version 1.0\nfile /etc/passwd\n"),
            "data:video/mp4;base64," + B64("\u0089PNG\r\n\u001a\n" + new string('\0', 64)),
            "data:video/mp4;base64," + clipBase64[..(clipBase64.Length / 3 / 4 * 4)], // a truncated clip
            "data:video/mp4;base64," + clipBase64 + "!", "data:video/mp4;base64," + clipBase64.Replace('A', '*'),
        ];
        foreach (string text in refused) yield return Refused(text);

        // Extremely long URLs of each kind, up to the body limit.
        foreach (int length in (int[])[10_000, 200_000, (int)bodyLimit - 8_192])
        {
            string fill = new('a', length);
            yield return Refused("https://10.0.0.1/" + fill);
            yield return Refused($"file://{root}/" + fill);
            yield return Refused("javascript:" + fill);
            yield return Refused("data:video/mp4;base64," + new string('A', length / 4 * 4)); // zero bytes: not a video
            yield return Refused("data:video/mp4;base64," + fill[..^1] + "!");
        }

        // Well-formed data: URLs in another encoding than base64: 501 by design (openai-api.md §1 and §5, as vLLM).
        foreach (string text in (string[])["data:,", "data:video/mp4,%00%00%00%18ftypmp42", "data:text/plain;charset=utf-8,hello"])
            yield return HostileCase.Invalid($"url {text}", request.With(url, Quoted(text))) with { Status = 501 };

        // The real clip with a wrong or missing MIME type: ffprobe judges content, not labels, so this may be accepted.
        foreach (string mime in (string[])["image/png", "text/plain", "", "application/x-msdownload"])
            yield return HostileCase.Maybe($"url data:{mime} with a real clip", request.With(url, Quoted($"data:{mime};base64,{clipBase64}")));
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.Latin1.GetBytes(text));

    private static string Cut(string text) => text.Length <= 60 ? text : text[..60] + $"...({text.Length} chars)";
}
