// Argument checks shared by every backend: ops validate at the boundary, then run without further checks.
namespace DyCoke.Tensors;

internal static class TensorCheck
{
    public static void OnDevice(Tensor t, DeviceKind device, string name)
    {
        if (t.Device != device)
            throw new ArgumentException($"{name} is on {t.Device}, expected {device}", name);
    }

    public static void Is(Tensor t, DType dtype, string name)
    {
        if (t.DType != dtype)
            throw new ArgumentException($"{name} has dtype {t.DType}, expected {dtype}", name);
    }

    public static void IsFloat(Tensor t, string name)
    {
        if (!t.DType.IsFloat())
            throw new ArgumentException($"{name} has dtype {t.DType}, expected F32, F16 or BF16", name);
    }

    public static void Rank(Tensor t, int rank, string name)
    {
        if (t.Shape.Rank != rank)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected rank {rank}", name);
    }

    public static void ShapeIs(Tensor t, Shape expected, string name)
    {
        if (t.Shape != expected)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected {expected}", name);
    }

    public static void SameShape(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{nameA} {a.Shape} and {nameB} {b.Shape} must have the same shape", nameB);
    }

    public static void SameElementCount(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.NumElements != b.NumElements)
            throw new ArgumentException($"{nameA} {a.Shape} and {nameB} {b.Shape} must have the same element count", nameB);
    }

    public static void Dim(Tensor t, int axis, long expected, string name)
    {
        if (t.Shape.Rank == 0 || t.Shape[axis] != expected)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected dimension {axis} to be {expected}", name);
    }
}
