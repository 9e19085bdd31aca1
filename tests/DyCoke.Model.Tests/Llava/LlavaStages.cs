// Runs our forward pass on a reference fixture's inputs and collects the same named stages the fixture stores, as
// flat F32 arrays with their last dimension (so the fixture's row subsets can be picked out).
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Model.Siglip;
using DyCoke.Tensors;

namespace DyCoke.Model.Tests.Llava;

internal static class LlavaStages
{
    /// <summary>Stage name → (values, last dimension), for every stage a dycoke-llava-reference/1 fixture can hold.</summary>
    public static Dictionary<string, (float[] Values, int LastDim)> Run(LlavaOnevisionModel model, CheckpointDirectory checkpoint, ReferenceFixture reference)
    {
        var stages = new Dictionary<string, (float[], int)>(StringComparer.Ordinal);
        var backend = model.Backend;
        int c = model.Config.Text.HiddenSize, cv = model.Config.Vision.HiddenSize, patch = model.Config.Vision.PatchSize;
        using var pixels = SyntheticFrames.Pixels(reference.NumFrames); // [F, 3, 384, 384]

        var firstPatch = new float[3 * patch * patch]; // [3, 14, 14]
        var px = pixels.Span<float>();
        int size = model.Config.Vision.ImageSize;
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < patch; y++)
                px.Slice((ch * size + y) * size, patch).CopyTo(firstPatch.AsSpan((ch * patch + y) * patch, patch));
        stages["pixels_frame0_patch0"] = (firstPatch, patch);

        // hidden_states[0]: a tower that runs no layer, loaded from the same checkpoint.
        using (var weights = new WeightLoader(checkpoint, backend, model.ActivationDType))
        using (var embedded = new SiglipVisionTower(backend, model.Config.Vision, 0, weights).Forward(pixels.Rows(0, 1))) // [1, P, Cv]
            stages["siglip_embed_frame0"] = (embedded.ToFloatArray(), cv);
        using (var frame0 = model.VisionTower.Forward(pixels.Rows(0, 1))) // [1, P, Cv]
            stages["siglip_out_frame0"] = (frame0.ToFloatArray(), cv);
        using (var vision = model.VisionTower.Forward(pixels)) // [F, P, Cv]
        using (var projected = backend.Allocate(model.ActivationDType, new Shape(vision.Shape[0], vision.Shape[1], c))) // [F, P, C]
        {
            model.Projector.Forward(vision, projected);
            stages["projector_out"] = (projected.ToFloatArray(), c);
        }

        using var features = model.EncodeVideo(pixels); // [F·196 + 1, C]
        float[] featureValues = features.ToFloatArray();
        stages["video_features"] = (featureValues, c);
        stages["pooled"] = (featureValues[..^c], c);

        int[] ids = reference.InputIds;
        using var embeds = model.EmbedPrompt(ids, [features]); // [T, C]
        stages["inputs_embeds"] = (embeds.ToFloatArray(), c);

        var lm = model.LanguageModel;
        int[] forced = reference.HasStage("forced_step_logits") ? reference.ForcedIds : [];
        using var cache = lm.CreateKvCache(ids.Length + forced.Length);
        int[] positions = Enumerable.Range(0, ids.Length).ToArray();
        using (var batch = PrefillBatch.Create(backend, [ids.Length], positions, positions))
        using (var logits = lm.Prefill(embeds, batch, cache, (name, layer, value) =>
        {
            if (name == "layer_out" && layer == 0) stages["layer0_out"] = (value.ToFloatArray(), c);
            if (name == "final_norm_out") stages["final_norm_out"] = (value.ToFloatArray(), c);
        }))
            stages["last_logits"] = (logits.ToFloatArray(), lm.Config.VocabSize);

        if (forced.Length > 0)
        {
            var steps = new List<float>();
            for (int s = 0; s < forced.Length; s++)
            {
                int position = ids.Length + s;
                using var step = DecodeBatch.Create(backend, [forced[s]], [position], [position]);
                using var lists = FullKvLists.Create(backend, [Enumerable.Range(0, position + 1).ToArray()]);
                using var logits = lm.Decode(step, cache, lists); // [1, V]
                steps.AddRange(logits.ToFloatArray());
            }
            stages["forced_step_logits"] = (steps.ToArray(), lm.Config.VocabSize);
        }
        return stages;
    }
}
