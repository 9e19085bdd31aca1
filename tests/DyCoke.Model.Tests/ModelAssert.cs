// Closeness of model outputs, stated the way the targets are: max|actual − expected| / max|expected|.
using Xunit;

namespace DyCoke.Model.Tests;

internal static class ModelAssert
{
    /// <summary>The relative error max_i |a_i − e_i| / max_i |e_i| (absolute when expected is all zero).</summary>
    public static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, d);
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    /// <summary>Asserts RelativeError ≤ tolerance, naming <paramref name="what"/> and the error on failure; the error is
    /// also written to the test output.</summary>
    public static double Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        double error = RelativeError(expected, actual);
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: max|diff| / max|ref| = {error:E3}");
        Assert.True(error <= tolerance, $"{what}: max|diff| / max|ref| = {error:E3} exceeds {tolerance:E1}");
        return error;
    }
}
