using System.Globalization;

namespace HardwareEmulator.Domain.Validation;

/// <summary>One measured op: the shape the emulator times and the measured median.</summary>
/// <param name="Source">The model (compute ops) or the collective's topology, e.g. "Llama-2-7b-hf" or "8x8".</param>
/// <param name="Op">The measured op's name in the source ("mlp_up_proj", "all_reduce").</param>
/// <param name="Kind">What the op is for the model: "gemm", "elementwise", "all_reduce", "send_recv".</param>
/// <param name="Tokens">Tokens in the batch (compute ops); 0 for collectives.</param>
/// <param name="Tp">Tensor-parallel degree (compute ops) or ranks (collectives).</param>
public sealed record KernelSample(string Source, string Op, string Kind, long Tokens, int Tp, OpShape Shape,
    double MeasuredSeconds);

/// <summary>
/// Reads the measured A100 kernel and collective times and the H100 kernel times copied from Vidur (Data/vidur-a100,
/// Data/vidur-h100, READMEs there) and turns each row into the op shape the emulator times: a layer's four GEMMs, its
/// element-wise kernels and the NCCL collectives. The shapes follow vLLM's tensor-parallel split of Llama layers.
/// </summary>
public static class KernelReference
{
    /// <summary>Models whose rows the calibration was fitted on; the other two are held out.</summary>
    public static readonly IReadOnlySet<string> FitModels = new HashSet<string> { "Llama-2-7b-hf", "Llama-2-70b-hf" };

    /// <summary>Collectives the per-call costs and the validated cluster's link rates were fitted on: the 2-, 8- and
    /// 16-rank all-reduces and the NVLink send/recv; the 4-rank all-reduces and the send/recv between nodes are held
    /// out.</summary>
    public static bool IsFitCollective(KernelSample s) =>
        s.Kind == "all_reduce" ? s.Tp != 4 : s.Shape is CollectiveShape { Ranks: var n, RanksPerNode: var p } && n <= p;

    public static bool IsFit(KernelSample s) =>
        s.Tokens > 0 ? FitModels.Contains(s.Source) : IsFitCollective(s);

    /// <summary>Every sample in <paramref name="folder"/>: mlp.csv and, where the folder has one, collectives.csv
    /// (Data/vidur-h100 has compute ops only).</summary>
    public static IReadOnlyList<KernelSample> Load(string folder)
    {
        var all = new List<KernelSample>();
        all.AddRange(ReadCompute(Path.Combine(folder, "mlp.csv")));
        string collectives = Path.Combine(folder, "collectives.csv");
        if (File.Exists(collectives)) all.AddRange(ReadCollectives(collectives));
        return all;
    }

    private static IEnumerable<string[]> Rows(string path, out string[] header)
    {
        var lines = File.ReadAllLines(path);
        header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','));
    }

    private static IEnumerable<KernelSample> ReadCompute(string path)
    {
        var rows = Rows(path, out var header);
        int Col(string name) => Array.IndexOf(header, name);
        foreach (var r in rows)
        {
            string model = r[Col("model")];
            long h = L(r[Col("n_head")]), kv = L(r[Col("n_kv_head")]), e = L(r[Col("n_embd")]);
            long f = L(r[Col("n_expanded_embd")]), t = L(r[Col("num_tokens")]);
            int p = (int)L(r[Col("tp")]);
            long d = e / h;
            KernelSample S(string op, string kind, OpShape shape) =>
                new(model, op, kind, t, p, shape, D(r[Col(op + "_ms")]) * 1e-3);
            const DataType bf = DataType.Bf16;
            yield return S("attn_pre_proj", "gemm", new GemmShape("qkv", bf, t, (h + 2 * kv) * d / p, e));
            yield return S("attn_post_proj", "gemm", new GemmShape("o", bf, t, e, h * d / p));
            yield return S("mlp_up_proj", "gemm", new GemmShape("gate_up", bf, t, 2 * f / p, e));
            yield return S("mlp_down_proj", "gemm", new GemmShape("down", bf, t, e, f / p));
            yield return S("mlp_act", "elementwise",
                new ElementwiseShape("swiglu", bf, ElementwiseOpKind.SwiGlu, 2 * t * f / p) { Rows = t });
            yield return S("input_layernorm", "elementwise",
                new ElementwiseShape("norm", bf, ElementwiseOpKind.RmsNorm, t * e) { Rows = t });
            yield return S("post_attention_layernorm", "elementwise",
                new ElementwiseShape("norm", bf, ElementwiseOpKind.RmsNorm, t * e) { Rows = t });
            yield return S("attn_rope", "elementwise",
                new ElementwiseShape("rope", bf, ElementwiseOpKind.Rope, t * (h + kv) * d / p) { Rows = t });
            yield return S("add", "elementwise", new ElementwiseShape("add", bf, ElementwiseOpKind.Add, t * e));
        }
    }

    private static IEnumerable<KernelSample> ReadCollectives(string path)
    {
        var rows = Rows(path, out var header);
        int Col(string name) => Array.IndexOf(header, name);
        foreach (var r in rows)
        {
            string op = r[Col("collective")];
            int n = (int)L(r[Col("num_workers")]), perNode = (int)L(r[Col("devices_per_node")]);
            long bytes = L(r[Col("size_bytes")]);
            var kind = op == "send_recv" ? CollectiveOpKind.SendRecv : CollectiveOpKind.AllReduce;
            yield return new KernelSample($"{n}x{perNode}", op, op, 0, n,
                new CollectiveShape(op, DataType.Fp16, kind, bytes, n, perNode), D(r[Col("median_ms")]) * 1e-3);
        }
    }

    private static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
