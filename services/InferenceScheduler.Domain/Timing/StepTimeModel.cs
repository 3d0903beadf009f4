namespace InferenceScheduler.Domain.Timing;

/// <summary>
/// What one engine step computes: new prompt tokens (prefill chunks, recompute included) and decode sequences.
/// <see cref="PrefillAttentionPairs"/> is the sum over chunks of causal query–key pairs;
/// <see cref="DecodeContextTokens"/> the KV tokens the decode sequences read.
/// </summary>
public struct StepShape
{
    public int PrefillTokens;
    public int PrefillSequences;
    public double PrefillAttentionPairs;
    /// <summary>Sum over the step's chunks of each chunk's own attention time (<see
    /// cref="IStepTimeModel.PrefillChunkAttentionSeconds"/>); 0 leaves the model to time the summed pairs.</summary>
    public double PrefillAttentionSeconds;
    public int DecodeSequences;
    public long DecodeContextTokens;
    /// <summary>Speculative draft tokens each decode sequence verifies this step (k; 0 = plain decoding): the model
    /// runs 1 + k query tokens per decode sequence and the MTP module drafts k tokens.</summary>
    public int DraftTokens;

    /// <summary>Query tokens of the decode sequences: (1 + <see cref="DraftTokens"/>) each.</summary>
    public readonly int DecodeQueryTokens => DecodeSequences * (1 + DraftTokens);

    public readonly int Tokens => PrefillTokens + DecodeQueryTokens;

    /// <summary>Positions the output head scores: every decode query token (each verified draft needs its logits)
    /// and the last token of each completed prefill.</summary>
    public readonly int HeadPositions => DecodeQueryTokens + PrefillSequences;

    /// <summary>Causal query–key pairs of a chunk of <paramref name="n"/> new tokens after <paramref name="context"/>
    /// cached ones.</summary>
    public static double ChunkPairs(int n, int context) => (double)n * context + (double)n * (n + 1) / 2.0;
}

/// <summary>Device time of one engine step. Implementations are pure and fast: the simulator calls this once per
/// step.</summary>
public interface IStepTimeModel
{
    double StepSeconds(in StepShape shape);
    /// <summary>Attention seconds of one prefill chunk of <paramref name="tokens"/> new tokens after
    /// <paramref name="context"/> cached ones, timed at its own length; 0 for models without a per-chunk table.
    /// </summary>
    double PrefillChunkAttentionSeconds(int tokens, int context) => 0;
    /// <summary>A short description for notes.</summary>
    string Describe();
}

/// <summary>
/// Constant costs: <c>overhead + prefill_tokens x prefillSecondsPerToken + (decode ? decodeSecondsPerStep : 0)</c>.
/// A step that completes a prefill emits that request's first token without a decode charge (vLLM samples at the end of
/// prefill).
/// </summary>
public sealed class ConstantStepTimeModel(double prefillSecondsPerToken, double decodeSecondsPerStep,
    double overheadSeconds) : IStepTimeModel
{
    public double PrefillSecondsPerToken { get; } = prefillSecondsPerToken;
    public double DecodeSecondsPerStep { get; } = decodeSecondsPerStep;
    public double OverheadSeconds { get; } = overheadSeconds;

    public double StepSeconds(in StepShape s) =>
        OverheadSeconds + s.PrefillTokens * PrefillSecondsPerToken + (s.DecodeSequences > 0 ? DecodeSecondsPerStep : 0);

    public string Describe() =>
        $"constant: {PrefillSecondsPerToken} s/prefill token, {DecodeSecondsPerStep} s/decode step, " +
        $"{OverheadSeconds} s/step overhead";
}
