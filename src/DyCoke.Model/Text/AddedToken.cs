// One entry of tokenizer.json's added_tokens: text matched verbatim before BPE and mapped straight to its id.
namespace DyCoke.Model.Text;

/// <summary>A token added on top of the BPE vocabulary, such as <c>&lt;|im_start|&gt;</c> or <c>&lt;video&gt;</c>.</summary>
/// <param name="Id">Its token id.</param>
/// <param name="Content">The exact text it stands for.</param>
/// <param name="Special">Special tokens are dropped when decoding with skipSpecialTokens.</param>
/// <param name="Normalized">Matched in the NFC-normalized text rather than the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized);
