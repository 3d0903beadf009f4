namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// Speculative decoding with a multi-token-prediction (MTP) module, as DeepSeek serves V3/R1 (DeepSeek-V3 technical
/// report §2.2 and §5.4.3; open-infra-index day 6): every decode step the main model verifies the sequence's next
/// token and <see cref="DraftTokens"/> drafted ones (1 + k query tokens per sequence), and the MTP module (one extra
/// transformer layer sharing the embedding and output head) drafts the next step's k tokens. Draft i is kept only if
/// drafts 1..i-1 were, each with probability <see cref="AcceptanceRate"/>, so a sequence advances by
/// <c>1 + p + p² + … + p^k</c> tokens a step in expectation (<see cref="ExpectedAdvance"/>). The simulator uses that
/// expectation deterministically (no draws): each sequence carries the fraction a step leaves over
/// (<see cref="Emit"/>), so over n steps it emits ⌊n·E⌋ tokens, give or take one.
/// </summary>
public sealed record SpeculativeDecoding
{
    /// <summary>The most draft tokens per step a request may ask for.</summary>
    public const int MaxDraftTokens = 8;

    public SpeculativeDecoding(int draftTokens, double acceptanceRate)
    {
        if (draftTokens is < 1 or > MaxDraftTokens)
            throw new ArgumentOutOfRangeException(nameof(draftTokens), $"must be 1..{MaxDraftTokens}");
        if (!(acceptanceRate is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(acceptanceRate), "must be in [0, 1]");
        DraftTokens = draftTokens;
        AcceptanceRate = acceptanceRate;
        ExpectedAdvance = Advance(draftTokens, acceptanceRate);
    }

    /// <summary>Draft tokens proposed per sequence and step (k; DeepSeek: 1).</summary>
    public int DraftTokens { get; }

    /// <summary>Probability that a draft is accepted given that the ones before it were (p; DeepSeek-V3: 0.85–0.9 for
    /// the second token).</summary>
    public double AcceptanceRate { get; }

    /// <summary>Expected tokens a decoding sequence advances per step: <c>1 + p + … + p^k</c>.</summary>
    public double ExpectedAdvance { get; }

    /// <summary><c>1 + p + p² + … + p^k</c>: the verified token plus the expected accepted drafts.</summary>
    public static double Advance(int draftTokens, double acceptanceRate)
    {
        double sum = 1, term = 1;
        for (int i = 0; i < draftTokens; i++) { term *= acceptanceRate; sum += term; }
        return sum;
    }

    /// <summary>
    /// Tokens a sequence emits this step (at least 1, at most 1 + k): the carried fraction plus
    /// <see cref="ExpectedAdvance"/>, rounded down; the rest stays in <paramref name="carry"/>.
    /// </summary>
    public int Emit(ref double carry)
    {
        double c = carry + ExpectedAdvance;
        int m = (int)Math.Floor(c + 1e-9);
        m = Math.Clamp(m, 1, 1 + DraftTokens);
        carry = Math.Max(0, c - m);
        return m;
    }
}
