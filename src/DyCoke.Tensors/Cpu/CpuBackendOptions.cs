// Settings of the CPU backend: thread count and which GEMM runs Linear.
namespace DyCoke.Tensors.Cpu;

/// <summary>Which matrix-multiply implementation the CPU backend uses for <see cref="IBackend.Linear"/>.</summary>
public enum CpuGemmKind
{
    /// <summary>
    /// OpenBLAS when <c>libopenblas.so.0</c> loads, else the managed kernel; decode-sized Linear calls (≤ 16 rows) on
    /// AVX-512 CPUs always take the managed small-M kernel, which measured faster.
    /// </summary>
    Auto,
    /// <summary>The packed AVX2/AVX-512 FMA kernel written in C# (always available).</summary>
    Managed,
    /// <summary>OpenBLAS <c>cblas_sgemm</c>; fails at construction when the library does not load.</summary>
    OpenBlas,
}

public sealed record CpuBackendOptions
{
    /// <summary>Worker threads for parallel ops (default: all logical processors).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public CpuGemmKind Gemm { get; init; } = CpuGemmKind.Auto;
}
