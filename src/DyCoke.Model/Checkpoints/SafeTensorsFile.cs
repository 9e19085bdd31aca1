// Reads one .safetensors file through a read-only memory mapping: the header is validated once on open, and tensors
// are handed out as CPU views of the mapped bytes, so a multi-GB checkpoint costs no copy and no managed memory.
using System.IO.MemoryMappedFiles;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file. Tensors returned by <see cref="GetTensor"/> point into the mapping: they are
/// valid only until this object is disposed, and reading one afterwards is undefined (the memory is unmapped).
/// Safe for concurrent readers; nothing is written.
/// </summary>
/// <remarks>
/// Alignment: tensors are NOT copied to aligned memory. The writer pads the header to a multiple of 8 so the data is
/// normally element-aligned, but a file with an odd header length, or odd offsets, yields views whose first element is
/// unaligned (<see cref="SafeTensorInfo.IsElementAligned"/>). That is accepted because x64 and Arm64 load unaligned
/// scalars and vectors correctly and the CPU ops use unaligned loads; copying instead would give some tensors owned
/// memory that callers must free and others not. A backend that needs alignment copies when uploading.
/// Little-endian hosts only: the file format is little-endian and the bytes are used as they are.
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;
    private byte* _base;

    private SafeTensorsFile(string path, long length, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer)
    {
        Path = path;
        FileLength = length;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        try
        {
            var header = ParseHeader(path, length, basePointer);
            _tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            foreach (var t in header.Tensors) _tensors.Add(t.Name, t);
            Names = header.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            Metadata = header.Metadata;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    public long FileLength { get; }

    /// <summary>Tensor names in ordinal order (independent of how the file lays the data out).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool IsDisposed => _base == null;

    /// <summary>Maps <paramref name="path"/> read-only and validates its header.</summary>
    /// <exception cref="CheckpointException">The file cannot be opened, or its header or offsets are invalid
    /// (the message names the file, the tensor and the problem).</exception>
    /// <exception cref="PlatformNotSupportedException">The host is big-endian.</exception>
    public static SafeTensorsFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors files are little-endian and are read in place; this host is big-endian");
        string fullPath = System.IO.Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(fullPath, null, $"cannot open the file: {e.Message}", e);
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        long length;
        byte* pointer = null;
        try
        {
            length = stream.Length;
            // An empty file cannot be mapped at all, so the short-file check must come before the mapping.
            if (length < 8)
                throw new CheckpointException(fullPath, null, $"the file is {length} bytes long, shorter than the 8-byte header length");
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
        }
        catch (Exception e)
        {
            Release(stream, mapping, view, acquired);
            if (e is IOException or UnauthorizedAccessException)
                throw new CheckpointException(fullPath, null, $"cannot map the file: {e.Message}", e);
            throw;
        }
        // From here the object owns the mapping; its constructor unmaps again if the header is invalid.
        return new SafeTensorsFile(fullPath, length, mapping, view, pointer + view.PointerOffset);
    }

    /// <summary>The header entry for <paramref name="name"/>, or false if the file has no such tensor.</summary>
    public bool TryGetInfo(string name, out SafeTensorInfo info) => _tensors.TryGetValue(name, out info!);

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>
    /// A CPU tensor viewing the mapped bytes of <paramref name="name"/> (no copy). It owns nothing: disposing it is a
    /// no-op, and it becomes invalid when this file is disposed. Its first element may be unaligned (see remarks).
    /// </summary>
    /// <exception cref="CheckpointException">The file has no tensor called <paramref name="name"/>.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public Tensor GetTensor(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_tensors.TryGetValue(name, out var info))
            throw new CheckpointException(Path, name, "no such tensor in this file");
        return Tensor.FromExternal((nint)(_base + info.FileOffset), info.DType, info.Shape, DeviceKind.Cpu, owner: this);
    }

    /// <summary>The raw little-endian bytes of <paramref name="name"/> (valid until disposal, like the tensors).</summary>
    /// <exception cref="CheckpointException">The file has no tensor called <paramref name="name"/>.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_tensors.TryGetValue(name, out var info))
            throw new CheckpointException(Path, name, "no such tensor in this file");
        return new ReadOnlySpan<byte>(_base + info.FileOffset, checked((int)info.ByteCount));
    }

    /// <summary>Unmaps the file. Every tensor obtained from it becomes invalid.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        Release(null, _mapping, _view, acquired: true);
    }

    public override string ToString() => $"SafeTensorsFile({Path}, {Names.Count} tensors)";

    private static SafeTensorsHeader ParseHeader(string path, long length, byte* basePointer)
    {
        ulong headerLength = BitConverter.ToUInt64(new ReadOnlySpan<byte>(basePointer, 8));
        if (headerLength == 0)
            throw new CheckpointException(path, null, "the header length is 0");
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointException(path, null, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit (not a safetensors file?)");
        if ((long)headerLength > length - 8)
            throw new CheckpointException(path, null, $"the header length {headerLength} runs past the end of the {length}-byte file");

        // JsonDocument needs managed memory; the header is small next to the tensors, so one copy is fine.
        var header = new ReadOnlySpan<byte>(basePointer + 8, (int)headerLength).ToArray();
        long dataStart = 8 + (long)headerLength;
        return SafeTensorsHeader.Parse(path, header, dataStart, length - dataStart);
    }

    private static void Release(FileStream? stream, MemoryMappedFile? mapping, MemoryMappedViewAccessor? view, bool acquired)
    {
        if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
        view?.Dispose();
        mapping?.Dispose();
        stream?.Dispose();
    }
}
