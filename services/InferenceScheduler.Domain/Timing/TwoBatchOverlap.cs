namespace InferenceScheduler.Domain.Timing;

/// <summary>How an engine hides communication behind compute when it overlaps them.</summary>
public enum OverlapSchedule
{
    /// <summary>Perfect overlap: a step takes max(compute, communication).</summary>
    Ideal,
    /// <summary>Two micro-batches of half the batch, one's compute beside the other's communication
    /// (<see cref="TwoBatchOverlap"/>).</summary>
    TwoBatch,
}

/// <summary>
/// Two-batch overlap as SGLang (LMSYS blog 2025-05-05, "Two-batch Overlap") and DeepSeek (profile-data repository,
/// decode and prefill traces) run it: the batch is split into two micro-batches A and B of half the tokens and
/// sequences; every layer of a micro-batch runs four pieces in order, attention-side compute <c>a</c>, first
/// communication <c>d</c> (EP dispatch or the attention all-reduce), FFN-side compute <c>e</c> (experts, shared
/// experts or the dense FFN) and second communication <c>k</c> (EP combine or the FFN all-reduce). One compute stream
/// and one communication stream run them with B one piece behind A:
/// <code>
/// compute:  aA  aB  eA  eB  aA' aB' ...      eB  hA  hB
/// comm:         dA  dB  kA  kB  dA' ...      kA  kB
/// </code>
/// so a step is <c>a + L (max(a,d) + max(e,d) + max(e,k)) + (L-1) max(a,k) + max(h,k) + h</c> over the L layers
/// (per-layer pieces are the profile's totals over L) with the head <c>h</c> of each micro-batch last. Unlike
/// <see cref="OverlapSchedule.Ideal"/> it charges the first and last pieces nothing hides, the imbalance between
/// concurrent pieces, and running every GEMM at half the batch (weights are read twice per step).
/// </summary>
public static class TwoBatchOverlap
{
    /// <summary>The pipelined time of one step from per-layer pieces (seconds) and the head of one
    /// micro-batch.</summary>
    public static double PipelineSeconds(double a, double d, double e, double k, double head, int layers)
    {
        int l = Math.Max(1, layers);
        return a + l * (Math.Max(a, d) + Math.Max(e, d) + Math.Max(e, k)) + (l - 1) * Math.Max(a, k)
               + Math.Max(head, k) + head;
    }

    /// <summary>The device time of step <paramref name="s"/> (at least two tokens) under two-batch overlap, without the
    /// host overhead.</summary>
    public static double StepSeconds(ProfiledStepTimeModel m, in StepShape s)
    {
        double half = s.Tokens / 2.0;
        int layers = Math.Max(1, m.Layers);
        double ffn = m.FfnLinear?.At(half) ?? 0;
        double second = m.SecondCommunication?.At(half) ?? 0;
        double a = Math.Max(0, m.Linear.At(half) - ffn + m.AttentionSeconds(s, 0.5)) / layers;
        double d = Math.Max(0, m.Communication.At(half) - second) / layers;
        double head = m.Head.At(s.HeadPositions / 2.0);
        return PipelineSeconds(a, d, ffn / layers, second / layers, head, layers);
    }
}
