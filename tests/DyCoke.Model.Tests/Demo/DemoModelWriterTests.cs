// The demo checkpoint as a whole: determinism, the safetensors header against WeightMap, config.json against
// LlavaOnevisionConfig and the tokenizer, the processor side files, and the directory rules.
using System.Buffers.Binary;
using System.Text.Json;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Model.Demo;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class DemoModelWriterTests
{
    [Fact]
    public void Write_SameSeed_ByteIdenticalFiles()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.File("a"), new DemoModelOptions { Seed = 11 });
        DemoModelWriter.Write(temp.File("b"), new DemoModelOptions { Seed = 11 });

        var filesA = RelativeFiles(temp.File("a"));
        Assert.Equal(DemoModelWriter.FileNames.Order(StringComparer.Ordinal), filesA);
        Assert.Equal(filesA, RelativeFiles(temp.File("b")));
        foreach (string file in filesA)
            Assert.True(File.ReadAllBytes(Path.Combine(temp.File("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File("b"), file))), $"{file} differs");
    }

    [Fact]
    public void Write_LoadsBackThroughCheckpointDirectory_WithEveryWeightValidAndTiedHead()
    {
        using var temp = new TempDirectory();
        string dir = temp.File("demo");
        DemoModelWriter.Write(dir, new DemoModelOptions { Seed = 5 });

        using var checkpoint = CheckpointDirectory.Open(dir);
        checkpoint.Validate();

        Assert.Equal(WeightNaming.Legacy, checkpoint.Naming);
        Assert.Empty(checkpoint.UnexpectedTensors);
        Assert.Equal(384, checkpoint.Config.Vision.ImageSize);
        Assert.Equal(196, checkpoint.Config.TokensPerFrame);
        var head = checkpoint.GetLmHead();
        var embed = checkpoint.GetTensor(WeightMap.TextPrefix + "embed_tokens.weight");
        Assert.Equal(embed.Pointer, head.Pointer); // tied: the head is the embedding matrix itself, not a copy
        Assert.Equal(DType.F16, head.DType);
        // The loaded values are the written ones: compare one tensor against the independent header parser.
        string path = Path.Combine(dir, "model.safetensors");
        string name = WeightMap.TextLayer(0, "self_attn.q_proj.weight");
        Assert.Equal(Values(path, SafeTensorsHeader.Read(path), name), checkpoint.GetTensor(name).ToFloatArray());
    }

    [Fact]
    public void Write_DifferentSeed_EveryTensorDiffersAndConfigIsTheSame()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.File("a"), new DemoModelOptions { Seed = 1 });
        DemoModelWriter.Write(temp.File("b"), new DemoModelOptions { Seed = 2 });

        string pathA = Path.Combine(temp.File("a"), "model.safetensors"), pathB = Path.Combine(temp.File("b"), "model.safetensors");
        var a = SafeTensorsHeader.Read(pathA);
        var b = SafeTensorsHeader.Read(pathB);
        Assert.Equal(a.Tensors.Keys.Order(StringComparer.Ordinal), b.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (string name in a.Tensors.Keys)
            Assert.False(SafeTensorsHeader.TensorBytes(pathA, a, name).AsSpan().SequenceEqual(SafeTensorsHeader.TensorBytes(pathB, b, name)), $"{name} did not change with the seed");
        foreach (string file in (string[])["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.json"])
            Assert.Equal(File.ReadAllText(Path.Combine(temp.File("a"), file)), File.ReadAllText(Path.Combine(temp.File("b"), file)));
    }

    [Fact]
    public void Write_SafeTensorsHeader_ListsExactlyTheHubTensorsInF16()
    {
        using var temp = new TempDirectory();
        var summary = DemoModelWriter.Write(temp.Path, new DemoModelOptions());
        var header = SafeTensorsHeader.Read(Path.Combine(temp.Path, "model.safetensors"));

        var expected = WeightMap.Expected(summary.Config)
            .Where(s => !s.Optional || s.Name.Contains("post_layernorm", StringComparison.Ordinal))
            .ToDictionary(s => s.Name, s => s.Shape, StringComparer.Ordinal);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), header.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(WeightMap.LmHead, header.Tensors.Keys);
        Assert.Contains(WeightMap.VisionPrefix + "post_layernorm.weight", header.Tensors.Keys);
        foreach (var (name, entry) in header.Tensors)
        {
            Assert.Equal("F16", entry.DType);
            Assert.Equal(expected[name], entry.Shape);
            Assert.Equal(new Shape(entry.Shape).NumElements * 2, entry.End - entry.Begin);
        }
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal(header.Tensors.Values.Sum(e => e.End - e.Begin), header.DataLength);
        Assert.Equal(summary.NumTensors, header.Tensors.Count);
        Assert.Equal(summary.NumParameters, header.Tensors.Values.Sum(e => new Shape(e.Shape).NumElements));
    }

    [Fact]
    public void Write_Config_ParsesWithTinyShapesAndRealGeometry()
    {
        using var temp = new TempDirectory();
        var summary = DemoModelWriter.Write(temp.Path, new DemoModelOptions());
        var config = LlavaOnevisionConfig.Load(Path.Combine(temp.Path, "config.json"));

        Assert.Equal(summary.Config, config);
        Assert.Equal((384, 14, 27, 729), (config.Vision.ImageSize, config.Vision.PatchSize, config.Vision.GridSize, config.Vision.NumPatches));
        Assert.Equal((14, 196), (config.PooledGridSize, config.TokensPerFrame));
        Assert.Equal(64, config.Vision.HiddenSize);
        Assert.Equal(64, config.Text.HiddenSize);
        Assert.Equal(4, config.Text.NumAttentionHeads);
        Assert.Equal(2, config.Text.NumKeyValueHeads);
        Assert.Equal(1e6, config.Text.RopeTheta);
        Assert.Equal(1e-6f, config.Text.RmsNormEps);
        Assert.True(config.Text.TieWordEmbeddings);
        Assert.Equal("float16", config.TorchDtype);

        using var raw = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "config.json")));
        Assert.Equal("llava_onevision", raw.RootElement.GetProperty("model_type").GetString());
        Assert.Equal("qwen2", raw.RootElement.GetProperty("text_config").GetProperty("model_type").GetString());
        Assert.Equal("siglip_vision_model", raw.RootElement.GetProperty("vision_config").GetProperty("model_type").GetString());
        Assert.Equal(36, raw.RootElement.GetProperty("image_grid_pinpoints").GetArrayLength());
    }

    [Fact]
    public void Write_Config_VocabularyCoversEveryTokenizerIdAndIsPaddedTo64()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.Path, new DemoModelOptions());
        var config = LlavaOnevisionConfig.Load(Path.Combine(temp.Path, "config.json"));
        using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "tokenizer.json")));

        var ids = tokenizer.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Select(p => p.Value.GetInt32()).ToList();
        var added = tokenizer.RootElement.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        int numIds = ids.Concat(added.Values).Max() + 1;
        Assert.Equal(0, config.Text.VocabSize % 64);
        Assert.InRange(config.Text.VocabSize, numIds, numIds + 63);
        Assert.Equal(added["<image>"], config.ImageTokenIndex);
        Assert.Equal(added["<video>"], config.VideoTokenIndex);

        using var generation = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "generation_config.json")));
        Assert.Equal(added["<|endoftext|>"], generation.RootElement.GetProperty("bos_token_id").GetInt32());
        Assert.Equal(added["<|im_end|>"], generation.RootElement.GetProperty("eos_token_id").GetInt32());
    }

    [Fact]
    public void Write_ProcessorFiles_CarryLlavaOnevisionPreprocessingAndTemplate()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.Path, new DemoModelOptions());

        foreach (string file in (string[])["preprocessor_config.json", Path.Combine("video_processor", "preprocessor_config.json")])
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, file)));
            var root = doc.RootElement;
            Assert.Equal(384, root.GetProperty("size").GetProperty("height").GetInt32());
            Assert.Equal(384, root.GetProperty("size").GetProperty("width").GetInt32());
            Assert.Equal(3, root.GetProperty("resample").GetInt32());
            Assert.Equal(1.0 / 255.0, root.GetProperty("rescale_factor").GetDouble());
            Assert.All(root.GetProperty("image_mean").EnumerateArray(), m => Assert.Equal(0.5, m.GetDouble()));
            Assert.All(root.GetProperty("image_std").EnumerateArray(), s => Assert.Equal(0.5, s.GetDouble()));
        }

        using var template = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "chat_template.json")));
        string text = template.RootElement.GetProperty("chat_template").GetString()!;
        Assert.Equal(DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision, text);
        Assert.Contains("{{ '<video>\n' }}", text, StringComparison.Ordinal);
        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "tokenizer_config.json")));
        Assert.Equal(text, tokenizerConfig.RootElement.GetProperty("chat_template").GetString());
        Assert.Equal("<|im_end|>", tokenizerConfig.RootElement.GetProperty("eos_token").GetString());
        Assert.Equal("<|endoftext|>", tokenizerConfig.RootElement.GetProperty("pad_token").GetString());

        using var processor = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(temp.Path, "processor_config.json")));
        Assert.Equal("<video>", processor.RootElement.GetProperty("video_token").GetString());
        Assert.Equal(729, processor.RootElement.GetProperty("num_image_tokens").GetInt32());
        Assert.StartsWith(DemoSideFiles.ReadmeTitle + "\n", File.ReadAllText(Path.Combine(temp.Path, "README.md")), StringComparison.Ordinal);
        Assert.Contains("mean nothing", File.ReadAllText(Path.Combine(temp.Path, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_Weights_NormsNearOneLinearsAndBiasesSmall()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.Path, new DemoModelOptions { Seed = 3 });
        string path = Path.Combine(temp.Path, "model.safetensors");
        var header = SafeTensorsHeader.Read(path);

        var norm = Values(path, header, WeightMap.TextPrefix + "norm.weight");
        Assert.All(norm, v => Assert.InRange(v, 0.9f, 1.1f));
        var embed = Values(path, header, WeightMap.TextPrefix + "embed_tokens.weight");
        double mean = embed.Average(v => (double)v);
        double std = Math.Sqrt(embed.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, 0.018, 0.022);
        var biases = header.Tensors.Keys.Where(n => n.EndsWith(".bias", StringComparison.Ordinal)).SelectMany(n => Values(path, header, n)).ToList();
        double biasStd = Math.Sqrt(biases.Average(v => (double)v * v));
        Assert.InRange(biasStd, 0.008, 0.012);
    }

    [Fact]
    public void Write_IntoForeignNonEmptyDirectory_ThrowsAndLeavesItAlone()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("config.json"), "{}");

        var e = Assert.Throws<IOException>(() => DemoModelWriter.Write(temp.Path, new DemoModelOptions()));
        Assert.Contains("not empty", e.Message, StringComparison.Ordinal);
        Assert.Equal("{}", File.ReadAllText(temp.File("config.json")));
        Assert.False(File.Exists(temp.File("model.safetensors")));
    }

    [Fact]
    public void Write_OverEarlierDemoModel_ReplacesItsFiles()
    {
        using var temp = new TempDirectory();
        DemoModelWriter.Write(temp.Path, new DemoModelOptions { Seed = 5 });
        byte[] before = File.ReadAllBytes(temp.File("model.safetensors"));

        DemoModelWriter.Write(temp.Path, new DemoModelOptions { Seed = 6 });

        Assert.False(before.AsSpan().SequenceEqual(File.ReadAllBytes(temp.File("model.safetensors"))));
        Assert.Contains("| seed | 6 |", File.ReadAllText(temp.File("README.md")), StringComparison.Ordinal);
    }

    private static List<string> RelativeFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();

    private static float[] Values(string path, SafeTensorsHeader header, string name)
    {
        byte[] bytes = SafeTensorsHeader.TensorBytes(path, header, name);
        var values = new float[bytes.Length / 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = DTypeConversion.F16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)));
        return values;
    }
}
