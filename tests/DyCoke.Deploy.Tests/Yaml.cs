// Reads YAML files as node trees (YamlDotNet's representation model, which keeps unknown tags such as compose's
// !reset) and navigates mappings by key with clear failures.
using Xunit;
using YamlDotNet.RepresentationModel;

namespace DyCoke.Deploy.Tests;

/// <summary>YAML loading and navigation helpers.</summary>
internal static class Yaml
{
    /// <summary>Every document of a repository YAML file, each a mapping.</summary>
    public static IReadOnlyList<YamlMappingNode> LoadAll(string relative)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(RepoFiles.Read(relative))) stream.Load(reader);
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToArray();
    }

    /// <summary>The single document of a repository YAML file.</summary>
    public static YamlMappingNode Load(string relative) => Assert.Single(LoadAll(relative));

    /// <summary>The child at <paramref name="key"/>, or null.</summary>
    public static YamlNode? Find(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    /// <summary>The mapping at a dotted path such as "spec.template.spec".</summary>
    public static YamlMappingNode Map(this YamlMappingNode node, string path) => Assert.IsType<YamlMappingNode>(node.At(path));

    /// <summary>The sequence at a dotted path.</summary>
    public static YamlSequenceNode Seq(this YamlMappingNode node, string path) => Assert.IsType<YamlSequenceNode>(node.At(path));

    /// <summary>The scalar text at a dotted path.</summary>
    public static string Str(this YamlMappingNode node, string path) => Assert.IsType<YamlScalarNode>(node.At(path)).Value ?? "";

    /// <summary>The scalar at a dotted path as an integer.</summary>
    public static int Int(this YamlMappingNode node, string path) => int.Parse(node.Str(path), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The mappings of the sequence at a dotted path.</summary>
    public static IEnumerable<YamlMappingNode> Maps(this YamlMappingNode node, string path) => node.Seq(path).Children.Cast<YamlMappingNode>();

    /// <summary>The scalars of the sequence at a dotted path.</summary>
    public static IEnumerable<string> Strings(this YamlMappingNode node, string path) =>
        node.Seq(path).Children.Select(c => ((YamlScalarNode)c).Value ?? "");

    /// <summary>A string-to-string mapping (labels, selectors) at a dotted path.</summary>
    public static Dictionary<string, string> Labels(this YamlMappingNode node, string path) =>
        node.Map(path).Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? "");

    /// <summary>The node at a dotted path; fails naming the missing key.</summary>
    public static YamlNode At(this YamlMappingNode node, string path)
    {
        YamlNode current = node;
        foreach (string key in path.Split('.'))
        {
            var map = Assert.IsType<YamlMappingNode>(current);
            current = map.Find(key) ?? throw new InvalidOperationException($"YAML key '{key}' of '{path}' is missing");
        }
        return current;
    }
}
