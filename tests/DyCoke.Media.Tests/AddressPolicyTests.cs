// Every address class the SSRF guard refuses, by literal, and the public addresses it must let through.
using System.Net;
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.127.255.254", "carrier-grade NAT")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.0.0.8", "IETF")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("192.88.99.1", "6to4 relay")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("198.19.255.1", "benchmarking")]
    [InlineData("198.51.100.7", "documentation")]
    [InlineData("203.0.113.9", "documentation")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "IPv4-mapped")]
    [InlineData("::ffff:8.8.8.8", "IPv4-mapped")]
    [InlineData("::10.0.0.1", "IPv4-compatible")]
    [InlineData("fc00::1", "unique local")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("febf::1", "link-local")]
    [InlineData("fec0::1", "site-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("64:ff9b::a9fe:a9fe", "NAT64 form of a link-local")]
    [InlineData("64:ff9b::7f00:1", "NAT64 form of a loopback")]
    [InlineData("64:ff9b:1::1", "local-use NAT64")]
    [InlineData("2002:0a00:0001::1", "6to4 form of a private")]
    [InlineData("2002:7f00:0001::1", "6to4 form of a loopback")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("2001::1", "IETF protocol assignments")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("100::1", "reserved")]
    [InlineData("4000::1", "reserved")]
    public void RefusalReason_SpecialAddress_RefusedWithItsClass(string address, string expectedClass)
    {
        string? reason = AddressPolicy.RefusalReason(IPAddress.Parse(address), allowLoopback: false);

        Assert.NotNull(reason);
        Assert.Contains(expectedClass, reason);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.215.14")]
    [InlineData("100.63.255.255")] // just below CGNAT
    [InlineData("100.128.0.0")] // just above CGNAT
    [InlineData("172.15.255.255")] // just below 172.16/12
    [InlineData("172.32.0.0")] // just above
    [InlineData("192.169.0.1")]
    [InlineData("223.255.255.255")] // last unicast before multicast
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:81c::200e")]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("2002:0808:0808::1")] // 6to4 of 8.8.8.8
    public void RefusalReason_PublicAddress_Allowed(string address)
    {
        Assert.Null(AddressPolicy.RefusalReason(IPAddress.Parse(address), allowLoopback: false));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.3.2.1", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    public void RefusalReason_AllowLoopbackForTests_OnlyLoopbackPasses(string address, bool allowed)
    {
        string? reason = AddressPolicy.RefusalReason(IPAddress.Parse(address), allowLoopback: true);

        Assert.Equal(allowed, reason is null);
    }

    [Theory]
    [InlineData("[::1]", "::1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[fe80::1]", "fe80::1")]
    public void TryParseLiteral_UrlHost_ParsesBracketedAndPlain(string host, string expected)
    {
        Assert.True(AddressPolicy.TryParseLiteral(host, out IPAddress address));
        Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Fact]
    public void TryParseLiteral_DnsName_IsNotALiteral()
    {
        Assert.False(AddressPolicy.TryParseLiteral("example.com", out _));
    }
}
