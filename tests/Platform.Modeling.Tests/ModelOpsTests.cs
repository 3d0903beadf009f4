using Platform.Modeling.Ops;

namespace Platform.Modeling.Tests;

public sealed class ModelOpsTests
{
    private static ModelArchitecture Model(string preset) => ModelPresets.Get(preset).Architecture;

    private static IReadOnlyList<OpShape> Layer(IReadOnlyList<OpGroup> groups) =>
        groups.OpsOf(OpGroupKind.MoeLayer) is { Count: > 0 } moe ? moe : groups.OpsOf(OpGroupKind.DenseLayer);

    [Fact]
    public void Mla_decodes_in_the_absorbed_form_and_prefills_expanded()
    {
        var a = Model("deepseek-v3");
        var decode = Layer(ModelOps.Decompose(a, new OpLayout(), PassShape.Decode(32, 4096)));
        var prefill = Layer(ModelOps.Decompose(a, new OpLayout(), PassShape.Prefill(1, 4096, 4096)));
        var attention = decode.OfType<AttentionShape>().Single();
        Assert.Equal((1, 576, 512, 4096),
            ((int)attention.KvHeads, (int)attention.HeadDimQk, (int)attention.HeadDimV, (int)attention.KvLen));
        Assert.Contains(decode, o => o.Name == "q_absorb");
        Assert.DoesNotContain(decode, o => o.Name == "kv_b_proj");
        Assert.Contains(prefill, o => o.Name == "kv_b_proj");
        Assert.True(prefill.OfType<AttentionShape>().Single().Causal);
    }

    [Fact]
    public void Training_adds_mtp_and_the_loss_serving_samples_the_last_position_only()
    {
        var a = Model("deepseek-v3");
        var training = ModelOps.Decompose(a, new OpLayout(), PassShape.Training(2, 4096));
        var decode = ModelOps.Decompose(a, new OpLayout(), PassShape.Decode(64, 1024));
        Assert.Equal(a.NumNextnPredictLayers, training.Single(g => g.Kind == OpGroupKind.Mtp).Count);
        Assert.DoesNotContain(decode, g => g.Kind == OpGroupKind.Mtp);
        Assert.Equal(2 * 4096, training.OpsOf(OpGroupKind.Head).OfType<GemmShape>().Single().M);
        Assert.Equal(64, decode.OpsOf(OpGroupKind.Head).OfType<GemmShape>().Single().M);
        Assert.Contains(training.OpsOf(OpGroupKind.Head), o => o.Name == "logits_softmax");
    }

    [Fact]
    public void Tensor_parallelism_all_reduces_twice_per_layer_and_expert_parallelism_dispatches_and_combines()
    {
        var dense = Layer(ModelOps.Decompose(Model("llama-3.1-70b"), new OpLayout(TensorParallel: 8),
            PassShape.Decode(8, 1024)));
        Assert.Equal(2, dense.OfType<CollectiveShape>().Count(c => c.Kind == CollectiveOpKind.AllReduce));
        var moe = Layer(ModelOps.Decompose(Model("deepseek-v3"),
            new OpLayout(ExpertParallel: 32, GemmFormat: DataType.Fp8E4M3), PassShape.Decode(128, 1024)));
        var a2a = moe.OfType<CollectiveShape>().Where(c => c.Kind == CollectiveOpKind.AllToAll).ToList();
        Assert.Equal(["dispatch_all_to_all", "combine_all_to_all"], a2a.Select(c => c.Name));
        Assert.Equal(2 * a2a[0].Bytes, a2a[1].Bytes); // FP8 dispatch, BF16 combine
    }

    [Fact]
    public void Few_tokens_touch_few_experts_and_many_tokens_spread_over_all()
    {
        var moe = Model("deepseek-v3").Moe!;
        var few = ModelOps.ExpertRows(moe, 32, 8);      // 8 routed copies over 8 local experts
        var many = ModelOps.ExpertRows(moe, 32, 65536);
        Assert.InRange(few.Count, 4, 7);
        Assert.Equal(8, many.Count);
        Assert.Equal(8192, many.Max);
        Assert.Equal(GroupRows.Of([8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192]), many);
    }

    [Fact]
    public void A_pipeline_adds_one_activation_hop_per_stage_boundary()
    {
        var groups = ModelOps.Decompose(Model("llama-3.1-8b"), new OpLayout(PipelineParallel: 4),
            PassShape.Decode(8, 1024));
        var hop = groups.Single(g => g.Kind == OpGroupKind.PipelineHop);
        Assert.Equal(3, hop.Count);
        Assert.Equal(8 * 4096 * 2, hop.Ops.OfType<CollectiveShape>().Single().Bytes);
    }
}
