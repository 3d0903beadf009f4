using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Domain.Live;

/// <summary>
/// Prefix-cache keys of a prompt, as vLLM's automatic prefix caching keys its blocks: each whole unit of
/// <see cref="WorkloadSource.HashBlockTokens"/> token ids gets a hash chained on the unit before it, so two prompts
/// share a unit's key only when they share every token up to its end. A trailing partial unit is never cached.
/// </summary>
public static class PromptHashes
{
    public static int[] Of(ReadOnlySpan<int> tokenIds)
    {
        int units = tokenIds.Length / WorkloadSource.HashBlockTokens;
        var hashes = new int[units];
        ulong h = 14695981039346656037UL; // FNV-1a 64 offset basis
        for (int u = 0; u < units; u++)
        {
            foreach (int t in tokenIds.Slice(u * WorkloadSource.HashBlockTokens, WorkloadSource.HashBlockTokens))
            {
                h ^= (uint)t;
                h *= 1099511628211UL;
            }
            hashes[u] = (int)(h ^ (h >> 32));
        }
        return hashes;
    }
}
