// The `dycoke` verb (issue 7): prefill time and decode step time of one video prompt with DyCoke off, TTM only and
// TTM + DP, on any LLaVA-OneVision checkpoint (a random 0.5B-shaped one from tools/reference/random_checkpoint.py),
// plus the KV rows each decode step touches. Ratios are against our own uncompressed path on the same backend.
using System.Diagnostics;
using DyCoke.Compression;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Bench;

/// <summary>DyCoke off / TTM only / TTM + DP on one synthetic video prompt.</summary>
public static class DyCokeBench
{
    private sealed record Measurement(string Name, int PromptTokens, double TtmMs, double PrefillMs, double DecodeStepMs, double KvRowsPerStep);

    /// <summary>
    /// Options: --model DIR (required), --device cpu|cuda|auto (cpu), --frames F (32), --steps N decode steps timed
    /// after one warm-up (8), --mode paper|reference (paper). Prints one line per configuration and the ratios.
    /// </summary>
    /// <returns>0 on success, 2 on bad arguments.</returns>
    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "model", "device", "frames", "steps", "mode");
        string model = options.String("model") ?? throw new ArgumentException("--model DIR is required (a LLaVA-OneVision checkpoint directory)");
        int frames = options.Int("frames", 32), steps = options.Int("steps", 8);
        var mode = (options.String("mode") ?? "paper") switch
        {
            "paper" => DyCokeMode.Paper,
            "reference" => DyCokeMode.Reference,
            var other => throw new ArgumentException($"--mode expects paper or reference, got '{other}'"),
        };
        using var backend = BackendFactory.Create(options.String("device") ?? "cpu", Console.Error.WriteLine);
        using var llava = LlavaOnevisionModel.Load(model, backend);
        var config = llava.Config;
        Console.WriteLine($"dycoke bench: {backend.Name}, {config.Text.NumHiddenLayers} layers × {config.Text.HiddenSize}, {frames} frames, {steps} decode steps, mode {mode}");

        using var pixels = Pixels(frames, config.Vision.ImageSize); // [F, 3, S, S]
        using var video = llava.EncodeVideo(pixels); // [F·196 + 1, C]
        int[] prefix = Enumerable.Range(1, 14).ToArray(), suffix = Enumerable.Range(20, 24).ToArray(); // the reference template's 14 + a question
        var dycoke = new DyCokeOptions { Mode = mode };
        var results = new[]
        {
            Measure(llava, video, prefix, suffix, null, steps, "off"),
            Measure(llava, video, prefix, suffix, dycoke with { P = 0 }, steps, "TTM only", usePruning: false),
            Measure(llava, video, prefix, suffix, dycoke, steps, "TTM + DP"),
        };
        var off = results[0];
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-9} prompt {r.PromptTokens,5} tokens  TTM {r.TtmMs,7:F1} ms  prefill {r.PrefillMs,9:F1} ms ({off.PrefillMs / r.PrefillMs:F2}×)  " +
                $"decode step {r.DecodeStepMs,8:F2} ms ({off.DecodeStepMs / r.DecodeStepMs:F2}×)  KV rows/step {r.KvRowsPerStep,9:F0} ({100 * r.KvRowsPerStep / off.KvRowsPerStep:F1}%)");
        return 0;
    }

    // Prefill = TTM + embedding + LM prefill; decode = the mean of `steps` steps after one warm-up step.
    private static Measurement Measure(LlavaOnevisionModel llava, Tensor video, int[] prefix, int[] suffix, DyCokeOptions? dycoke, int steps, string name, bool usePruning = true)
    {
        var backend = llava.Backend;
        var lm = llava.LanguageModel;
        int videoToken = llava.Config.VideoTokenIndex;
        backend.Synchronize();
        var clock = Stopwatch.StartNew();
        MergedVideo? merged = dycoke is null ? null : VideoTokenMerging.Merge(backend, video, llava.Config.TokensPerFrame, dycoke);
        backend.Synchronize();
        double ttmMs = clock.Elapsed.TotalMilliseconds;
        var features = merged?.Features ?? video; // [n + 1, C]
        int[] ids = [.. prefix, .. Enumerable.Repeat(videoToken, (int)features.Shape[0]), .. suffix];
        using var cache = lm.CreateKvCache(ids.Length + steps + 1); // per layer [S, Hkv, D]
        int[] slots = Enumerable.Range(0, ids.Length + steps + 1).ToArray(); // slot = position
        try
        {
            using (var embeds = llava.EmbedPrompt(ids, [features])) // [T, C]
            using (var batch = PrefillBatch.Create(backend, [ids.Length], slots[..ids.Length], slots[..ids.Length]))
            using (var logits = lm.Prefill(embeds, batch, cache)) // [1, V]
                backend.Synchronize();
            double prefillMs = clock.Elapsed.TotalMilliseconds;

            var pruning = usePruning && merged is not null ? new DynamicKvPruning(dycoke!, prefix.Length, merged.TokensAfter) : null;
            int layers = lm.Config.NumHiddenLayers;
            double decodeMs = 0, kvRows = 0;
            for (int step = 0; step <= steps; step++)
            {
                int position = ids.Length + step;
                var stepClock = Stopwatch.StartNew();
                using var batch = DecodeBatch.Create(backend, [suffix[step % suffix.Length]], [position], [position]);
                using var lists = DyCokeKvLists.Create(backend, [new DyCokeSequence(slots[..(position + 1)], pruning)]);
                using var logits = lm.Decode(batch, cache, lists); // [1, V]
                backend.Synchronize();
                if (step == 0) continue; // warm-up
                decodeMs += stepClock.Elapsed.TotalMilliseconds;
                int pruned = pruning is null ? position + 1 : (int)lists.ListsFor(pruning.FirstPrunedLayer).Indices.NumElements;
                int full = Math.Min(layers, pruning?.FirstPrunedLayer ?? layers);
                kvRows += (double)full * (position + 1) + (double)(layers - full) * pruned;
            }
            return new Measurement(name, ids.Length, ttmMs, prefillMs, decodeMs / steps, kvRows / steps);
        }
        finally
        {
            merged?.Features.Dispose();
        }
    }

    // Deterministic pixels in [−1, 1) that change from frame to frame, so TTM has something to choose from.
    private static Tensor Pixels(int frames, int size)
    {
        var pixels = Tensor.Cpu(DType.F32, new Shape(frames, 3, size, size)); // [F, 3, S, S]
        var span = pixels.Span<float>();
        var rng = new Random(7);
        for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * 2 - 1);
        return pixels;
    }
}
