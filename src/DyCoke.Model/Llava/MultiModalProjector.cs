// The LLaVA projector from SigLIP width to LM width (llava-onevision.md §4.3): linear_2(gelu_erf(linear_1(x))).
// It runs on every patch token, before the 2× pooling.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Llava;

/// <summary>HF <c>LlavaOnevisionMultiModalProjector</c>: two Linears (with bias unless the config drops it) around exact GELU.</summary>
public sealed class MultiModalProjector
{
    internal const string Component = "projector";

    private readonly IBackend _backend;
    private readonly Tensor _linear1Weight; // [C, Cv]
    private readonly Tensor? _linear1Bias; // [C]
    private readonly Tensor _linear2Weight; // [C, C]
    private readonly Tensor? _linear2Bias; // [C]

    internal MultiModalProjector(IBackend backend, LlavaOnevisionConfig config, WeightLoader weights)
    {
        _backend = backend;
        VisionHiddenSize = config.Vision.HiddenSize;
        HiddenSize = config.Text.HiddenSize;
        _linear1Weight = weights.Weight(WeightMap.Projector("linear_1.weight"), Component);
        _linear2Weight = weights.Weight(WeightMap.Projector("linear_2.weight"), Component);
        if (config.MultimodalProjectorBias)
        {
            _linear1Bias = weights.Weight(WeightMap.Projector("linear_1.bias"), Component);
            _linear2Bias = weights.Weight(WeightMap.Projector("linear_2.bias"), Component);
        }
    }

    /// <summary>Cv, the SigLIP width the projector reads.</summary>
    public int VisionHiddenSize { get; }

    /// <summary>C, the LM width it writes.</summary>
    public int HiddenSize { get; }

    /// <summary>
    /// output [..., C] = linear_2(gelu_erf(linear_1(x))) for x [..., Cv] (activation dtype, leading dims are rows).
    /// output is written by the caller-provided tensor of matching rows.
    /// </summary>
    /// <exception cref="ArgumentException">The widths or row counts do not match.</exception>
    public void Forward(Tensor x, Tensor output)
    {
        if (x.Shape.LastDim != VisionHiddenSize || output.Shape.LastDim != HiddenSize || x.Shape.Rows != output.Shape.Rows)
            throw new ArgumentException($"x {x.Shape} and output {output.Shape} must be [R, {VisionHiddenSize}] and [R, {HiddenSize}]", nameof(output));
        var b = _backend;
        var rows = new Shape(x.Shape.Rows, HiddenSize);
        using var hidden = b.AllocateUninitialized(x.DType, rows); // [R, C]
        b.Linear(x.Reshape(new Shape(x.Shape.Rows, VisionHiddenSize)), _linear1Weight, _linear1Bias, hidden);
        b.Gelu(hidden, GeluApproximation.Erf, hidden);
        b.Linear(hidden, _linear2Weight, _linear2Bias, output.Reshape(rows));
    }
}
