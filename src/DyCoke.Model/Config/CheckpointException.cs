// The one exception type for unusable checkpoint directories: it always names the file and, where there is one,
// the tensor or field, so an operator can act on the message alone.
namespace DyCoke.Model.Config;

public sealed class CheckpointException : Exception
{
    public CheckpointException(string file, string? item, string problem, Exception? inner = null)
        : base(Format(file, item, problem), inner)
    {
        File = file;
        Item = item;
        Problem = problem;
    }

    /// <summary>Path of the file at fault.</summary>
    public string File { get; }

    /// <summary>Tensor name or JSON field at fault, if any.</summary>
    public string? Item { get; }

    public string Problem { get; }

    private static string Format(string file, string? item, string problem) =>
        item is null ? $"{file}: {problem}" : $"{file}: '{item}': {problem}";
}
