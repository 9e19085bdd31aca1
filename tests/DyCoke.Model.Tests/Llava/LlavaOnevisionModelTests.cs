// Loading (parameter counts, no weight copies on the CPU, both name schemes, sharded and untied checkpoints) and the
// prompt embedding merge of LlavaOnevisionModel.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Model.Tests.Llava;

public sealed class LlavaOnevisionModelTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Load_DemoCheckpoint_CountsEveryUsedTensorOnceAndCopiesOnlyPositionEmbeddings()
    {
        using var checkpoint = CheckpointDirectory.Open(demo.Directory);
        var used = checkpoint.CanonicalNames.Where(n => !n.Contains("post_layernorm", StringComparison.Ordinal)).ToArray();
        long parameters = used.Sum(n => checkpoint.GetTensor(n).NumElements);
        var summary = demo.Model.LoadSummary;
        var vision = checkpoint.Config.Vision;

        Assert.Equal(used.Length, summary.NumTensors);
        Assert.Equal(parameters, summary.NumParameters);
        Assert.Equal(parameters * 2, summary.StoredBytes); // the demo stores F16
        Assert.Equal(parameters, summary.VisionParameters + summary.ProjectorParameters + summary.LanguageParameters);
        Assert.Equal(used.Where(n => n.StartsWith(WeightMap.TextPrefix, StringComparison.Ordinal)).Sum(n => checkpoint.GetTensor(n).NumElements),
            summary.LanguageParameters);
        Assert.Equal((long)vision.NumPatches * vision.HiddenSize * sizeof(float), summary.CopiedBytes);
        Assert.Equal(DType.F32, summary.ActivationDType);
        Assert.Contains("parameters", summary.ToString());
    }

    [Fact]
    public void Load_TinyCheckpointInEitherSchemeOrSharded_SameLogits()
    {
        using var temp = new TempDirectory();
        TestCheckpoints.WriteTiny(temp.File("legacy"), tied: false, WeightNaming.Legacy);
        TestCheckpoints.WriteTiny(temp.File("modern"), tied: false, WeightNaming.Transformers452, shards: 3);
        TestCheckpoints.WriteTiny(temp.File("tied"), tied: true, WeightNaming.Legacy);

        float[] legacy = TinyLogits(temp.File("legacy"), out long legacyParameters);
        float[] modern = TinyLogits(temp.File("modern"), out long modernParameters);
        float[] tied = TinyLogits(temp.File("tied"), out long tiedParameters);

        Assert.Equal(legacy, modern);
        Assert.Equal(legacyParameters, modernParameters);
        var text = TestCheckpoints.TinyConfig(tied: false).Text;
        Assert.Equal((long)text.VocabSize * text.HiddenSize, legacyParameters - tiedParameters); // the untied head
        Assert.NotEqual(legacy, tied);
    }

    [Fact]
    public void EmbedPrompt_TwoVideos_PlaceholderRowsTakeTheFeaturesInOrder()
    {
        var model = demo.Model;
        using var one = model.EncodeVideo(SyntheticFrames.Pixels(1)); // [197, C]
        using var two = model.EncodeVideo(SyntheticFrames.Pixels(2, firstFrame: 1)); // [393, C]
        int[] prefix = [5, 6], middle = [7], suffix = [8, 9, 10];
        int[] ids = [.. prefix, .. Enumerable.Repeat(demo.VideoToken, 197), .. middle, .. Enumerable.Repeat(demo.VideoToken, 393), .. suffix];

        using var embeds = model.EmbedPrompt(ids, [one, two]); // [T, C]
        using var textIds = Tensor.FromArray(ids.Select(id => id == demo.VideoToken ? 0 : id).ToArray(), new Shape(ids.Length)); // [T]
        using var text = model.LanguageModel.Embed(textIds); // [T, C]

        Assert.Equal(new Shape(ids.Length, model.Config.Text.HiddenSize), embeds.Shape);
        Assert.Equal(text.Rows(0, 2).ToFloatArray(), embeds.Rows(0, 2).ToFloatArray());
        Assert.Equal(one.ToFloatArray(), embeds.Rows(2, 197).ToFloatArray());
        Assert.Equal(text.Rows(199, 1).ToFloatArray(), embeds.Rows(199, 1).ToFloatArray());
        Assert.Equal(two.ToFloatArray(), embeds.Rows(200, 393).ToFloatArray());
        Assert.Equal(text.Rows(593, 3).ToFloatArray(), embeds.Rows(593, 3).ToFloatArray());
    }

    [Fact]
    public void EmbedPrompt_PlaceholderCountDiffersFromFeatureRows_Throws()
    {
        using var video = demo.Model.EncodeVideo(SyntheticFrames.Pixels(1)); // [197, C]
        int[] ids = [1, .. Enumerable.Repeat(demo.VideoToken, 196), 2];
        var e = Assert.Throws<ArgumentException>(() => demo.Model.EmbedPrompt(ids, [video]));
        Assert.Contains("196 <video> placeholder", e.Message);
    }

    // Tiny config (llava 28 px / patch 14: 4 patches pooled to 1 token per frame): a 2-frame video between text.
    private static float[] TinyLogits(string directory, out long parameters)
    {
        using var backend = new CpuBackend();
        using var model = LlavaOnevisionModel.Load(directory, backend);
        parameters = model.LoadSummary.NumParameters;
        var pixels = Tensor.Cpu(DType.F32, new Shape(2, 3, 28, 28)); // [F, 3, 28, 28]
        var span = pixels.Span<float>();
        for (int i = 0; i < span.Length; i++) span[i] = (i % 17) / 8f - 1f;
        using (pixels)
        using (var video = model.EncodeVideo(pixels)) // [3, C]
        {
            int v = model.Config.VideoTokenIndex;
            int[] ids = [1, 2, v, v, v, 3, 4];
            using var embeds = model.EmbedPrompt(ids, [video]);
            using var cache = model.LanguageModel.CreateKvCache(ids.Length);
            int[] positions = Enumerable.Range(0, ids.Length).ToArray();
            using var batch = PrefillBatch.Create(backend, [ids.Length], positions, positions);
            using var logits = model.LanguageModel.Prefill(embeds, batch, cache);
            float[] result = logits.ToFloatArray();
            Assert.All(result, x => Assert.True(float.IsFinite(x)));
            return result;
        }
    }
}
