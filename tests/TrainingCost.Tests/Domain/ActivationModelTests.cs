using Platform.Modeling;
using Platform.Modeling.Flops;
using TrainingCost.Domain;
using Xunit.Abstractions;

namespace TrainingCost.Tests.Domain;

/// <summary>
/// Activation memory against Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
/// Models": the per-layer formulas of its Table 2 for the four models of its Table 3 (GPT-style, 4h GELU MLP,
/// dropout, no fused attention, s = 2048, V = 51,200), and the first-stage total of its §4.2.3. Tolerance 0.5%.
/// </summary>
public sealed class ActivationModelTests(ITestOutputHelper output)
{
    private const double Tolerance = 0.005;
    private const long Seq = 2048;

    /// <summary>Korthikanti Table 3: attention heads, hidden size, layers, TP, PP.</summary>
    public static readonly TheoryData<string, int, int, int, int, int> PaperModels = new()
    {
        { "22B", 64, 6144, 48, 8, 1 },
        { "175B", 96, 12288, 96, 8, 8 },
        { "530B", 128, 20480, 105, 8, 35 },
        { "1T", 160, 25600, 128, 8, 64 },
    };

    private static ModelArchitecture Gpt(int heads, int hidden, int layers) => new()
    {
        Name = "gpt", ModelType = "gpt2", HiddenSize = hidden, NumLayers = layers, NumAttentionHeads = heads,
        IntermediateSize = 4L * hidden, VocabSize = 51200, GatedMlp = false,
    };

    private static readonly ActivationOptions Paper = new() { Dropout = true, MaterializedAttention = true };

    private static void Near(double expected, double actual) =>
        Assert.InRange(actual / expected, 1 - Tolerance, 1 + Tolerance);

    [Theory]
    [MemberData(nameof(PaperModels))]
    public void Per_layer_activations_follow_table_2(string name, int a, int h, int layers, int t, int p)
    {
        _ = p;
        var m = Gpt(a, h, layers);
        double sbh = (double)Seq * h, s2 = 5.0 * a * Seq / h;
        double Bytes(ParallelPlan plan) => ActivationModel.BytesPerLayer(m, plan, Seq, Paper, false);
        var tpOnly = new ParallelPlan { TensorParallel = t, SequenceParallel = false };
        var tpSp = new ParallelPlan { TensorParallel = t };
        var selective = RecomputeKind.Selective;
        Near(sbh * (34 + s2), Bytes(new ParallelPlan()));                                          // no parallelism
        Near(sbh * (10 + 24.0 / t + s2 / t), Bytes(tpOnly));                                      // TP
        Near(sbh * (34.0 / t + s2 / t), Bytes(tpSp));                                              // TP + SP
        Near(sbh * (10 + 24.0 / t), Bytes(tpOnly with { Recompute = selective }));                 // TP + selective
        Near(sbh * 34.0 / t, Bytes(tpSp with { Recompute = selective }));                          // TP + SP + sel.
        Near(sbh * 2, Bytes(tpOnly with { Recompute = RecomputeKind.Full }));                      // full
        double both = Bytes(tpSp with { Recompute = selective });
        output.WriteLine($"{name}: TP+SP+selective {both / 1e6:F0} MB/layer, " +
            $"TP baseline {Bytes(tpOnly) / 1e6:F0} MB/layer");
    }

    [Theory]
    [MemberData(nameof(PaperModels))]
    public void First_stage_holds_p_micro_batches_of_its_layers_so_the_total_is_that_of_the_whole_model(string name,
        int a, int h, int layers, int t, int p)
    {
        // §4.2.3: with 1F1B the first stage stores p micro-batches of L/p layers: sbhL(34/t + 5as/(ht)) in all,
        // × (1 + (p − 1)/(p·v)) with v interleaved chunks. Without pipelining the output layer adds
        // 4sbh/t(1 + V/h).
        var m = Gpt(a, h, layers);
        double sbh = (double)Seq * h;
        var plan = new ParallelPlan { TensorParallel = t, PipelineParallel = p, Recompute = RecomputeKind.Selective };
        double expected = sbh * layers * 34.0 / t + (p == 1 ? 4 * sbh / t * (1 + 51200.0 / h) : 0);
        Near(expected, ActivationModel.Bytes(m, plan, Seq, Paper));
        if (p > 1)
        {
            var interleaved = plan with { Schedule = PipelineSchedule.Interleaved, VirtualStages = 2 };
            long chunkLayers = layers / p / 2;
            if (chunkLayers * 2 * p == layers)
                Near(expected * (1 + (p - 1.0) / (p * 2)), ActivationModel.Bytes(m, interleaved, Seq, Paper));
        }
        output.WriteLine($"{name}: first stage {ActivationModel.Bytes(m, plan, Seq, Paper) / 1e9:F1} GB");
    }

    [Theory]
    [MemberData(nameof(PaperModels))]
    public void Sequence_parallelism_with_selective_recompute_cuts_activations_about_five_fold(string name, int a,
        int h, int layers, int t, int p)
    {
        // Abstract: "reduces activation memory by 5×" against tensor parallelism alone (Table 2 at t = 8 gives
        // 4.9× for 530B and 1T, 5.4× for 175B, 6.2× for 22B).
        _ = (layers, p);
        var m = Gpt(a, h, layers);
        double baseline = ActivationModel.BytesPerLayer(m,
            new ParallelPlan { TensorParallel = t, SequenceParallel = false }, Seq, Paper, false);
        double both = ActivationModel.BytesPerLayer(m,
            new ParallelPlan { TensorParallel = t, Recompute = RecomputeKind.Selective }, Seq, Paper, false);
        output.WriteLine($"{name}: {baseline / both:F2}×");
        Assert.InRange(baseline / both, 4.5, 6.5);
    }

    [Fact]
    public void A_fused_attention_kernel_stores_no_score_matrix_and_without_dropout_no_masks()
    {
        var m = Gpt(96, 12288, 96);
        double sbh = (double)Seq * 12288;
        // 34 − 2 masks = 32·sbh, and no 5as²b term.
        Near(32 * sbh, ActivationModel.BytesPerLayer(m, new ParallelPlan(), Seq, ActivationOptions.Default, false));
        // Fused kernel with dropout: masks only outside the (fused) attention core.
        Near(34 * sbh, ActivationModel.BytesPerLayer(m, new ParallelPlan(), Seq, new() { Dropout = true }, false));
    }

    [Fact]
    public void Grouped_query_attention_stores_k_and_v_at_the_kv_heads_width()
    {
        var mha = ModelPresets.Get("llama-3.1-70b").Architecture with { NumKeyValueHeads = 0 };
        var gqa = mha with { NumKeyValueHeads = mha.NumAttentionHeads / 8 };
        double sbh = 4096.0 * mha.HiddenSize, sbi = 4096.0 * mha.IntermediateSize;
        double Bytes(ModelArchitecture x) =>
            ActivationModel.BytesPerLayer(x, new ParallelPlan(), 4096, ActivationOptions.Default, false);
        // Two norm inputs 4, two block inputs 4, Q 2, K and V 4, output-projection input 2; SwiGLU: fc1 outputs
        // 4·sbi, its output 2·sbi.
        Near(16 * sbh + 6 * sbi, Bytes(mha));
        Near(12.5 * sbh + 6 * sbi, Bytes(gqa));
    }
}
