// Shared helpers for op tests: seeded random tensors and closeness assertions that report the worst element.
using System.Text.Json;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Tensors.Tests;

internal static unsafe class TestTensors
{
    /// <summary>An F32 CPU tensor of uniform values in [lo, hi), reproducible from the seed.</summary>
    public static Tensor Random(int seed, Shape shape, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var t = Tensor.Cpu(DType.F32, shape);
        var s = t.Span<float>();
        for (int i = 0; i < s.Length; i++) s[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return t;
    }

    /// <summary>Random float values stored as <paramref name="dtype"/> (F32, F16 or BF16).</summary>
    public static Tensor Random(int seed, Shape shape, DType dtype, float lo = -1f, float hi = 1f)
    {
        using var f32 = Random(seed, shape, lo, hi);
        if (dtype == DType.F32) return Clone(f32);
        var t = Tensor.Cpu(dtype, shape);
        var src = f32.Span<float>();
        var dst = t.Span<ushort>();
        for (int i = 0; i < src.Length; i++)
            dst[i] = dtype == DType.F16 ? DTypeConversion.SingleToF16(src[i]) : DTypeConversion.SingleToBF16(src[i]);
        return t;
    }

    public static Tensor Clone(Tensor t)
    {
        var c = Tensor.Cpu(t.DType, t.Shape);
        new Span<byte>((void*)t.Pointer, (int)t.ByteCount).CopyTo(new Span<byte>((void*)c.Pointer, (int)c.ByteCount));
        return c;
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; on failure names the worst index and both values.
    /// Returns the max absolute difference so tests can report it.
    /// </summary>
    public static double AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol = 0, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double d = Math.Abs(a - e);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (e == a) d = 0; // equal infinities
            maxDiff = Math.Max(maxDiff, d);
            double excess = d - (atol + rtol * Math.Abs(e));
            if (excess > worstExcess || (excess > 0 && worst < 0)) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{what} element {worst}: expected {expected[worst]}, got {actual[worst]} (|diff| {Math.Abs(actual[worst] - expected[worst]):g4} > atol {atol:g3} + rtol {rtol:g3}); max |diff| {maxDiff:g4}");
        return maxDiff;
    }

    /// <summary>The root of a JSON fixture copied from tests/fixtures to the test output folder.</summary>
    public static JsonElement LoadFixture(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    /// <summary>A JSON array of numbers (or the strings "inf", "-inf", "nan") as floats.</summary>
    public static float[] Floats(JsonElement array)
    {
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            result[i++] = item.ValueKind == JsonValueKind.String
                ? item.GetString() switch
                {
                    "inf" => float.PositiveInfinity,
                    "-inf" => float.NegativeInfinity,
                    "nan" => float.NaN,
                    var other => throw new FormatException($"unexpected fixture value {other}"),
                }
                : (float)item.GetDouble();
        }
        return result;
    }

    /// <summary>A JSON array of integers as a Shape.</summary>
    public static Shape ShapeOf(JsonElement array) => new(array.EnumerateArray().Select(e => e.GetInt64()).ToArray());
}
