// SafeTensorsFile: exact round trips through SafeTensorsWriter for every dtype, zero-copy views, unaligned data, and
// one CheckpointException per kind of corrupt header or data section, each naming the file, the tensor and the problem.
using System.Text;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class SafeTensorsFileTests
{
    private static readonly float[] s_f32 = [1.5f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25e7f];
    private static readonly ushort[] s_f16 = [0x3C00, 0x8000, 0x7E00, 0x7BFF, 0x0001, 0xFC00];
    private static readonly ushort[] s_bf16 = [0x3F80, 0xC2F7, 0x7FC0, 0x0001];
    private static readonly int[] s_i32 = [int.MinValue, -1, 0, int.MaxValue];
    private static readonly long[] s_i64 = [long.MinValue, -2, 151647, long.MaxValue];
    private static readonly byte[] s_u8 = [0, 1, 127, 128, 254, 255, 42];

    private static List<SafeTensorsEntry> AllDTypes() =>
    [
        new("f32", DType.F32, [2, 3], TestCheckpoints.Bytes(s_f32)),
        new("f16", DType.F16, [3, 1, 2], TestCheckpoints.Bytes(s_f16)),
        new("bf16", DType.BF16, [4], TestCheckpoints.Bytes(s_bf16)),
        new("i32", DType.I32, [2, 2], TestCheckpoints.Bytes(s_i32)),
        new("i64", DType.I64, [4], TestCheckpoints.Bytes(s_i64)),
        new("u8", DType.U8, [7], s_u8),
        new("scalar", DType.F32, [], TestCheckpoints.Bytes(2.5f)),
        new("empty", DType.F16, [0, 4], Array.Empty<byte>()),
    ];

    [Fact]
    public void Open_AllDTypes_ReadsBackExactly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("all.safetensors");
        var entries = AllDTypes();
        SafeTensorsWriter.Write(path, entries, new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), file.Names);
        Assert.Equal("pt", Assert.Single(file.Metadata).Value);
        // The writer orders tensors by name without padding, so several of these start unaligned: that path is covered too.
        byte[] raw = File.ReadAllBytes(path);
        foreach (var e in entries)
        {
            Assert.True(file.TryGetInfo(e.Name, out var info));
            Assert.Equal(e.DType, info.DType);
            Assert.Equal(new Shape(e.Shape), info.Shape);
            Assert.Equal(e.Data.ToArray(), raw.AsSpan((int)info.FileOffset, (int)info.ByteCount).ToArray());

            var tensor = file.GetTensor(e.Name);
            Assert.Equal(DeviceKind.Cpu, tensor.Device);
            Assert.Equal(new Shape(e.Shape), tensor.Shape);
            Assert.Equal(e.Data.ToArray(), file.GetBytes(e.Name).ToArray());
        }
        Assert.Equal(s_f32.Select(BitConverter.SingleToInt32Bits), file.GetTensor("f32").Span<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(s_f16, file.GetTensor("f16").Span<ushort>().ToArray());
        Assert.Equal(s_bf16, file.GetTensor("bf16").Span<ushort>().ToArray());
        Assert.Equal(s_i32, file.GetTensor("i32").Span<int>().ToArray());
        Assert.Equal(s_i64, file.GetTensor("i64").Span<long>().ToArray());
        Assert.Equal(s_u8, file.GetTensor("u8").Span<byte>().ToArray());
        Assert.Equal(2.5f, file.GetTensor("scalar").Span<float>()[0]);
        Assert.Equal(0, file.GetTensor("empty").NumElements);
    }

    [Fact]
    public void GetTensor_CalledTwice_ViewsTheSameMappedBytes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.safetensors");
        SafeTensorsWriter.Write(path, AllDTypes());
        using var file = SafeTensorsFile.Open(path);

        var first = file.GetTensor("i64");
        var second = file.GetTensor("i64");

        // Views of one mapping share an address; a copying reader would hand out two allocations.
        Assert.Equal(first.Pointer, second.Pointer);
        Assert.True(file.TryGetInfo("f32", out var f32));
        Assert.True(file.TryGetInfo("i64", out var i64));
        Assert.Equal(file.GetTensor("f32").Pointer + (nint)(i64.FileOffset - f32.FileOffset), first.Pointer);
    }

    [Fact]
    public void Open_UnpaddedHeader_ReadsUnalignedTensorsCorrectly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("unaligned.safetensors");
        // 61 header bytes put the data section at offset 69, so the F32 elements are not 4-byte aligned.
        string header = """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""".PadRight(61);
        byte[] data = TestCheckpoints.Bytes(1.25f, -7f, 1e-3f);
        TestCheckpoints.WriteRaw(path, Encoding.UTF8.GetBytes(header), data);

        using var file = SafeTensorsFile.Open(path);

        Assert.True(file.TryGetInfo("a", out var info));
        Assert.Equal(69, info.FileOffset);
        Assert.False(info.IsElementAligned);
        Assert.Equal([1.25f, -7f, 1e-3f], file.GetTensor("a").ToFloatArray());
    }

    [Fact]
    public void Write_MixedDTypes_EveryTensorElementAligned()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mixed.safetensors");
        // Odd-sized byte and half tensors before wider ones in name order would misalign the wider ones.
        SafeTensorsWriter.Write(path,
        [
            new SafeTensorsEntry("a_u8", DType.U8, [3], new byte[3]),
            new SafeTensorsEntry("b_f16", DType.F16, [1], new byte[2]),
            new SafeTensorsEntry("c_f32", DType.F32, [2], new byte[8]),
            new SafeTensorsEntry("d_i64", DType.I64, [1], new byte[8]),
        ]);
        using var file = SafeTensorsFile.Open(path);
        foreach (string name in (string[])["a_u8", "b_f16", "c_f32", "d_i64"])
        {
            Assert.True(file.TryGetInfo(name, out var info));
            Assert.True(info.IsElementAligned, $"{name} starts at file offset {info.FileOffset}");
        }
    }

    [Fact]
    public void GetTensor_AfterDispose_Throws()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.safetensors");
        SafeTensorsWriter.Write(path, AllDTypes());
        var file = SafeTensorsFile.Open(path);

        file.Dispose();

        Assert.True(file.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => file.GetTensor("f32"));
    }

    [Fact]
    public void GetTensor_UnknownName_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.safetensors");
        SafeTensorsWriter.Write(path, AllDTypes());
        using var file = SafeTensorsFile.Open(path);

        var e = Assert.Throws<CheckpointException>(() => file.GetTensor("nope"));

        Assert.Equal(path, e.File);
        Assert.Equal("nope", e.Item);
    }

    [Fact]
    public void Open_MissingFile_NamesPath()
    {
        using var dir = new TempDirectory();
        string path = dir.File("absent.safetensors");

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Contains("cannot open", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Open_ShorterThanEightBytes_Throws(int length)
    {
        using var dir = new TempDirectory();
        string path = dir.File("short.safetensors");
        File.WriteAllBytes(path, new byte[length]);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains($"{length} bytes long, shorter than the 8-byte header length", e.Message);
    }

    [Theory]
    [InlineData(0UL, "the header length is 0")]
    [InlineData(100_000_001UL, "exceeds the 100000000-byte limit")]
    [InlineData(40UL, "the header length 40 runs past the end of the 24-byte file")]
    public void Open_BadHeaderLength_Throws(ulong headerLength, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("len.safetensors");
        var bytes = new byte[24];
        BitConverter.TryWriteBytes(bytes, headerLength);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Null(e.Item);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": ", "the header is not valid JSON")]
    [InlineData("garbage!", "the header is not valid JSON")]
    [InlineData("[1, 2]", "the header must be a JSON object, found an array")]
    public void Open_GarbageHeader_Throws(string header, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("garbage.safetensors");
        TestCheckpoints.WriteRaw(path, header, 0);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Open_InvalidUtf8Header_Throws()
    {
        using var dir = new TempDirectory();
        string path = dir.File("utf8.safetensors");
        TestCheckpoints.WriteRaw(path, [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'{', (byte)'}', (byte)'}'], []);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8, "the entry has no 'dtype'")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", 8, "the entry has no 'shape'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", 8, "the entry has no 'data_offsets'")]
    [InlineData("""{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", 8, "'dtype' must be a string, found the number 32")]
    [InlineData("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", 8, "'shape' must be an array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":{"a":0}}}""", 8, "'data_offsets' must be an array")]
    [InlineData("""{"w":[1]}""", 8, "the entry must be an object, found an array")]
    [InlineData("""{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}""", 8, "dtype 'F64' is not supported")]
    [InlineData("""{"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""", 8, "dtype 'F8_E4M3' is not supported")]
    [InlineData("""{"w":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}}""", 8, "dtype 'BOOL' is not supported")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}""", 8, "shape dimension 1 is negative (-1)")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", 8, "shape dimension 0 must be an integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}""", 8, "rank 9")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", 24, "shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", 8, "data_offsets must hold two integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "end before they begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", 8, "data_offsets must be non-negative integers, found -8")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 10, "run past the end of the data section (10 bytes): 6 bytes missing")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "lists this key twice")]
    public void Open_BadTensorEntry_NamesFileTensorAndProblem(string header, int dataBytes, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        TestCheckpoints.WriteRaw(path, header, dataBytes);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Equal("w", e.Item);
        Assert.Contains(problem, e.Problem);
        Assert.Contains($"{path}: 'w': ", e.Message);
    }

    [Fact]
    public void Open_OverlappingTensors_NamesBoth()
    {
        using var dir = new TempDirectory();
        string path = dir.File("overlap.safetensors");
        TestCheckpoints.WriteRaw(path, """
            {"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
             "b":{"dtype":"F16","shape":[4],"data_offsets":[12,20]}}
            """, 20);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Equal("b", e.Item);
        Assert.Contains("data_offsets [12, 20] overlap tensor 'a' at [0, 16]", e.Message);
    }

    [Fact]
    public void Open_EmptyTensorsSharingAnOffset_AreNotOverlaps()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.safetensors");
        TestCheckpoints.WriteRaw(path, """
            {"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},
             "b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
            """, 8);

        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(["a", "b"], file.Names);
    }

    [Fact]
    public void Open_TruncatedFile_NamesTensorAndMissingBytes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("truncated.safetensors");
        SafeTensorsWriter.Write(path, [
            new("first", DType.F32, [4], new byte[16]),
            new("second", DType.F16, [8], new byte[16]),
        ]);
        using (var stream = File.OpenWrite(path)) stream.SetLength(stream.Length - 5);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Equal("second", e.Item);
        Assert.Contains("5 bytes missing", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("""{"__metadata__":["pt"]}""", "must be an object of strings, found an array")]
    [InlineData("""{"__metadata__":{"format":"pt","step":3}}""", "value of 'step' must be a string, found the number 3")]
    public void Open_MetadataNotStringToString_Throws(string header, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("meta.safetensors");
        TestCheckpoints.WriteRaw(path, header, 0);

        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path));

        Assert.Equal(path, e.File);
        Assert.Equal("__metadata__", e.Item);
        Assert.Contains(problem, e.Message);
    }
}
