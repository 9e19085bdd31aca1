// Puts checkpoint tensors on a backend, by canonical name, and counts what it loaded. On the CPU the memory-mapped
// tensors are used as stored (the CPU ops read F16/BF16 weights), so loading copies nothing; other backends get an
// upload in the activation dtype. Each tensor is loaded once, so a tied head shares the embedding's memory.
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>What loading a model read and put on the backend.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="ActivationDType">The dtype activations and the KV cache use.</param>
/// <param name="NumTensors">Distinct tensors the model reads (a tied head counts once).</param>
/// <param name="NumParameters">Their elements: the model's parameter count.</param>
/// <param name="VisionParameters">Of which in the SigLIP tower (the layers it runs).</param>
/// <param name="ProjectorParameters">Of which in the projector and <c>image_newline</c>.</param>
/// <param name="LanguageParameters">Of which in the Qwen2 LM (embedding, layers, norm, head).</param>
/// <param name="StoredBytes">Bytes of those tensors as stored in the checkpoint.</param>
/// <param name="CopiedBytes">Bytes allocated on the backend for them (uploads and dtype conversions); 0 means every
/// weight is read in place from the mapped files.</param>
/// <param name="Elapsed">Wall time of the load.</param>
public sealed record ModelLoadSummary(
    string Backend, DType ActivationDType, int NumTensors, long NumParameters, long VisionParameters, long ProjectorParameters,
    long LanguageParameters, long StoredBytes, long CopiedBytes, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{NumParameters:N0} parameters ({VisionParameters:N0} vision, {ProjectorParameters:N0} projector, {LanguageParameters:N0} language) " +
        $"in {NumTensors} tensors, {StoredBytes / 1e6:F1} MB stored, {CopiedBytes / 1e6:F1} MB copied, " +
        $"activations {ActivationDType} on {Backend}, loaded in {Elapsed.TotalSeconds:F2} s";
}

/// <summary>
/// Loads tensors of one <see cref="CheckpointDirectory"/> onto one backend. Tensors it returns stay valid while both
/// this loader (which owns the uploads) and the checkpoint (which owns the mappings) are alive.
/// </summary>
public sealed class WeightLoader : IDisposable
{
    private readonly CheckpointDirectory _checkpoint;
    private readonly IBackend _backend;
    private readonly Dictionary<string, Tensor> _loaded = new(StringComparer.Ordinal); // canonical name → tensor
    private readonly List<Tensor> _owned = [];
    private readonly Dictionary<string, long> _parametersByComponent = new(StringComparer.Ordinal);

    public WeightLoader(CheckpointDirectory checkpoint, IBackend backend, DType activationDType)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(backend);
        if (!activationDType.IsFloat()) throw new ArgumentException($"activation dtype {activationDType} is not a float type", nameof(activationDType));
        _checkpoint = checkpoint;
        _backend = backend;
        ActivationDType = activationDType;
    }

    public DType ActivationDType { get; }

    public int NumTensors => _loaded.Count;

    public long NumParameters { get; private set; }

    public long StoredBytes { get; private set; }

    public long CopiedBytes { get; private set; }

    /// <summary>Parameters loaded per component name passed to <see cref="Weight"/>.</summary>
    public long ParametersOf(string component) => _parametersByComponent.GetValueOrDefault(component);

    /// <summary>
    /// A weight read by Linear, Embedding or a norm: the mapped tensor itself on the CPU, else an upload in the
    /// activation dtype. <paramref name="component"/> groups it in the parameter counts.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint has no such tensor.</exception>
    public Tensor Weight(string canonicalName, string component) =>
        Load(canonicalName, component, inActivationDType: _backend.Device != DeviceKind.Cpu);

    /// <summary>
    /// A parameter that is added to activations elementwise, so it must have the activation dtype on every backend
    /// (on the CPU a converted copy, small: position embeddings).
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint has no such tensor.</exception>
    public Tensor Activation(string canonicalName, string component) => Load(canonicalName, component, inActivationDType: true);

    /// <summary>Like <see cref="Weight"/>, or null when the (optional) tensor is absent.</summary>
    public Tensor? OptionalWeight(string canonicalName, string component) =>
        _checkpoint.Contains(canonicalName) ? Weight(canonicalName, component) : null;

    private Tensor Load(string canonicalName, string component, bool inActivationDType)
    {
        if (_loaded.TryGetValue(canonicalName, out var cached))
        {
            if (inActivationDType && cached.DType != ActivationDType)
                throw new InvalidOperationException($"'{canonicalName}' was loaded as {cached.DType} and is now wanted as {ActivationDType}");
            return cached;
        }
        var stored = _checkpoint.GetTensor(canonicalName); // mapped view, any float dtype
        var tensor = stored;
        if (inActivationDType && (stored.DType != ActivationDType || _backend.Device != DeviceKind.Cpu))
        {
            tensor = _backend.Upload(stored, ActivationDType);
            _owned.Add(tensor);
            CopiedBytes += tensor.ByteCount;
        }
        _loaded.Add(canonicalName, tensor);
        NumParameters += stored.NumElements;
        StoredBytes += stored.ByteCount;
        _parametersByComponent[component] = ParametersOf(component) + stored.NumElements;
        return tensor;
    }

    /// <summary>Frees the uploaded copies; mapped tensors belong to the checkpoint.</summary>
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        _loaded.Clear();
    }
}
