// The request extension "dycoke": {"enabled", "k", "l", "p", "mode"} merged over the server's DyCoke section; every
// out-of-range value is a 400 naming its field. Each request may pick its own L: a decode batch scores per sequence.
using System.Text.Json;
using DyCoke.Compression;

namespace DyCoke.Server.Mapping;

internal static class DyCokeField
{
    /// <summary>The options for one request: <paramref name="serverDefault"/> with the request's overrides; L may be
    /// any layer in [1, <paramref name="numLayers"/> − 1] (the scores come from layer L − 1).</summary>
    /// <exception cref="ApiException">400 for a wrong type or range (param dycoke.x).</exception>
    public static DyCokeOptions Map(JsonElement? field, DyCokeOptions serverDefault, int numLayers)
    {
        if (field is not { } f || f.ValueKind == JsonValueKind.Null) return serverDefault;
        if (f.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("dycoke must be an object.", "dycoke");
        var options = serverDefault;
        foreach (var property in f.EnumerateObject())
        {
            string param = $"dycoke.{property.Name}";
            var v = property.Value;
            options = property.Name switch
            {
                "enabled" when v.ValueKind is JsonValueKind.True or JsonValueKind.False => options with { Enabled = v.GetBoolean() },
                "enabled" => throw ApiException.BadRequest($"{param} must be true or false.", param),
                "k" => options with { K = Fraction(v, param) },
                "p" => options with { P = Fraction(v, param) },
                "l" when v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int l) && l >= 1 && l < numLayers => options with { L = l },
                "l" => throw ApiException.BadRequest($"{param} must be an integer in [1, {numLayers - 1}]: the first pruned layer of this {numLayers}-layer model.", param),
                "mode" when v.ValueKind == JsonValueKind.String && JsonText.Is(v, "paper") => options with { Mode = DyCokeMode.Paper },
                "mode" when v.ValueKind == JsonValueKind.String && JsonText.Is(v, "reference") => options with { Mode = DyCokeMode.Reference },
                "mode" => throw ApiException.BadRequest($"{param} must be \"paper\" or \"reference\".", param),
                _ => throw ApiException.BadRequest($"{param} is not a DyCoke option; use enabled, k, l, p or mode.", param),
            };
        }
        return options;
    }

    private static double Fraction(JsonElement v, string param) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d >= 0 && d <= 1
            ? d
            : throw ApiException.BadRequest($"{param} must be a number in [0, 1].", param);
}
