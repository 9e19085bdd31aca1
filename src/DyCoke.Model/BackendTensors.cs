// The activation dtype a backend computes in, as the model layers see it. Transfers between host and backend are the
// IBackend extension methods in DyCoke.Tensors.BackendTransfers.
using DyCoke.Tensors;

namespace DyCoke.Model;

internal static class BackendTensors
{
    /// <summary>
    /// The dtype activations, KV cache and uploaded weights use: F32 on the CPU (its ops compute in F32 and read
    /// F16/BF16 weights as they are), F16 elsewhere (GPU math in F16 with F32 accumulation, the checkpoints' dtype).
    /// </summary>
    public static DType ActivationDType(IBackend backend) => backend.Device == DeviceKind.Cpu ? DType.F32 : DType.F16;
}
