// WeightMap approval tests: the expected tensor list for the reconstructed 0.5B and 7B configs has the counts and
// shapes of llava-onevision.md §2.3, and names convert between the two checkpoint schemes without loss.
using DyCoke.Model.Checkpoints;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class WeightMapTests
{
    private static Dictionary<string, WeightSpec> ByName(IReadOnlyList<WeightSpec> specs) => specs.ToDictionary(s => s.Name, StringComparer.Ordinal);

    [Fact]
    public void Expected_HalfBillion_Has716HubTensorsAndATiedHead()
    {
        var specs = WeightMap.Expected(LlavaOnevisionConfigTests.LoadFixture("0.5b"));

        // The hub file holds 716 tensors: everything listed except the tied head. Of those, the two SigLIP
        // post_layernorm tensors are optional because the LLaVA path never reads them.
        Assert.Equal(717, specs.Count);
        Assert.Equal(716, specs.Count(s => s.Name != WeightMap.LmHead));
        Assert.Equal(714, specs.Count(s => !s.Optional));
        Assert.Equal(
            [WeightMap.VisionPrefix + "post_layernorm.weight", WeightMap.VisionPrefix + "post_layernorm.bias", WeightMap.LmHead],
            specs.Where(s => s.Optional).Select(s => s.Name));
        Assert.Equal(421, specs.Count(s => s.Name.StartsWith(WeightMap.VisionPrefix, StringComparison.Ordinal)));
        Assert.Equal(1 + 24 * 12 + 1, specs.Count(s => s.Name.StartsWith(WeightMap.TextPrefix, StringComparison.Ordinal)));

        var byName = ByName(specs);
        Assert.Equal([152000L, 896], byName[WeightMap.TextPrefix + "embed_tokens.weight"].Shape);
        Assert.Equal([128L, 896], byName[WeightMap.TextLayer(23, "self_attn.k_proj.weight")].Shape);
        Assert.Equal([128L], byName[WeightMap.TextLayer(0, "self_attn.v_proj.bias")].Shape);
        Assert.Equal([896L, 4864], byName[WeightMap.TextLayer(5, "mlp.down_proj.weight")].Shape);
        Assert.Equal([896L, 1152], byName[WeightMap.ProjectorPrefix + "linear_1.weight"].Shape);
        Assert.Equal([896L], byName[WeightMap.ImageNewline].Shape);
        Assert.Equal([152000L, 896], byName[WeightMap.LmHead].Shape);
        Assert.False(byName.ContainsKey(WeightMap.TextLayer(24, "input_layernorm.weight")));
    }

    [Fact]
    public void Expected_SevenBillion_Has765TensorsIncludingTheHead()
    {
        var specs = WeightMap.Expected(LlavaOnevisionConfigTests.LoadFixture("7b"));

        Assert.Equal(765, specs.Count);
        Assert.Equal(763, specs.Count(s => !s.Optional));
        Assert.Equal(421, specs.Count(s => s.Name.StartsWith(WeightMap.VisionPrefix, StringComparison.Ordinal)));

        var byName = ByName(specs);
        Assert.False(byName[WeightMap.LmHead].Optional);
        Assert.Equal([152128L, 3584], byName[WeightMap.LmHead].Shape);
        Assert.Equal([512L, 3584], byName[WeightMap.TextLayer(27, "self_attn.k_proj.weight")].Shape);
        Assert.Equal([18944L, 3584], byName[WeightMap.TextLayer(0, "mlp.gate_proj.weight")].Shape);
        Assert.Equal([3584L, 3584], byName[WeightMap.ProjectorPrefix + "linear_2.weight"].Shape);
    }

    [Theory]
    [InlineData("0.5b")]
    [InlineData("7b")]
    public void Expected_VisionTower_MatchesSo400mMinusOneLayer(string size)
    {
        var byName = ByName(WeightMap.Expected(LlavaOnevisionConfigTests.LoadFixture(size)));

        Assert.Equal([1152L, 3, 14, 14], byName[WeightMap.VisionPrefix + "embeddings.patch_embedding.weight"].Shape);
        Assert.Equal([729L, 1152], byName[WeightMap.VisionPrefix + "embeddings.position_embedding.weight"].Shape);
        Assert.Equal([4304L, 1152], byName[WeightMap.VisionLayer(25, "mlp.fc1.weight")].Shape);
        Assert.Equal([1152L, 4304], byName[WeightMap.VisionLayer(0, "mlp.fc2.weight")].Shape);
        Assert.Equal([1152L, 1152], byName[WeightMap.VisionLayer(13, "self_attn.out_proj.weight")].Shape);
        Assert.False(byName.ContainsKey(WeightMap.VisionLayer(26, "layer_norm1.weight")));
    }

    [Theory]
    [InlineData("0.5b", 893_675_552L)]
    [InlineData("7b", 8_030_807_584L)]
    public void Expected_HubTensors_AddUpToThePublishedParameterCount(string size, long parameters)
    {
        var config = LlavaOnevisionConfigTests.LoadFixture(size);

        // Every shape is checked at once: the hub files' sizes (llava-onevision.md §2.1) fix the total exactly.
        long total = WeightMap.Expected(config)
            .Where(s => !(s.Name == WeightMap.LmHead && config.Text.TieWordEmbeddings))
            .Sum(s => s.Shape.Aggregate(1L, (n, d) => n * d));

        Assert.Equal(parameters, total);
    }

    [Fact]
    public void Expected_Names_AreUnique()
    {
        var specs = WeightMap.Expected(LlavaOnevisionConfigTests.LoadFixture("7b"));

        Assert.Equal(specs.Count, specs.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("vision_tower.vision_model.encoder.layers.3.mlp.fc1.bias", "model.vision_tower.vision_model.encoder.layers.3.mlp.fc1.bias")]
    [InlineData("multi_modal_projector.linear_2.weight", "model.multi_modal_projector.linear_2.weight")]
    [InlineData("image_newline", "model.image_newline")]
    [InlineData("language_model.model.layers.0.mlp.up_proj.weight", "model.language_model.layers.0.mlp.up_proj.weight")]
    [InlineData("language_model.lm_head.weight", "lm_head.weight")]
    public void FromCanonical_Transformers452_UsesTheNewPrefixes(string canonical, string modern)
    {
        Assert.Equal(modern, WeightMap.FromCanonical(canonical, WeightNaming.Transformers452));
        Assert.Equal(canonical, WeightMap.FromCanonical(canonical, WeightNaming.Legacy));
        Assert.Equal(canonical, WeightMap.ToCanonical(modern));
        Assert.Equal(canonical, WeightMap.ToCanonical(canonical));
    }

    [Fact]
    public void ToCanonical_EveryExpectedName_RoundTripsThroughBothSchemes()
    {
        foreach (var spec in WeightMap.Expected(LlavaOnevisionConfigTests.LoadFixture("7b")))
        {
            string modern = WeightMap.FromCanonical(spec.Name, WeightNaming.Transformers452);
            Assert.NotEqual(spec.Name, modern);
            Assert.Equal(spec.Name, WeightMap.ToCanonical(modern));
        }
    }

    [Theory]
    [InlineData(WeightNaming.Legacy, "image_newline", "language_model.model.norm.weight")]
    [InlineData(WeightNaming.Transformers452, "model.image_newline", "model.language_model.norm.weight", "lm_head.weight")]
    [InlineData(WeightNaming.Legacy, "something.else")]
    public void DetectNaming_FromNames_PicksTheScheme(WeightNaming expected, params string[] names)
    {
        Assert.Equal(expected, WeightMap.DetectNaming(names));
    }
}
