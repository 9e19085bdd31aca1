// The SigLIP vision tower as LLaVA-OneVision reads it (llava-onevision.md §4.1–4.2): patch embedding (the stride-14
// conv as a patch rearrangement plus one Linear), learned position embeddings, the encoder layers, and the raw last
// hidden state: no post_layernorm, no pooling head.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Siglip;

/// <summary>HF <c>SiglipVisionModel</c> up to <c>hidden_states[vision_feature_layer]</c>. Frames are independent.</summary>
public sealed class SiglipVisionTower
{
    internal const string Component = "vision";

    private readonly IBackend _backend;
    private readonly DType _activationDType;
    private readonly Tensor _patchWeight; // [C, Ch·p·p], the conv weight [C, Ch, p, p] seen as a matrix
    private readonly Tensor _patchBias; // [C]
    private readonly Tensor _positionEmbedding; // [P, C], activation dtype
    private readonly SiglipEncoderLayer[] _layers;

    internal SiglipVisionTower(IBackend backend, SiglipVisionConfig config, int visionFeatureLayer, WeightLoader weights)
    {
        _backend = backend;
        _activationDType = weights.ActivationDType;
        Config = config;
        var conv = weights.Weight(WeightMap.VisionEmbeddings("patch_embedding.weight"), Component); // [C, Ch, p, p]
        _patchWeight = conv.Reshape(new Shape(config.HiddenSize, PatchFeatures));
        _patchBias = weights.Weight(WeightMap.VisionEmbeddings("patch_embedding.bias"), Component);
        _positionEmbedding = weights.Activation(WeightMap.VisionEmbeddings("position_embedding.weight"), Component);
        // hidden_states[k] is the output of layer k, so only the first k layers run; −1 means the last entry.
        int numLayers = visionFeatureLayer == -1 ? config.NumHiddenLayers : visionFeatureLayer;
        _layers = new SiglipEncoderLayer[numLayers];
        for (int i = 0; i < numLayers; i++) _layers[i] = new SiglipEncoderLayer(backend, config, weights, i);
    }

    public SiglipVisionConfig Config { get; }

    /// <summary>Encoder layers that run (26 for LLaVA-OneVision, whose converter already dropped so400m's last).</summary>
    public int NumLayers => _layers.Length;

    private int PatchFeatures => Config.NumChannels * Config.PatchSize * Config.PatchSize;

    /// <summary>
    /// Encodes frames. <paramref name="pixels"/> is a host F32 tensor [F, Ch, S, S] (S = image_size, normalised
    /// pixels); the result [F, P, C] (activation dtype, on the backend) is owned by the caller.
    /// </summary>
    /// <exception cref="ArgumentException">pixels is not a host F32 tensor of that shape.</exception>
    public Tensor Forward(Tensor pixels)
    {
        int f = CheckPixels(pixels);
        int p = Config.NumPatches, c = Config.HiddenSize;
        var b = _backend;

        // Patch embedding: each patch's pixels in (channel, row, column) order times the conv weight, plus bias.
        var output = b.Allocate(_activationDType, new Shape(f, p, c)); // [F, P, C], owned by the caller
        try
        {
            var x = output.Reshape(new Shape((long)f * p, c)); // [F·P, C] view
            using (var hostPatches = Patchify(pixels)) // [F·P, Ch·p·p] on the host
            using (var patches = b.Upload(hostPatches, _activationDType)) // [F·P, Ch·p·p]
                b.Linear(patches, _patchWeight, _patchBias, x);
            for (int i = 0; i < f; i++)
            {
                var frame = x.Rows((long)i * p, p); // [P, C]
                b.Add(frame, _positionEmbedding, frame);
            }

            var offsets = new int[f + 1]; // [F + 1] frame boundaries
            for (int i = 0; i <= f; i++) offsets[i] = checked(i * p);
            using var cuSeqLens = b.UploadInts(offsets); // [F + 1]
            foreach (var layer in _layers) layer.Forward(x, cuSeqLens);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private int CheckPixels(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var expected = $"[F, {Config.NumChannels}, {Config.ImageSize}, {Config.ImageSize}]";
        if (pixels.Device != DeviceKind.Cpu || pixels.DType != DType.F32)
            throw new ArgumentException($"pixels must be a host F32 tensor, got {pixels}", nameof(pixels));
        if (pixels.Shape.Rank != 4 || pixels.Shape[0] < 1 || pixels.Shape[1] != Config.NumChannels
            || pixels.Shape[2] != Config.ImageSize || pixels.Shape[3] != Config.ImageSize)
            throw new ArgumentException($"pixels has shape {pixels.Shape}, expected {expected} with F ≥ 1", nameof(pixels));
        return checked((int)pixels.Shape[0]);
    }

    /// <summary>
    /// The stride-p, unpadded conv's input windows as rows: patch (r, c) of frame f becomes row f·P + r·G + c holding
    /// pixels[f, ch, r·p + i, c·p + j] at column (ch·p + i)·p + j. A remainder beyond G·p pixels is dropped, as by the conv.
    /// </summary>
    private Tensor Patchify(Tensor pixels)
    {
        int f = (int)pixels.Shape[0], ch = Config.NumChannels, size = Config.ImageSize;
        int patch = Config.PatchSize, grid = Config.GridSize, features = PatchFeatures;
        var patches = Tensor.Cpu(DType.F32, new Shape((long)f * grid * grid, features)); // [F·P, Ch·p·p]
        ReadOnlySpan<float> src = pixels.Span<float>(); // [F, Ch, S, S]
        Span<float> dst = patches.Span<float>();
        for (int frame = 0; frame < f; frame++)
        for (int r = 0; r < grid; r++)
        for (int c = 0; c < grid; c++)
        {
            var row = dst.Slice(((frame * grid + r) * grid + c) * features, features); // [Ch·p·p]
            for (int k = 0; k < ch; k++)
            for (int i = 0; i < patch; i++)
            {
                int from = ((frame * ch + k) * size + r * patch + i) * size + c * patch;
                src.Slice(from, patch).CopyTo(row.Slice((k * patch + i) * patch, patch));
            }
        }
        return patches;
    }
}
