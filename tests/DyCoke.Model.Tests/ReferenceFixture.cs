// Reads a reference fixture of tools/reference (format dycoke-llava-reference/1): manifest.json (inputs, greedy
// tokens, stage descriptions) and reference.safetensors (one F32 tensor per stage, possibly a subset of its rows).
using System.Text.Json;
using DyCoke.Model.Checkpoints;

namespace DyCoke.Model.Tests;

internal sealed class ReferenceFixture : IDisposable
{
    private readonly JsonDocument _manifest;
    private readonly SafeTensorsFile _tensors;

    private ReferenceFixture(string directory)
    {
        Directory = directory;
        _manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "manifest.json")));
        if (Root.GetProperty("format").GetString() != "dycoke-llava-reference/1")
            throw new InvalidDataException($"{directory}: unknown fixture format {Root.GetProperty("format")}");
        _tensors = SafeTensorsFile.Open(Path.Combine(directory, Root.GetProperty("tensors_file").GetString()!));
    }

    public string Directory { get; }

    private JsonElement Root => _manifest.RootElement;

    public int NumFrames => Root.GetProperty("frames").GetProperty("count").GetInt32();

    public int[] InputIds => Ints(Root.GetProperty("input_ids"));

    public int VideoTokenId => Root.GetProperty("video_token_id").GetInt32();

    public int StopTokenId => Root.GetProperty("greedy").GetProperty("stop_token_id").GetInt32();

    public int MaxNewTokens => Root.GetProperty("greedy").GetProperty("max_new_tokens").GetInt32();

    public int[] GreedyTokens => Ints(Root.GetProperty("greedy").GetProperty("tokens"));

    /// <summary>Tokens fed one by one after the prompt for <c>forced_step_logits</c>.</summary>
    public int[] ForcedIds => Ints(Root.GetProperty("forced").GetProperty("ids"));

    /// <summary>sha256 (hex) of the checkpoint's model.safetensors the fixture was made from.</summary>
    public string CheckpointSha256 => Root.GetProperty("checkpoint").GetProperty("files_sha256").GetProperty("model.safetensors").GetString()!;

    /// <summary>The fixture directory under the test output's fixtures/ folder.</summary>
    public static ReferenceFixture Open(string name) => new(Path.Combine(AppContext.BaseDirectory, "fixtures", name));

    public bool HasStage(string name) => Stages().Any(s => s.GetProperty("name").GetString() == name);

    /// <summary>
    /// The stored values of stage <paramref name="name"/>, and the row indices they are (rows of the stage seen as
    /// [−1, last dim]), or null when every row is stored.
    /// </summary>
    public (float[] Values, int[]? Rows) Stage(string name)
    {
        var entry = Stages().Single(s => s.GetProperty("name").GetString() == name);
        var rows = entry.GetProperty("rows");
        return (_tensors.GetTensor(name).ToFloatArray(), rows.ValueKind == JsonValueKind.Null ? null : Ints(rows));
    }

    /// <summary>The rows of <paramref name="full"/> (seen as [−1, <paramref name="lastDim"/>]) that a stage stores.</summary>
    public static float[] SelectRows(float[] full, int lastDim, int[]? rows)
    {
        if (rows is null) return full;
        var selected = new float[rows.Length * lastDim];
        for (int i = 0; i < rows.Length; i++) Array.Copy(full, (long)rows[i] * lastDim, selected, (long)i * lastDim, lastDim);
        return selected;
    }

    public void Dispose()
    {
        _tensors.Dispose();
        _manifest.Dispose();
    }

    private IEnumerable<JsonElement> Stages() => Root.GetProperty("stages").EnumerateArray();

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
