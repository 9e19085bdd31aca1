// A typed, shaped, contiguous view of native memory. The tensor that allocated its storage owns it (IDisposable);
// views made by Reshape/Rows share it and own nothing.
namespace DyCoke.Tensors;

/// <summary>
/// A contiguous row-major tensor on one device. No autograd, no broadcasting, no strides: ops take whole tensors
/// (or row-range views) and backends check shapes at the boundary.
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private readonly TensorStorage _storage;
    private readonly long _byteOffset;
    private readonly bool _ownsStorage;

    private Tensor(TensorStorage storage, long byteOffset, DType dtype, Shape shape, bool ownsStorage)
    {
        long bytes = checked(shape.NumElements * dtype.SizeOf());
        if (byteOffset < 0 || byteOffset + bytes > storage.ByteCount)
            throw new ArgumentException($"a {dtype} tensor of shape {shape} at offset {byteOffset} does not fit in {storage.ByteCount} bytes of storage");
        _storage = storage;
        _byteOffset = byteOffset;
        _ownsStorage = ownsStorage;
        DType = dtype;
        Shape = shape;
    }

    public DType DType { get; }
    public Shape Shape { get; }
    public DeviceKind Device => _storage.Device;
    public long NumElements => Shape.NumElements;
    public long ByteCount => Shape.NumElements * DType.SizeOf();

    /// <summary>Address of the first element (host or device address, depending on <see cref="Device"/>).</summary>
    public nint Pointer
    {
        get
        {
            if (_storage.Pointer == 0 && _storage.ByteCount > 0)
                throw new ObjectDisposedException(nameof(Tensor), $"the storage of this {DType} {Shape} tensor was disposed");
            return _storage.Pointer + (nint)_byteOffset;
        }
    }

    /// <summary>Allocates a zeroed CPU tensor that owns its memory.</summary>
    public static Tensor Cpu(DType dtype, Shape shape) =>
        new(CpuStorage.Allocate(checked(shape.NumElements * dtype.SizeOf())), 0, dtype, shape, ownsStorage: true);

    /// <summary>
    /// Allocates a CPU tensor whose contents are undefined, for a caller that writes every element before anything
    /// reads it (host staging of index lists, copies): zeroing tens of KiB per decode step is measurable.
    /// </summary>
    public static Tensor CpuUninitialized(DType dtype, Shape shape) =>
        new(CpuStorage.Allocate(checked(shape.NumElements * dtype.SizeOf()), clear: false), 0, dtype, shape, ownsStorage: true);

    /// <summary>A CPU F32 tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, Shape shape) => FromSpan(values, DType.F32, shape);

    /// <summary>A CPU I32 tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<int> values, Shape shape) => FromSpan(values, DType.I32, shape);

    /// <summary>A CPU tensor of <paramref name="dtype"/> holding a copy of <paramref name="values"/> (raw elements).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> values, DType dtype, Shape shape) where T : unmanaged
    {
        if (sizeof(T) != dtype.SizeOf()) throw new ArgumentException($"{typeof(T).Name} does not match {dtype}");
        if (values.Length != shape.NumElements) throw new ArgumentException($"{values.Length} values do not fill shape {shape}");
        var t = CpuUninitialized(dtype, shape);
        values.CopyTo(t.Span<T>());
        return t;
    }

    /// <summary>Wraps memory owned elsewhere (a memory-mapped file, a device allocation). Disposing it frees nothing.</summary>
    public static Tensor FromExternal(nint pointer, DType dtype, Shape shape, DeviceKind device, object? owner) =>
        new(new ExternalStorage(pointer, checked(shape.NumElements * dtype.SizeOf()), device, owner), 0, dtype, shape, ownsStorage: false);

    /// <summary>Wraps a storage object; the returned tensor owns it and disposes it.</summary>
    public static Tensor FromStorage(TensorStorage storage, DType dtype, Shape shape) => new(storage, 0, dtype, shape, ownsStorage: true);

    /// <summary>A view with the same elements and a new shape of equal element count.</summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.NumElements != NumElements)
            throw new ArgumentException($"cannot reshape {Shape} ({NumElements} elements) to {shape}");
        return new Tensor(_storage, _byteOffset, DType, shape, ownsStorage: false);
    }

    /// <summary>A view of rows [start, start + count) along the first dimension.</summary>
    public Tensor Rows(long start, long count)
    {
        if (Shape.Rank == 0) throw new InvalidOperationException("a scalar has no rows");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) outside {Shape}");
        long rowBytes = Shape[0] == 0 ? 0 : ByteCount / Shape[0];
        return new Tensor(_storage, _byteOffset + start * rowBytes, DType, Shape.WithDim(0, count), ownsStorage: false);
    }

    /// <summary>The elements as a span (CPU tensors only). <typeparamref name="T"/> must match the element size.</summary>
    public Span<T> Span<T>() where T : unmanaged
    {
        if (Device != DeviceKind.Cpu) throw new InvalidOperationException($"a {Device} tensor cannot be read as a host span");
        if (sizeof(T) != DType.SizeOf()) throw new InvalidOperationException($"{typeof(T).Name} does not match {DType}");
        long n = NumElements;
        if (n > int.MaxValue) throw new InvalidOperationException($"{Shape} is too large for one span");
        return new Span<T>((void*)Pointer, (int)n);
    }

    /// <summary>A copy of the elements converted to F32 (CPU tensors of any float dtype, and I32).</summary>
    public float[] ToFloatArray()
    {
        var result = new float[NumElements];
        CopyToFloats(result);
        return result;
    }

    /// <summary>The elements converted to F32 into <paramref name="destination"/> (exactly NumElements long; CPU
    /// tensors of any float dtype, and I32), without allocating.</summary>
    /// <exception cref="ArgumentException">destination's length differs from NumElements.</exception>
    public void CopyToFloats(Span<float> destination)
    {
        if (destination.Length != NumElements)
            throw new ArgumentException($"destination holds {destination.Length} floats, the tensor {Shape} has {NumElements}", nameof(destination));
        switch (DType)
        {
            case DType.F32: Span<float>().CopyTo(destination); break;
            case DType.F16: DTypeConversion.ConvertF16ToF32(Span<ushort>(), destination); break;
            case DType.BF16: DTypeConversion.ConvertBF16ToF32(Span<ushort>(), destination); break;
            case DType.I32:
                var ints = Span<int>();
                for (int i = 0; i < destination.Length; i++) destination[i] = ints[i];
                break;
            default: throw new InvalidOperationException($"{DType} cannot be read as floats");
        }
    }

    public void Dispose()
    {
        if (_ownsStorage) _storage.Dispose();
    }

    public override string ToString() => $"Tensor({DType}, {Shape}, {Device})";
}
