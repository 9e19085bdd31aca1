// The engine refused new work for a reason that passes (full queue, draining, dead): the server answers 503.
namespace DyCoke.Engine;

/// <summary>Thrown by <see cref="IEngine.Submit"/> when the engine cannot take the request now.</summary>
public sealed class EngineOverloadedException(string message, bool isDraining = false) : Exception(message)
{
    /// <summary>True when the engine is shutting down (retrying here will not help).</summary>
    public bool IsDraining { get; } = isDraining;
}
