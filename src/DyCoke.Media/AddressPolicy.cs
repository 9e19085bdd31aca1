// The SSRF address rule: which IP addresses the fetcher may connect to. Only globally routable unicast addresses pass;
// every special-purpose block (IANA IPv4/IPv6 special registries) is refused, and addresses that embed an IPv4
// address (mapped, compatible, NAT64, 6to4) are refused or judged by the address they carry.
using System.Net;
using System.Net.Sockets;

namespace DyCoke.Media;

internal static class AddressPolicy
{
    private readonly record struct Block(uint Network, int PrefixLength, string Reason);

    private static readonly Block[] s_ipv4Blocks =
    [
        new(0x00000000, 8, "\"this network\" / unspecified"),
        new(0x0A000000, 8, "private (RFC 1918)"),
        new(0x64400000, 10, "carrier-grade NAT (RFC 6598)"),
        new(0x7F000000, 8, "loopback"),
        new(0xA9FE0000, 16, "link-local (cloud metadata lives here)"),
        new(0xAC100000, 12, "private (RFC 1918)"),
        new(0xC0000000, 24, "IETF protocol assignments"),
        new(0xC0000200, 24, "documentation (TEST-NET-1)"),
        new(0xC0586300, 24, "6to4 relay anycast"),
        new(0xC0A80000, 16, "private (RFC 1918)"),
        new(0xC6120000, 15, "benchmarking (RFC 2544)"),
        new(0xC6336400, 24, "documentation (TEST-NET-2)"),
        new(0xCB007100, 24, "documentation (TEST-NET-3)"),
        new(0xE0000000, 4, "multicast"),
        new(0xF0000000, 4, "reserved (incl. broadcast)"),
    ];

    /// <summary>
    /// Null when <paramref name="address"/> may be connected to; otherwise the class it belongs to (for the error
    /// message). <paramref name="allowLoopback"/> lets 127.0.0.0/8 and ::1 through, for tests only.
    /// </summary>
    public static string? RefusalReason(IPAddress address, bool allowLoopback)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork) return Ipv4Reason(ToUInt32(address), allowLoopback);
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return "not an IP address";

        // Literal bytes, not the helper properties: IsIPv4MappedToIPv6 etc. are easy to misread, this is the whole rule.
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (IsAll(b[..15], 0))
        {
            if (b[15] == 0) return "unspecified";
            if (b[15] == 1) return allowLoopback ? null : "loopback";
        }
        if (IsAll(b[..10], 0) && b[10] == 0xFF && b[11] == 0xFF) return "IPv4-mapped IPv6 (connect to the IPv4 address instead)";
        if (IsAll(b[..12], 0)) return "IPv4-compatible IPv6 (deprecated)";
        if ((b[0] & 0xFE) == 0xFC) return "unique local (IPv6 ULA)";
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local";
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "site-local (deprecated)";
        if (b[0] == 0xFF) return "multicast";
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)
        {
            // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is for local use.
            if (IsAll(b[4..12], 0)) return Embedded(b[12..16], "NAT64", allowLoopback: false);
            if (b[4] == 0x00 && b[5] == 0x01) return "local-use NAT64";
        }
        if (b[0] == 0x20 && b[1] == 0x02) return Embedded(b[2..6], "6to4", allowLoopback: false);
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return "documentation (2001:db8::/32)";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return "IETF protocol assignments (Teredo, ORCHID, ...)";
        if (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0x00) return "documentation (3fff::/20)";
        if ((b[0] & 0xE0) != 0x20) return "reserved (outside global unicast 2000::/3)";
        return null;
    }

    /// <summary>True when <paramref name="host"/> (a URL host, brackets allowed) is an IP literal; sets <paramref name="address"/>.</summary>
    public static bool TryParseLiteral(string host, out IPAddress address)
    {
        string bare = host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out IPAddress? parsed))
        {
            address = parsed;
            return true;
        }
        address = IPAddress.None;
        return false;
    }

    private static string? Ipv4Reason(uint value, bool allowLoopback)
    {
        foreach (Block block in s_ipv4Blocks)
        {
            uint mask = block.PrefixLength == 0 ? 0 : uint.MaxValue << (32 - block.PrefixLength);
            if ((value & mask) != block.Network) continue;
            if (allowLoopback && block.Network == 0x7F000000) return null;
            return block.Reason;
        }
        return null;
    }

    private static string? Embedded(ReadOnlySpan<byte> ipv4, string form, bool allowLoopback)
    {
        uint value = (uint)(ipv4[0] << 24 | ipv4[1] << 16 | ipv4[2] << 8 | ipv4[3]);
        string? reason = Ipv4Reason(value, allowLoopback);
        return reason is null ? null : $"{form} form of a {reason} IPv4 address";
    }

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static bool IsAll(ReadOnlySpan<byte> bytes, byte value) => !bytes.ContainsAnyExcept(value);
}
