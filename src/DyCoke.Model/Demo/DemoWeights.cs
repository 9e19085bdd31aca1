// Random F16 weights for the demo checkpoint: one tensor per entry of WeightMap.Expected (plus SigLIP's unused
// post_layernorm, which hub files carry; minus the tied LM head, which they omit), each drawn from its own stream.
using System.Buffers.Binary;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Demo;

internal static class DemoWeights
{
    /// <summary>Standard deviation of linear, embedding and convolution weights (the usual initializer_range).</summary>
    public const double WeightStd = 0.02;

    /// <summary>Standard deviation of biases, and of the noise around 1 in norm weights.</summary>
    public const double SmallStd = 0.01;

    /// <summary>
    /// The tensors a hub LLaVA-OneVision checkpoint of <paramref name="config"/> holds, under legacy names, filled
    /// deterministically from <paramref name="seed"/>.
    /// </summary>
    public static List<SafeTensorsEntry> Create(LlavaOnevisionConfig config, ulong seed)
    {
        var entries = new List<SafeTensorsEntry>();
        foreach (var spec in Stored(config))
        {
            var rng = DemoRandom.ForTensor(seed, spec.Name);
            var (mean, std) = Distribution(spec.Name);
            long count = new Shape(spec.Shape).NumElements;
            var data = new byte[checked(count * DType.F16.SizeOf())]; // spec.Shape, F16 little-endian, row-major
            for (long i = 0; i < count; i++)
            {
                float value = (float)(mean + std * rng.NextGaussian());
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan((int)(i * 2), 2), DTypeConversion.SingleToF16(value));
            }
            entries.Add(new SafeTensorsEntry(spec.Name, DType.F16, spec.Shape, data));
        }
        return entries;
    }

    /// <summary>
    /// Which expected tensors are written: all required ones, and of the optional ones only post_layernorm (hub
    /// files have it although the LLaVA path skips it). The LM head is optional exactly when it is tied, so it is left out.
    /// </summary>
    public static IEnumerable<WeightSpec> Stored(LlavaOnevisionConfig config) =>
        WeightMap.Expected(config).Where(s => !s.Optional || s.Name.StartsWith(WeightMap.VisionPrefix + "post_layernorm.", StringComparison.Ordinal));

    // Norm scales start near 1 (a little noise so a swapped or ignored norm weight changes the output);
    // biases near 0; everything else like a freshly initialised linear layer.
    private static (double Mean, double Std) Distribution(string name)
    {
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return (0.0, SmallStd);
        if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal))
            return (1.0, SmallStd);
        return (0.0, WeightStd);
    }
}
