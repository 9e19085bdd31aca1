// LLaVA-OneVision assembled from a checkpoint directory onto a backend: the SigLIP tower, the projector and
// image_newline (the video feature path), and the Qwen2 LM; plus the prompt embedding with the <video> rows replaced
// (llava-onevision.md §6.1). The only entry point that reads weights, through one WeightLoader.
using System.Diagnostics;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Model.Qwen2;
using DyCoke.Model.Siglip;
using DyCoke.Tensors;

namespace DyCoke.Model.Llava;

/// <summary>HF <c>LlavaOnevisionForConditionalGeneration</c> for video prompts, on an <see cref="IBackend"/>.</summary>
public sealed class LlavaOnevisionModel : IDisposable
{
    private readonly CheckpointDirectory? _ownedCheckpoint;
    private readonly WeightLoader _weights;

    private LlavaOnevisionModel(LlavaOnevisionConfig config, IBackend backend, WeightLoader weights, CheckpointDirectory? ownedCheckpoint, Stopwatch clock)
    {
        Config = config;
        Backend = backend;
        _weights = weights;
        _ownedCheckpoint = ownedCheckpoint;
        ActivationDType = weights.ActivationDType;
        VisionTower = new SiglipVisionTower(backend, config.Vision, config.VisionFeatureLayer, weights);
        Projector = new MultiModalProjector(backend, config, weights);
        var imageNewline = weights.Weight(WeightMap.ImageNewline, MultiModalProjector.Component); // [C]
        Video = new VideoFeatures(backend, ActivationDType, config, VisionTower, Projector, imageNewline);
        LanguageModel = new Qwen2Model(backend, config.Text, weights);
        backend.Synchronize();
        LoadSummary = Summarize(backend, weights, clock.Elapsed);
    }

    public LlavaOnevisionConfig Config { get; }

    public IBackend Backend { get; }

    /// <summary>The dtype of activations and KV cache on <see cref="Backend"/>.</summary>
    public DType ActivationDType { get; }

    public SiglipVisionTower VisionTower { get; }

    public MultiModalProjector Projector { get; }

    /// <summary>Frames → the embedding rows of one video.</summary>
    public VideoFeatures Video { get; }

    public Qwen2Model LanguageModel { get; }

    /// <summary>What the load read and copied, with parameter counts.</summary>
    public ModelLoadSummary LoadSummary { get; }

    /// <summary>Opens the checkpoint directory and loads it; the model owns (and disposes) the checkpoint.</summary>
    /// <exception cref="CheckpointException">The directory is not a valid LLaVA-OneVision checkpoint.</exception>
    public static LlavaOnevisionModel Load(string directory, IBackend backend)
    {
        var checkpoint = CheckpointDirectory.Open(directory);
        try
        {
            return Load(checkpoint, backend, ownsCheckpoint: true);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads an open checkpoint onto <paramref name="backend"/>. On the CPU the weights are the mapped tensors
    /// themselves, so the checkpoint must stay open while the model is used (pass <paramref name="ownsCheckpoint"/>
    /// to have the model dispose it).
    /// </summary>
    /// <exception cref="CheckpointException">A tensor the model needs is missing.</exception>
    public static LlavaOnevisionModel Load(CheckpointDirectory checkpoint, IBackend backend, bool ownsCheckpoint = false)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(backend);
        var clock = Stopwatch.StartNew();
        var weights = new WeightLoader(checkpoint, backend, BackendTensors.ActivationDType(backend));
        try
        {
            return new LlavaOnevisionModel(checkpoint.Config, backend, weights, ownsCheckpoint ? checkpoint : null, clock);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static ModelLoadSummary Summarize(IBackend backend, WeightLoader weights, TimeSpan elapsed) => new(
        backend.Name, weights.ActivationDType, weights.NumTensors, weights.NumParameters,
        weights.ParametersOf(SiglipVisionTower.Component), weights.ParametersOf(MultiModalProjector.Component),
        weights.ParametersOf(Qwen2Model.Component), weights.StoredBytes, weights.CopiedBytes, elapsed);

    /// <summary>Encodes one video: host F32 pixels [F, Ch, S, S] → [F·196 + 1, C] (see <see cref="VideoFeatures.Encode"/>).</summary>
    public Tensor EncodeVideo(Tensor pixels) => Video.Encode(pixels);

    /// <summary>
    /// The prompt's input embeddings [T, C] (activation dtype, caller owns): token embeddings, with the rows whose id is
    /// <c>video_token_index</c> overwritten in order by <paramref name="videoFeatures"/> (each [n_i, C], all of them one
    /// after another, as HF's masked scatter). <paramref name="ids"/> may be several sequences' prompts concatenated.
    /// </summary>
    /// <exception cref="ArgumentException">The placeholder count differs from the feature rows, or a feature tensor
    /// has the wrong width or dtype.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public Tensor EmbedPrompt(ReadOnlySpan<int> ids, IReadOnlyList<Tensor> videoFeatures)
    {
        ArgumentNullException.ThrowIfNull(videoFeatures);
        int videoToken = Config.VideoTokenIndex, c = Config.Text.HiddenSize;
        long featureRows = 0;
        foreach (var f in videoFeatures)
        {
            if (f.Shape.Rank != 2 || f.Shape[1] != c || f.DType != ActivationDType)
                throw new ArgumentException($"video features must be {ActivationDType} [n, {c}], got {f}", nameof(videoFeatures));
            featureRows += f.Shape[0];
        }
        int placeholders = ids.Count(videoToken);
        if (placeholders != featureRows)
            throw new ArgumentException($"the prompt has {placeholders} <video> placeholder tokens (id {videoToken}) but the videos give {featureRows} feature rows", nameof(videoFeatures));

        using var idTensor = Backend.UploadInts(ids); // [T]
        var embeds = LanguageModel.Embed(idTensor); // [T, C]
        try
        {
            // Placeholder runs are copied as blocks; a run may span two videos, so each block is cut at video ends.
            int video = 0;
            long used = 0; // rows of videoFeatures[video] already placed
            for (int t = 0; t < ids.Length;)
            {
                if (ids[t] != videoToken) { t++; continue; }
                int run = 1;
                while (t + run < ids.Length && ids[t + run] == videoToken) run++;
                for (int done = 0; done < run;)
                {
                    while (used == videoFeatures[video].Shape[0]) { video++; used = 0; }
                    int n = (int)Math.Min(run - done, videoFeatures[video].Shape[0] - used);
                    Backend.Copy(videoFeatures[video].Rows(used, n), embeds.Rows(t + done, n));
                    used += n;
                    done += n;
                }
                t += run;
            }
            return embeds;
        }
        catch
        {
            embeds.Dispose();
            throw;
        }
    }

    /// <summary>Frees uploaded weights and, when the model owns it, unmaps the checkpoint.</summary>
    public void Dispose()
    {
        LanguageModel.Dispose();
        _weights.Dispose();
        _ownedCheckpoint?.Dispose();
    }
}
