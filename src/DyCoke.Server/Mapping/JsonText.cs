// Reading JSON strings that arrive as JsonElement. An escaped lone surrogate ("\ud800") is valid JSON but not valid
// Unicode text, and JsonElement throws InvalidOperationException when asked to decode or compare it; here that becomes
// the client's 400 (or simply "not equal") instead of a 500.
using System.Text.Json;

namespace DyCoke.Server.Mapping;

internal static class JsonText
{
    /// <summary>The text of the JSON string <paramref name="value"/>.</summary>
    /// <exception cref="ApiException">400 naming <paramref name="param"/> when the string is not valid Unicode.</exception>
    public static string Get(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest($"{param} is not valid Unicode text (it holds an unpaired surrogate escape such as \\ud800).", param);
        }
    }

    /// <summary>True when the JSON string <paramref name="value"/> equals <paramref name="expected"/>; false for invalid Unicode.</summary>
    public static bool Is(JsonElement value, string expected)
    {
        try
        {
            return value.ValueEquals(expected);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
