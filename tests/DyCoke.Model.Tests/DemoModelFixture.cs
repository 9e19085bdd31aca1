// The demo checkpoint written once into a temp directory and loaded on the CPU backend, shared by the model tests of
// one class (xunit class fixture); plus the prompt and frame builders those tests use.
using DyCoke.Model.Demo;
using DyCoke.Model.Llava;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;

namespace DyCoke.Model.Tests;

public sealed class DemoModelFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public DemoModelFixture()
    {
        Directory = _temp.File("demo");
        DemoModelWriter.Write(Directory, new DemoModelOptions());
        Backend = new CpuBackend();
        Model = LlavaOnevisionModel.Load(Directory, Backend);
    }

    public string Directory { get; }

    public IBackend Backend { get; }

    public LlavaOnevisionModel Model { get; }

    public int VideoToken => Model.Config.VideoTokenIndex;

    /// <summary>Deterministic text ids in [1, 500): ordinary tokens of the 640-row demo vocabulary (its special ids come last).</summary>
    public static int[] TextIds(int seed, int count)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(1, 500)).ToArray();
    }

    /// <summary>[prefix] + &lt;video&gt; × (F·196 + 1) + [suffix], the shape of a single-video chat prompt.</summary>
    public int[] VideoPrompt(int numFrames, int[] prefix, int[] suffix) =>
        [.. prefix, .. Enumerable.Repeat(VideoToken, Model.Video.TokensPerVideo(numFrames)), .. suffix];

    public void Dispose()
    {
        Model.Dispose();
        Backend.Dispose();
        _temp.Dispose();
    }
}
