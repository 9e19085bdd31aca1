// The self-test harness itself, exercised without a GPU: two differently configured CPU backends must agree on every
// op (so the harness's cases, tolerances and data movement are right before they first meet a GPU), and the
// comparison statistics must catch what they claim to.
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Diagnostics;
using Xunit;

namespace DyCoke.Tensors.Tests.Diagnostics;

public sealed class BackendSelfTestTests
{
    [Fact]
    public void Run_CpuAgainstCpuWithOtherGemmAndThreads_AllCasesPass()
    {
        using var reference = new CpuBackend(new CpuBackendOptions { Threads = 1, Gemm = CpuGemmKind.Managed });
        using var tested = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        var results = BackendSelfTest.Run(reference, tested, [DType.F32]);
        Assert.True(results.Count >= 20, $"only {results.Count} cases ran");
        var failures = results.Where(r => !r.Passed).ToList();
        Assert.True(failures.Count == 0, BackendSelfTest.Format(failures));
    }

    [Fact]
    public void Format_EndsWithPassFailCount()
    {
        var rows = new[]
        {
            new SelfTestResult("Add", "x", DType.F32, new ErrorStats(0, 0, 1), 1e-5, null),
            new SelfTestResult("ArgMax", "y", DType.F16, new ErrorStats(1, 0, 5), 0, null),
        };
        string table = BackendSelfTest.Format(rows);
        Assert.EndsWith("1 passed, 1 failed" + Environment.NewLine, table);
        Assert.Contains("FAIL", table);
    }

    [Fact]
    public void Compare_MismatchedNaNIsInfiniteError_MatchedNaNIsNone()
    {
        Assert.Equal(double.PositiveInfinity, ErrorStats.Compare([1f, float.NaN], [1f, 2f]).MaxAbsError);
        Assert.Equal(0, ErrorStats.Compare([1f, float.NaN], [1f, float.NaN]).MaxAbsError);
        var s = ErrorStats.Compare([3f, -4f], [3f, -4.5f]);
        Assert.Equal(0.5, s.MaxAbsError, 12);
        Assert.Equal(4, s.MaxAbsReference);
        Assert.Equal(0.25 / 25, s.Nmse, 12);
    }

    [Fact]
    public void Tolerance_ExactCasesDemandEquality()
    {
        var exactMiss = new SelfTestResult("TopK", "k", DType.BF16, new ErrorStats(1, 0, 1000), 0, null);
        Assert.False(exactMiss.Passed);
        var withinBf16 = new SelfTestResult("Gelu", "g", DType.BF16, new ErrorStats(0.01, 0, 1), BackendSelfTest.Tolerance(DType.BF16), null);
        Assert.True(withinBf16.Passed);
    }
}
