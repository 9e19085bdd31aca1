// Runs every IBackend op on a backend under test (CUDA) and on the CPU reference with the same random inputs, per
// activation dtype, and reports max error and NMSE against a stated tolerance: llama.cpp's test-backend-ops idea.
namespace DyCoke.Tensors.Diagnostics;

/// <summary>One row of the self-test table.</summary>
public sealed record SelfTestResult(string Op, string Case, DType DType, ErrorStats Stats, double Tolerance, string? Error)
{
    /// <summary>
    /// Passes when nothing threw and the max error stays within tolerance × max(1, max|reference|); a tolerance of 0
    /// (indices, copies, conversions) demands bit-equal results.
    /// </summary>
    public bool Passed => Error is null && Stats.MaxAbsError <= Tolerance * Math.Max(1.0, Stats.MaxAbsReference);
}

public static partial class BackendSelfTest
{
    /// <summary>
    /// Relative tolerance per output dtype. F32: 1e-5 for ops whose reductions may run in another order (the issue's
    /// bound). F16/BF16: a few units of the format's rounding (2⁻¹¹ and 2⁻⁸), since both sides round once at the output
    /// and intermediate roundings of a fused GPU kernel may land one unit away.
    /// </summary>
    public static double Tolerance(DType dtype) => dtype switch
    {
        DType.F32 => 1e-5,
        DType.F16 => 4 * Math.Pow(2, -11),
        DType.BF16 => 4 * Math.Pow(2, -8),
        _ => 0,
    };

    /// <summary>
    /// Runs all cases for each activation dtype (default F32, F16, BF16; the CPU backend itself takes F32 only).
    /// An exception in a case becomes a failed row, so one broken op never hides the others.
    /// </summary>
    public static IReadOnlyList<SelfTestResult> Run(IBackend reference, IBackend tested, IReadOnlyList<DType>? dtypes = null, int seed = 1234)
    {
        var results = new List<SelfTestResult>();
        foreach (DType dtype in dtypes ?? [DType.F32, DType.F16, DType.BF16])
        {
            var h = new SelfTestHarness(reference, tested, seed);
            foreach (var (op, name, exact, body) in Cases())
            {
                double tolerance = exact ? 0 : Tolerance(dtype);
                try
                {
                    var (expected, actual) = body(h, dtype);
                    results.Add(new SelfTestResult(op, name, dtype, ErrorStats.Compare(expected, actual), tolerance, null));
                }
                catch (Exception e)
                {
                    results.Add(new SelfTestResult(op, name, dtype, default, tolerance, $"{e.GetType().Name}: {e.Message}"));
                }
            }
        }
        return results;
    }

    /// <summary>The table the selftest verb prints: one line per op, case and dtype, then a pass/fail count.</summary>
    public static string Format(IReadOnlyList<SelfTestResult> results)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"op",-18} {"case",-28} {"dtype",-5} {"max |err|",10} {"nmse",10} {"max |ref|",10} {"tol",9}  result");
        foreach (var r in results)
        {
            string verdict = r.Passed ? "ok" : r.Error is null ? "FAIL" : "FAIL " + r.Error;
            sb.AppendLine($"{r.Op,-18} {r.Case,-28} {r.DType,-5} {r.Stats.MaxAbsError,10:g3} {r.Stats.Nmse,10:g3} {r.Stats.MaxAbsReference,10:g3} {r.Tolerance,9:g2}  {verdict}");
        }
        int passed = results.Count(r => r.Passed);
        sb.AppendLine($"{passed} passed, {results.Count - passed} failed");
        return sb.ToString();
    }

    private delegate (float[] Expected, float[] Actual) Case(SelfTestHarness h, DType dtype);

    // exact: the op moves or selects values (indices, copies, RNE conversions), so any difference is a bug.
    private static IEnumerable<(string Op, string Name, bool Exact, Case Body)> Cases()
    {
        foreach (var (m, k, n) in ((int, int, int)[])[(1, 896, 4864 / 8), (7, 96, 80), (64, 1152, 256)])
            yield return ("Linear", $"M{m} K{k} N{n} bias", false, (h, d) => Linear(h, d, m, k, n));
        yield return ("Embedding", "V1000 C96 T37", true, Embedding);
        yield return ("RmsNorm", "R33 C896", false, (h, d) => RmsNorm(h, d, fused: false));
        yield return ("AddRmsNorm", "R33 C896", false, (h, d) => RmsNorm(h, d, fused: true));
        yield return ("LayerNorm", "R29 C1152", false, LayerNorm);
        yield return ("Add", "R17 C1001", false, Add);
        yield return ("SiluMul", "R9 I4864", false, SiluMul);
        yield return ("Gelu", "erf R9 C4304", false, (h, d) => Gelu(h, d, GeluApproximation.Erf));
        yield return ("Gelu", "tanh R9 C4304", false, (h, d) => Gelu(h, d, GeluApproximation.Tanh));
        yield return ("Softmax", "R13 C6273", false, Softmax);
        yield return ("RopeAndStoreKv", "T19 H14 Hkv2 D64 pos", false, RopeAndStoreKv);
        yield return ("AttentionPrefill", "causal B3 H14 Hkv2 D64", false, (h, d) => AttentionPrefill(h, d, causal: true, heads: 14, kvHeads: 2, dim: 64));
        yield return ("AttentionPrefill", "full B2 H16 Hkv16 D72", false, (h, d) => AttentionPrefill(h, d, causal: false, heads: 16, kvHeads: 16, dim: 72));
        yield return ("AttentionDecode", "B4 H28 Hkv4 D128", false, (h, d) => AttentionDecode(h, d, meanProbs: false));
        yield return ("AttentionDecode", "meanProbs B4 H14 Hkv2", false, (h, d) => AttentionDecode(h, d, meanProbs: true));
        yield return ("AttnPrefillCached", "B3 H14 Hkv2 D64 prefix", false, (h, d) => AttentionPrefillCached(h, d, heads: 14, kvHeads: 2, dim: 64));
        yield return ("AttnPrefillCached", "B3 H28 Hkv4 D128 prefix", false, (h, d) => AttentionPrefillCached(h, d, heads: 28, kvHeads: 4, dim: 128));
        yield return ("BilinearResize", "F3 27x27->14x14 C64", false, BilinearResize);
        yield return ("RowCosine", "R196 C896", false, RowCosine);
        yield return ("TopK", "R3 N1000 k300", true, TopK);
        yield return ("ArgMax", "R5 N151000", true, ArgMax);
        yield return ("GatherRows", "R50 C96 n21", true, GatherRows);
        yield return ("Convert", "F32->dtype->F32", true, Convert);
    }
}
