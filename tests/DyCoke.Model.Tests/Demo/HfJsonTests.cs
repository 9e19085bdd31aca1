// The deterministic JSON writer: Python float spelling, sorted keys, layout, and faithful re-writing of parsed files.
using System.Text;
using System.Text.Json.Nodes;
using DyCoke.Model.Demo;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class HfJsonTests
{
    [Theory]
    [InlineData(1e-6, "1e-06")]
    [InlineData(1_000_000.0, "1000000.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(1.0 / 255.0, "0.00392156862745098")]
    [InlineData(0.02, "0.02")]
    public void PythonFloat_Double_SpelledAsPythonRepr(double value, string expected) =>
        Assert.Equal(expected, HfJson.PythonFloat(value));

    [Fact]
    public void PythonFloat_Float_UsesItsOwnShortestDigits() => Assert.Equal("1e-06", HfJson.PythonFloat(1e-6f));

    [Fact]
    public void WriteSorted_NestedObjects_KeysSortedTwoSpaceIndentLfAndFinalNewline()
    {
        var node = new JsonObject
        {
            ["b"] = new JsonObject { ["z"] = 1, ["a"] = true },
            ["a"] = new JsonArray(0.5, "x"),
            ["c"] = new JsonArray(),
            ["d"] = null,
        };

        string text = Encoding.UTF8.GetString(HfJson.WriteSorted(node));

        Assert.Equal("{\n  \"a\": [\n    0.5,\n    \"x\"\n  ],\n  \"b\": {\n    \"a\": true,\n    \"z\": 1\n  },\n  \"c\": [],\n  \"d\": null\n}\n", text);
    }

    [Fact]
    public void WriteInOrder_Strings_KeepNonAsciiAndEscapeControls()
    {
        var node = new JsonObject { ["t"] = "Ġthe <|im_end|>\n\"q\"" };

        string text = Encoding.UTF8.GetString(HfJson.WriteInOrder(node));

        Assert.Equal("{\n  \"t\": \"Ġthe <|im_end|>\\n\\\"q\\\"\"\n}\n", text);
    }

    [Fact]
    public void WriteInOrder_ParsedDocument_RoundTripsTextAndNumbers()
    {
        const string original = "{\n  \"b\": 1e-06,\n  \"a\": [\n    151643,\n    2.0\n  ],\n  \"s\": \"\\u0120x\"\n}\n";

        string text = Encoding.UTF8.GetString(HfJson.WriteInOrder(JsonNode.Parse(original)!));

        // Parsed values keep their source spelling (including escapes); only layout is re-done, and it is the same.
        Assert.Equal(original, text);
    }
}
