// The two behaviours DyCoke ships in (dycoke-algorithm.md §3.2, §4.3, §11): the paper's intent and the official code's.
namespace DyCoke.Compression;

/// <summary>Which DyCoke behaviour to run.</summary>
public enum DyCokeMode
{
    /// <summary>
    /// The paper's intent: every TTM window is processed (the last and partial ones too, so an odd last frame is kept),
    /// survivors stay in spatial order, the DP span covers every visual token, and a step whose attention is stable
    /// reuses the previous selection, so every decode step prunes.
    /// </summary>
    Paper,

    /// <summary>
    /// The official code (KD-TAO/DyCoke), quirks included: the last full TTM window skips its pass-B frame, an odd last
    /// frame is dropped, survivors come out in ascending similarity, the DP span is one short (<c>len − 1</c>), and a
    /// step whose attention is stable runs unpruned. For parity tests against the reference.
    /// </summary>
    Reference,
}
