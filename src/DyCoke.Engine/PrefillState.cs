// What a sequence's chunked prefill carries between steps: its videos' features as frames get encoded (possibly over
// several steps), then the whole prompt's input embeddings once TTM has run, from which each step copies its chunk.
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Device buffers of one sequence's prefill in progress; owned by the <see cref="Sequence"/>.</summary>
internal sealed class PrefillState : IDisposable
{
    /// <summary>Per video [F_i·196 + 1, C], filled frame by frame; null once merged into <see cref="Embeds"/>.</summary>
    public Tensor[]? VideoFeatures { get; set; }

    /// <summary>Frames encoded so far, counted over the videos in prompt order.</summary>
    public int FramesEncoded { get; set; }

    /// <summary>[N, C] input embeddings of every token to prefill (prompt after TTM, then output after a preemption).</summary>
    public Tensor? Embeds { get; set; }

    public void Dispose()
    {
        foreach (var f in VideoFeatures ?? []) f?.Dispose();
        VideoFeatures = null;
        Embeds?.Dispose();
        Embeds = null;
    }
}
