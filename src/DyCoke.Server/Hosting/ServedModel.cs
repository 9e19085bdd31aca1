// The one model this server serves, loaded at start-up: its name, tokenizer and prompt builder, and the engine that
// runs it. Owns the backend, the weights and the engine, and disposes them at shutdown.
using DyCoke.Engine;
using DyCoke.Model.Llava;
using DyCoke.Model.Text;
using DyCoke.Tensors;

namespace DyCoke.Server.Hosting;

/// <summary>The served model and its engine.</summary>
public sealed class ServedModel : IDisposable
{
    private readonly IBackend _backend;
    private readonly LlavaOnevisionModel _model;

    internal ServedModel(string name, string directory, bool isDemo, IBackend backend, LlavaOnevisionModel model,
        Qwen2Tokenizer tokenizer, PromptBuilder prompts, Engine.Engine engine)
    {
        Name = name;
        Directory = directory;
        IsDemo = isDemo;
        _backend = backend;
        _model = model;
        Tokenizer = tokenizer;
        Prompts = prompts;
        Engine = engine;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public string Name { get; }

    public string Directory { get; }

    /// <summary>True for the built-in demo checkpoint, whose answers are random.</summary>
    public bool IsDemo { get; }

    public long Created { get; }

    public Qwen2Tokenizer Tokenizer { get; }

    public PromptBuilder Prompts { get; }

    public Engine.Engine Engine { get; }

    /// <summary>A line for logs and /v1/models saying what is served.</summary>
    public string Description => IsDemo
        ? "demo checkpoint with random weights: its answers are random and mean nothing"
        : $"LLaVA-OneVision checkpoint at {Directory}";

    /// <summary>Prompt rows one video of <paramref name="numFrames"/> frames takes: F·196 + 1.</summary>
    public int TokensPerVideo(int numFrames) => _model.Video.TokensPerVideo(numFrames);

    /// <summary>Decoder layers of the language model; DyCoke's L must lie in [1, NumTextLayers − 1].</summary>
    public int NumTextLayers => _model.Config.Text.NumHiddenLayers;

    /// <summary>The vision tower's input side S of frames [F, 3, S, S].</summary>
    public int ImageSize => _model.Config.Vision.ImageSize;

    public void Dispose()
    {
        Engine.Dispose();
        _model.Dispose();
        _backend.Dispose();
    }
}
