namespace InferenceScheduler.Domain.Simulation.Policies;

/// <summary>
/// P/D disaggregation: moves a prefilled prompt's KV from a prefill instance to the decode pool. The simulator hands a
/// request over after its first token, holds its prefill blocks until the transfer ends, then routes it to decode.
/// </summary>
internal interface IKvTransfer
{
    /// <summary>Starts moving the KV of <paramref name="promptTokens"/> tokens out of <paramref name="source"/>;
    /// returns when it arrives.</summary>
    double Start(Instance source, int promptTokens, double now);
}

/// <summary>
/// Each prefill accelerator sends its share of the KV over its own link: <c>bytes / bandwidth + latency</c>. Transfers
/// out of one instance queue on its link (the latency overlaps with the next transfer).
/// </summary>
internal sealed class LinkKvTransfer(double kvBytesPerTokenPerAccelerator, double bytesPerSecond, double latencySeconds,
    int instances) : IKvTransfer
{
    private readonly double[] _linkFreeAt = new double[instances];

    public double Start(Instance source, int promptTokens, double now)
    {
        double bytes = promptTokens * kvBytesPerTokenPerAccelerator;
        double start = Math.Max(now, _linkFreeAt[source.Id]);
        double end = start + bytes / bytesPerSecond + latencySeconds;
        _linkFreeAt[source.Id] = end - latencySeconds;
        return end;
    }
}
