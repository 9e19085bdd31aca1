// The contract between the blocked GEMM driver and its register-blocked inner kernels (one per instruction set).
namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// Computes one <c>Mr × Nr</c> tile of C from packed panels: <c>c[i, j] (+)= Σ_k a[k·Mr + i] · b[k·Nr + j]</c>.
/// The x rows are the broadcast operand and W columns the vector operand, so Nr is a multiple of the vector width.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of x per tile.</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of W (output features) per tile.</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// c[Mr, Nr] (row stride <paramref name="ldc"/>) = (accumulate ? c : 0) + aᵀ·b, with a [kc, Mr] and b [kc, Nr]
    /// packed contiguously. All Mr × Nr elements of c are written.
    /// </summary>
    static abstract void Run(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate);
}
