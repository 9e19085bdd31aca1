// Start-up: resolves the checkpoint (writing the demo one into the cache on first use), picks the backend, loads
// weights, tokenizer and chat template, sizes the KV pool and starts the engine, logging each stage.
using System.Diagnostics;
using DyCoke.Compression;
using DyCoke.Engine;
using DyCoke.Model.Demo;
using DyCoke.Model.Llava;
using DyCoke.Model.Text;
using DyCoke.Server.Options;
using DyCoke.Tensors;
using DyCoke.Tensors.Cuda;

namespace DyCoke.Server.Hosting;

/// <summary>Builds the <see cref="ServedModel"/> from settings.</summary>
public static class ModelLoader
{
    public const string DemoName = "dycoke-demo";

    /// <summary>Loads the configured checkpoint, or the demo one when none is configured.</summary>
    /// <exception cref="Model.Config.CheckpointException">The checkpoint directory is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The configured DyCoke L is not a layer below the model's last.</exception>
    /// <exception cref="ArgumentException">Model:KvCacheDType is unknown or unsupported on the chosen device.</exception>
    public static ServedModel Load(ModelSettings settings, SchedulerSettings scheduler, DyCokeOptions dycoke, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var clock = Stopwatch.StartNew();
        bool isDemo = string.IsNullOrWhiteSpace(settings.Path);
        string directory = isDemo ? EnsureDemo(settings, logger) : Path.GetFullPath(settings.Path!);
        string name = settings.ServedModelName is { Length: > 0 } n ? n : isDemo ? DemoName : Path.GetFileName(directory.TrimEnd('/'));

        var backend = BackendFactory.Create(settings.Device, m => logger.LogInformation("{Message}", m));
        LlavaOnevisionModel? model = null;
        try
        {
            logger.LogInformation("Loading model {Directory} ...", directory);
            model = LlavaOnevisionModel.Load(directory, backend);
            logger.LogInformation("Loaded: {Summary}", model.LoadSummary);
            int layers = model.Config.Text.NumHiddenLayers;
            // Requests inherit the configured L, so a value the model cannot score at would fail every video request.
            if (dycoke.L >= layers)
                throw new ArgumentOutOfRangeException(nameof(dycoke), dycoke.L, $"DyCoke:L must be in [1, {layers - 1}] for this {layers}-layer model");
            var tokenizer = Qwen2Tokenizer.Load(directory);
            var prompts = new PromptBuilder(tokenizer, ChatTemplate.FromCheckpoint(directory));
            var kvDType = KvCacheDTypeOption.Resolve(settings.KvCacheDType, model);
            int slots = KvSlots(model, kvDType, settings, scheduler);
            var runner = new ModelRunner(model, slots, kvCacheDType: kvDType);
            logger.LogInformation("KV cache: {Slots} slots ({MiB:F1} MiB, {DType}) in blocks of {BlockSize}", slots, runner.KvCacheBytes / 1048576.0,
                KvCacheDTypeOption.NameOf(kvDType), scheduler.BlockSize);
            var engine = new Engine.Engine(runner, new EngineOptions
            {
                Scheduler = scheduler.ToEngineOptions(),
                EndOfTurnTokenIds = EndOfTurnIds(tokenizer),
                MaxModelLength = Math.Min(settings.MaxModelLength, model.Config.Text.MaxPositionEmbeddings),
            }, m => logger.LogWarning("{Message}", m));
            var served = new ServedModel(name, directory, isDemo, backend, model, tokenizer, prompts, engine);
            logger.LogInformation("Serving '{Name}' ({Description}), max model length {MaxLength}, ready in {Seconds:F1} s",
                name, served.Description, engine.MaxModelLength, clock.Elapsed.TotalSeconds);
            logger.LogInformation("DyCoke for video prompts: {State} (K {K}, L {L}, P {P}, gate {Gate}, {Mode} mode)",
                dycoke.Enabled ? "on" : "off", dycoke.K, dycoke.L, dycoke.P, dycoke.Gate, dycoke.Mode);
            if (isDemo) logger.LogWarning("No model configured (Model:Path / --model DIR): serving the demo checkpoint; its answers are random");
            return served;
        }
        catch
        {
            model?.Dispose();
            backend.Dispose();
            throw;
        }
    }

    private static string EnsureDemo(ModelSettings settings, ILogger logger)
    {
        string root = settings.CacheDirectory is { Length: > 0 } c
            ? Path.GetFullPath(c)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dycoke", "demo-model");
        string readme = Path.Combine(root, "README.md");
        // The writer puts README.md last, so its presence means an earlier write finished.
        if (File.Exists(readme) && File.Exists(Path.Combine(root, "config.json")))
        {
            logger.LogInformation("Using the demo checkpoint cached at {Directory}", root);
            return root;
        }
        logger.LogInformation("Writing the demo checkpoint (random weights) once into {Directory}", root);
        DemoModelWriter.Write(root, new DemoModelOptions());
        return root;
    }

    private static int KvSlots(LlavaOnevisionModel model, DType kvDType, ModelSettings settings, SchedulerSettings scheduler)
    {
        if (scheduler.KvCacheSlots > 0) return scheduler.KvCacheSlots / scheduler.BlockSize * scheduler.BlockSize;
        var text = model.Config.Text;
        long perSlot = KvPoolSizing.BytesPerSlot(text.NumHiddenLayers, text.NumKeyValueHeads, text.HeadDim, kvDType);
        if (model.Backend is CudaBackend cuda)
        {
            // Weights are resident by now, so the driver's free memory is what the cache can take; the reserve keeps
            // room for activations, cuBLAS workspace and CUDA graphs of the widest batch.
            var (free, total) = cuda.Gpu.MemoryInfo();
            long reserve = Math.Max(1L << 30, total / 20);
            long gpuSlots = KvPoolSizing.SlotCount(free, scheduler.KvMemoryFraction, reserve, perSlot, scheduler.BlockSize);
            if (gpuSlots < scheduler.BlockSize)
                throw new InvalidOperationException($"no GPU memory left for the KV cache: {free / 1048576} MiB free of {total / 1048576} MiB after the weights");
            return (int)Math.Min(gpuSlots, int.MaxValue / 2 / scheduler.BlockSize * scheduler.BlockSize);
        }
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long bySize = KvPoolSizing.SlotCount(available, scheduler.KvMemoryFraction, 0, perSlot, scheduler.BlockSize);
        // More than a few full-length sequences' worth is memory nobody can use at once on a CPU host.
        long cap = 4L * settings.MaxModelLength;
        return (int)Math.Max(scheduler.BlockSize, Math.Min(bySize, cap) / scheduler.BlockSize * scheduler.BlockSize);
    }

    private static int[] EndOfTurnIds(Qwen2Tokenizer tokenizer) =>
        new[] { "<|im_end|>", "<|endoftext|>" }.Select(t => tokenizer.TryGetId(t, out int id) ? id : -1).Where(id => id >= 0).ToArray();
}
