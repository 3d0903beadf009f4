using Platform.Modeling;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Serving;

/// <summary>
/// Accelerator memory of one instance: weights per accelerator, an activation reserve, and the KV cache that
/// fills the rest of <c>gpu_memory_utilization</c> x HBM (vLLM's accounting). docs/INFERENCE.md explains each term.
/// </summary>
public sealed record MemoryPlan(
    double WeightBytesPerAccelerator, double ActivationBytesPerAccelerator, double BudgetBytesPerAccelerator,
    double KvBytesPerTokenPerAccelerator, long KvTokensPerInstance, int BlockSize)
{
    public long KvBlocksPerInstance => KvTokensPerInstance / BlockSize;

    public const double GiB = 1024.0 * 1024 * 1024;
    /// <summary>CUDA context, NCCL buffers, CUDA graphs: vLLM's "non-torch" memory, about 1 GiB per GPU.</summary>
    public const double NonTorchBytes = 1.0 * GiB;

    public static int Bytes(NumberFormat f) => f switch { NumberFormat.Fp32 => 4, NumberFormat.Fp8 => 1, _ => 2 };

    /// <summary>KV-cache bytes per token on one accelerator. MLA stores the compressed latent (kv_lora_rank + rope
    /// dims), replicated across TP ranks; GQA splits KV heads across TP (replicated when fewer heads than
    /// ranks).</summary>
    public static double KvBytesPerToken(ModelArchitecture m, Parallelism p, NumberFormat kv)
    {
        double layers = Math.Ceiling((double)m.NumLayers / p.PipelineParallel);
        if (m.Mla is { } mla) return layers * (mla.KvLoraRank + mla.QkRopeHeadDim) * Bytes(kv);
        double headsPerRank = Math.Max(1, m.KvHeads / p.TensorParallel);
        return layers * 2 * headsPerRank * m.EffectiveHeadDim * Bytes(kv);
    }

    /// <summary>Parameters held by one accelerator: attention, dense FFN, shared experts and embeddings split over TP;
    /// routed experts over EP (or TP without EP); layers over PP.</summary>
    public static double ParamsPerAccelerator(ModelArchitecture m, Parallelism p)
    {
        var b = ParameterCounter.Count(m);
        double tp = p.TensorParallel, pp = p.PipelineParallel;
        double perLayerCommon = b.AttentionPerLayer + 2.0 * m.HiddenSize;
        double dense = m.DenseLayerCount * (perLayerCommon + b.DenseMlpPerLayer) / tp;
        double moe = 0;
        if (m.Moe is { } e)
        {
            double routed = p.ExpertParallel > 1
                ? Parallelism.ExpertsPerRank(e.RoutedExperts, p.ExpertParallel) * (double)b.ExpertParams
                : e.RoutedExperts * (double)b.ExpertParams / tp;
            double shared = e.SharedExperts * (double)b.ExpertParams / tp;
            double router = e.RoutedExperts * (double)m.HiddenSize;
            moe = m.MoeLayerCount * (perLayerCommon / tp + routed + shared + router);
        }
        double embedding = b.Embedding / tp;
        return (dense + moe) / pp + embedding;
    }

    public static MemoryPlan Build(ModelArchitecture m, Parallelism p, AcceleratorInfo acc, NumberFormat weights,
        NumberFormat kv, double memoryUtilization, long maxBatchedTokens, int blockSize, string prefix)
    {
        double weightBytes = ParamsPerAccelerator(m, p) * Bytes(weights);
        double inter = Math.Max(m.IntermediateSize, m.Moe?.ExpertIntermediateSize ?? 0);
        // Peak activations of the largest step (vLLM profiles a dummy max_num_batched_tokens forward pass):
        // residual + normed input + attention output + QKV (4 x hidden) and the gated FFN's 2 x intermediate / TP, in
        // BF16.
        double activation = maxBatchedTokens * (4.0 * m.HiddenSize + 2.0 * inter / p.TensorParallel) * 2.0
            + NonTorchBytes;
        double budget = acc.HbmGiB * GiB * memoryUtilization;
        double left = budget - weightBytes - activation;
        if (left <= 0)
            throw new PreconditionFailedException($"{prefix}",
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the model does not fit: needs {(weightBytes + activation) / GiB:F1} GiB per accelerator for " +
                $"weights ({weightBytes / GiB:F1} GiB) and activations, " +
                $"available {budget / GiB:F1} GiB ({memoryUtilization:P0} of {acc.HbmGiB:F0} GiB on {acc.Id}); add " +
                $"tensor/pipeline/expert parallelism"));
        double kvPerToken = KvBytesPerToken(m, p, kv);
        long tokens = (long)(left / kvPerToken) / blockSize * blockSize;
        return new MemoryPlan(weightBytes, activation, budget, kvPerToken, tokens, blockSize);
    }
}
