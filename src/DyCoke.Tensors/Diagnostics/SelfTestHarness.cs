// Moves test data between a reference backend (the CPU) and a backend under test, with the inputs rounded to the
// tested dtype on both sides so that only the op's own arithmetic can differ, and measures the difference.
namespace DyCoke.Tensors.Diagnostics;

/// <summary>Max absolute error, normalised mean squared error and the reference's largest magnitude for one comparison.</summary>
public readonly record struct ErrorStats(double MaxAbsError, double Nmse, double MaxAbsReference)
{
    /// <summary>Compares element by element; NaN on either side only matches NaN on the other.</summary>
    public static ErrorStats Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length) throw new ArgumentException($"{expected.Length} expected values vs {actual.Length} actual");
        double maxErr = 0, maxRef = 0, errSq = 0, refSq = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                if (!(double.IsNaN(e) && double.IsNaN(a))) maxErr = double.PositiveInfinity;
                continue;
            }
            double d = e == a ? 0 : Math.Abs(a - e);
            maxErr = Math.Max(maxErr, d);
            maxRef = Math.Max(maxRef, Math.Abs(e));
            errSq += d * d;
            refSq += e * e;
        }
        return new ErrorStats(maxErr, refSq > 0 ? errSq / refSq : errSq, maxRef);
    }
}

/// <summary>Test data helpers shared by the self-test cases.</summary>
public sealed class SelfTestHarness(IBackend reference, IBackend tested, int seed)
{
    private readonly Random _random = new(seed);

    public IBackend Reference { get; } = reference;
    public IBackend Tested { get; } = tested;

    /// <summary>Uniform values in [lo, hi), already rounded to <paramref name="dtype"/> (so both sides see equal inputs).</summary>
    public float[] RandomValues(long count, DType dtype, float lo = -1f, float hi = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = RoundTo(lo + (float)_random.NextDouble() * (hi - lo), dtype);
        return values;
    }

    public int[] RandomInts(long count, int below)
    {
        var values = new int[count];
        for (int i = 0; i < values.Length; i++) values[i] = _random.Next(below);
        return values;
    }

    public int NextInt(int below) => _random.Next(below);

    public static float RoundTo(float value, DType dtype) => dtype switch
    {
        DType.F16 => DTypeConversion.F16ToSingle(DTypeConversion.SingleToF16(value)),
        DType.BF16 => DTypeConversion.BF16ToSingle(DTypeConversion.SingleToBF16(value)),
        _ => value,
    };

    /// <summary>A reference-side F32 tensor holding <paramref name="values"/>.</summary>
    public Tensor OnReference(float[] values, Shape shape)
    {
        var t = Reference.Allocate(DType.F32, shape);
        using var host = Tensor.FromArray(values, shape);
        Reference.Copy(host, t);
        return t;
    }

    public Tensor OnReference(int[] values, Shape shape) => UploadIndices(Reference, values, shape);

    /// <summary>A tested-side tensor of <paramref name="dtype"/> holding <paramref name="values"/> (converted on the host).</summary>
    public Tensor OnTested(float[] values, Shape shape, DType dtype)
    {
        using var host32 = Tensor.FromArray(values, shape);
        using var host = Tensor.Cpu(dtype, shape);
        HostConvert(host32, host);
        var t = Tested.Allocate(dtype, shape);
        Tested.Copy(host, t);
        return t;
    }

    public Tensor OnTested(int[] values, Shape shape) => UploadIndices(Tested, values, shape);

    /// <summary>Reads any float (or I32) tensor from either backend back as F32 values.</summary>
    public static float[] Read(IBackend backend, Tensor t) => backend.ReadFloats(t);

    // Index tensors (ids, slot lists, offsets) are always 1-D here; the shape argument only documents the call site.
    private static Tensor UploadIndices(IBackend backend, int[] values, Shape shape)
    {
        if (shape != new Shape(values.Length)) throw new ArgumentException($"index tensors are 1-D: {values.Length} values, shape {shape}");
        return backend.UploadInts(values);
    }

    public float[] ReadReference(Tensor t) => Read(Reference, t);

    public float[] ReadTested(Tensor t) => Read(Tested, t);

    private static void HostConvert(Tensor src, Tensor dst)
    {
        var s = src.Span<float>();
        switch (dst.DType)
        {
            case DType.F32: s.CopyTo(dst.Span<float>()); break;
            case DType.F16:
                var h = dst.Span<ushort>();
                for (int i = 0; i < s.Length; i++) h[i] = DTypeConversion.SingleToF16(s[i]);
                break;
            case DType.BF16:
                var b = dst.Span<ushort>();
                for (int i = 0; i < s.Length; i++) b[i] = DTypeConversion.SingleToBF16(s[i]);
                break;
            default: throw new ArgumentException($"no host conversion to {dst.DType}");
        }
    }
}
