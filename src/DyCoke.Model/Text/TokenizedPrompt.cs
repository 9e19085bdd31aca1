// The prompt as the engine receives it: token ids with one placeholder id per video or image, and where each sits.
namespace DyCoke.Model.Text;

/// <summary>Where one media item's placeholder token sits in a prompt.</summary>
/// <param name="MediaIndex">The <see cref="VideoPart.VideoIndex"/> or <see cref="ImagePart.ImageIndex"/> it stands for.</param>
/// <param name="Position">Index of the placeholder id in <see cref="TokenizedPrompt.Ids"/>.</param>
public readonly record struct MediaPlaceholder(int MediaIndex, int Position);

/// <summary>A rendered and tokenized chat prompt.</summary>
/// <param name="Ids">Token ids; each video is one <c>&lt;video&gt;</c> id that the model runner expands into its
/// frame features (F·196 + 1 embeddings for LLaVA-OneVision).</param>
/// <param name="Videos">Video placeholders in sequence order (ascending <see cref="MediaPlaceholder.Position"/>).</param>
/// <param name="Images">Image placeholders in sequence order.</param>
public sealed record TokenizedPrompt(int[] Ids, IReadOnlyList<MediaPlaceholder> Videos, IReadOnlyList<MediaPlaceholder> Images);
