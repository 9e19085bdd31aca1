// GELU, exact (erf) form for the LLaVA projector and tanh form for SigLIP, over F32 activations.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    // Elements per parallel work item and per stack buffer of the tanh form.
    private const int GeluChunk = 4096;

    /// <summary>
    /// y = gelu(x) elementwise over F32 tensors of equal element count (y may alias x). The erf form is evaluated in
    /// double (x·Φ(x), |error| below float rounding); the tanh form in float as x·sigmoid(2u), u = √(2/π)(x + 0.044715x³),
    /// which equals ½x(1 + tanh u) but does not cancel for negative x. NaN stays NaN; gelu(+∞) = +∞.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 CPU tensor, or the element counts differ.</exception>
    public unsafe void Gelu(Tensor x, GeluApproximation approximation, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.SameElementCount(x, y, nameof(x), nameof(y));
        if (approximation is not (GeluApproximation.Erf or GeluApproximation.Tanh))
            throw new ArgumentException($"unknown GELU approximation {approximation}", nameof(approximation));

        long n = x.NumElements; // [n] flat
        nint xp = x.Pointer, yp = y.Pointer;
        int chunks = (int)((n + GeluChunk - 1) / GeluChunk);
        bool erf = approximation == GeluApproximation.Erf;
        ParallelFor(chunks, GeluChunk * (erf ? 40 : 20), (start, end) =>
        {
            for (int chunk = start; chunk < end; chunk++)
            {
                long from = (long)chunk * GeluChunk;
                int count = (int)Math.Min(GeluChunk, n - from);
                var src = new ReadOnlySpan<float>((float*)xp + from, count); // [count]
                var dst = new Span<float>((float*)yp + from, count); // [count]
                if (erf) GeluErf(src, dst);
                else GeluTanh(src, dst);
            }
        });
    }

    private static void GeluErf(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Widen to double lanes: float evaluation of erf cannot meet 1e-7 absolute error near |erf| = 1.
            ref float src = ref MemoryMarshal.GetReference(x);
            ref float dst = ref MemoryMarshal.GetReference(y);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                Vector256.Narrow(lower * ErrorFunction.NormalCdf(lower), upper * ErrorFunction.NormalCdf(upper))
                    .StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            double xi = x[i];
            y[i] = (float)(xi * ErrorFunction.NormalCdf(xi));
        }
    }

    private static void GeluTanh(ReadOnlySpan<float> x, Span<float> y)
    {
        // 2·√(2/π) and 2·√(2/π)·0.044715: the factor 2 turns ½(1 + tanh u) into sigmoid(2u).
        const float TwoC = 1.5957691216057308f;
        const float TwoCCubic = 0.07135481627159723f;
        Span<float> s = stackalloc float[GeluChunk]; // [n] scratch: 2u, then sigmoid(2u)
        s = s[..x.Length];
        TensorPrimitives.Multiply(x, x, s);
        TensorPrimitives.Multiply(s, TwoCCubic, s);
        TensorPrimitives.Add(s, TwoC, s);
        TensorPrimitives.Multiply(s, x, s);
        TensorPrimitives.Sigmoid(s, s);
        TensorPrimitives.Multiply(x, s, y);
    }
}
