// ShardedSafeTensors: a two-shard round trip through model.safetensors.index.json, and the index/shard disagreements
// that must fail with the index file, the tensor and the shard named.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class ShardedSafeTensorsTests
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    // Two shards: "a" and "b" in the first, "c" in the second.
    private static string WriteTwoShards(TempDirectory dir, Dictionary<string, string>? weightMap = null)
    {
        SafeTensorsWriter.Write(dir.File(Shard1), [
            new("a", DType.F32, [2], TestCheckpoints.Bytes(1f, 2f)),
            new("b", DType.I64, [1], TestCheckpoints.Bytes(7L)),
        ]);
        SafeTensorsWriter.Write(dir.File(Shard2), [
            new("c", DType.BF16, [3], TestCheckpoints.Bytes<ushort>(0x3F80, 0x4000, 0x4040)),
        ]);
        weightMap ??= new() { ["a"] = Shard1, ["b"] = Shard1, ["c"] = Shard2 };
        string index = dir.File("model.safetensors.index.json");
        TestCheckpoints.WriteIndex(index, weightMap, 22);
        return index;
    }

    [Fact]
    public void OpenIndex_TwoShards_ExposesEveryTensor()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir);

        using var weights = ShardedSafeTensors.OpenIndex(index);

        Assert.Equal(index, weights.Source);
        Assert.Equal([dir.File(Shard1), dir.File(Shard2)], weights.Files.Select(f => f.Path));
        Assert.Equal(["a", "b", "c"], weights.Names);
        Assert.Equal("22", weights.Metadata["total_size"]);
        Assert.Equal([1f, 2f], weights.GetTensor("a").ToFloatArray());
        Assert.Equal([7L], weights.GetTensor("b").Span<long>().ToArray());
        Assert.Equal([1f, 2f, 3f], weights.GetTensor("c").ToFloatArray());
        Assert.True(weights.TryGetInfo("c", out var info, out var file));
        Assert.Equal(DType.BF16, info.DType);
        Assert.Equal(dir.File(Shard2), file.Path);
        Assert.False(weights.TryGetInfo("d", out _, out _));
    }

    [Fact]
    public void OpenIndex_TensorMissingFromItsShard_NamesIndexTensorAndShard()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir, new() { ["a"] = Shard1, ["b"] = Shard1, ["c"] = Shard2, ["d"] = Shard2 });

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(index, e.File);
        Assert.Equal("d", e.Item);
        Assert.Contains($"shard '{Shard2}', which has no such tensor", e.Message);
    }

    [Fact]
    public void OpenIndex_TensorListedUnderTheWrongShard_Throws()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir, new() { ["a"] = Shard1, ["b"] = Shard2, ["c"] = Shard2 });

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal("b", e.Item);
        Assert.Contains(Shard2, e.Message);
    }

    [Fact]
    public void OpenIndex_TensorInTwoShards_NamesBothShards()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir);
        SafeTensorsWriter.Write(dir.File(Shard2), [
            new("a", DType.F32, [2], TestCheckpoints.Bytes(5f, 6f)),
            new("c", DType.BF16, [3], new byte[6]),
        ]);

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(index, e.File);
        Assert.Equal("a", e.Item);
        Assert.Contains($"stored in two shards, '{Shard1}' and '{Shard2}'", e.Message);
    }

    [Fact]
    public void OpenIndex_MissingShardFile_NamesShard()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir);
        File.Delete(dir.File(Shard2));

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(index, e.File);
        Assert.Equal("c", e.Item);
        Assert.Contains($"shard '{Shard2}' does not exist", e.Message);
    }

    [Fact]
    public void OpenIndex_CorruptShard_NamesTheShardFile()
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir);
        using (var stream = File.OpenWrite(dir.File(Shard2))) stream.SetLength(stream.Length - 2);

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(dir.File(Shard2), e.File);
        Assert.Equal("c", e.Item);
        Assert.Contains("2 bytes missing", e.Message);
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("/etc/passwd")]
    public void OpenIndex_ShardOutsideTheDirectory_Throws(string shard)
    {
        using var dir = new TempDirectory();
        string index = WriteTwoShards(dir, new() { ["a"] = Shard1, ["b"] = Shard1, ["c"] = shard });

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(index, e.File);
        Assert.Equal("c", e.Item);
        Assert.Contains("is not a file inside", e.Message);
    }

    [Theory]
    [InlineData("{\"weight_map\": ", null, "the index is not valid JSON")]
    [InlineData("[]", null, "the index must be a JSON object")]
    [InlineData("{\"metadata\": {}}", "weight_map", "the index has no weight_map")]
    [InlineData("{\"weight_map\": []}", "weight_map", "must be an object of tensor name")]
    [InlineData("{\"weight_map\": {}}", "weight_map", "the weight_map is empty")]
    [InlineData("{\"weight_map\": {\"a\": 1}}", "a", "must be a shard file name, found 1")]
    [InlineData("{\"metadata\": 3, \"weight_map\": {\"a\": \"x\"}}", "metadata", "must be an object")]
    public void OpenIndex_MalformedIndex_Throws(string json, string? item, string problem)
    {
        using var dir = new TempDirectory();
        string index = dir.File("model.safetensors.index.json");
        File.WriteAllText(index, json);

        var e = Assert.Throws<CheckpointException>(() => ShardedSafeTensors.OpenIndex(index));

        Assert.Equal(index, e.File);
        Assert.Equal(item, e.Item);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void OpenSingle_OneFile_UsesItsMetadata()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensorsWriter.Write(path, [new("x", DType.U8, [3], new byte[] { 1, 2, 3 })], new Dictionary<string, string> { ["format"] = "pt" });

        using var weights = ShardedSafeTensors.OpenSingle(path);

        Assert.Equal(path, weights.Source);
        Assert.Equal("pt", weights.Metadata["format"]);
        Assert.Equal([1, 2, 3], weights.GetTensor("x").Span<byte>().ToArray());
        var e = Assert.Throws<CheckpointException>(() => weights.GetTensor("y"));
        Assert.Equal("y", e.Item);
    }
}
