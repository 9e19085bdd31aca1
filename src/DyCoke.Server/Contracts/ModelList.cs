// GET /v1/models (openai-api.md §6): the served model as a vLLM-style model card.
namespace DyCoke.Server.Contracts;

/// <summary>The model list.</summary>
public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

/// <summary>One served model. <see cref="Description"/> says when the answers are random (demo checkpoint).</summary>
public sealed record ModelCard(string Id, long Created, string Root, int MaxModelLen, string Description)
{
    public string Object => "model";

    public string OwnedBy => "dycoke";
}
