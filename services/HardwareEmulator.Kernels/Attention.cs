namespace HardwareEmulator.Kernels;

/// <summary>
/// Scaled-dot-product attention, softmax(q·kᵀ·scale)·v, on [batch, heads, seq, dim] row-major buffers (PyTorch SDPA
/// layout): q [batch, heads, qLen, headDim], k [batch, kvHeads, kvLen, headDim], v [batch, kvHeads, kvLen, vDim],
/// output [batch, heads, qLen, vDim]. Grouped-query attention: query head h reads kv head h / (heads / kvHeads).
/// Causal masking aligns the last query with the last key (FlashAttention 2.1+ / decode convention): query i sees
/// keys j ≤ i + kvLen − qLen. The kernel is tiled over keys with an online softmax (Milakov &amp; Gimelshein 2018,
/// FlashAttention), so it keeps one tile of scores and one output row per query: memory is linear in sequence length.
/// </summary>
public static class Attention
{
    /// <summary>Keys per tile: 64 scores (256 B) stay in L1 next to the output row.</summary>
    internal const int KvTile = 64;

    public static unsafe void ScaledDotProduct(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> output, int batch, int heads, int kvHeads, int qLen, int kvLen, int headDim, int vDim,
        bool causal, float scale = 0f, int threads = 0)
    {
        float s = Validate(q, k, v, output, batch, heads, kvHeads, qLen, kvLen, headDim, vDim, causal, scale);
        int t = Check.Threads(threads);
        if (!Simd.Has256)
        {
            ScaledDotProductScalar(q, k, v, output, batch, heads, kvHeads, qLen, kvLen, headDim, vDim, causal, scale);
            return;
        }
        int rows = batch * heads * qLen;
        fixed (float* pq = q) fixed (float* pk = k) fixed (float* pv = v) fixed (float* po = output)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, io = (nint)po;
            Simd.ParallelRanges(rows, 2L * kvLen * (headDim + vDim), t, (lo, hi) =>
            {
                var scratch = new float[KvTile + vDim];
                fixed (float* sc = scratch)
                {
                    for (int row = lo; row < hi; row++)
                    {
                        int i = row % qLen, bh = row / qLen, h = bh % heads, b = bh / heads;
                        int kvh = h / (heads / kvHeads);
                        int visible = causal ? i + kvLen - qLen + 1 : kvLen;
                        float* qr = (float*)iq + (long)row * headDim;
                        float* kb = (float*)ik + ((long)b * kvHeads + kvh) * kvLen * headDim;
                        float* vb = (float*)iv + ((long)b * kvHeads + kvh) * kvLen * vDim;
                        float* orow = (float*)io + (long)row * vDim;
                        if (Simd.Has512) Row<V512>(qr, kb, vb, orow, visible, headDim, vDim, s, sc, sc + KvTile);
                        else Row<V256>(qr, kb, vb, orow, visible, headDim, vDim, s, sc, sc + KvTile);
                    }
                }
            });
        }
    }

    /// <summary>Scalar reference: the whole score row in double, plain softmax (memory O(kvLen) per row).</summary>
    public static void ScaledDotProductScalar(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> output, int batch, int heads, int kvHeads, int qLen, int kvLen, int headDim, int vDim,
        bool causal, float scale = 0f)
    {
        double s = Validate(q, k, v, output, batch, heads, kvHeads, qLen, kvLen, headDim, vDim, causal, scale);
        var scores = new double[kvLen];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / (heads / kvHeads);
                for (int i = 0; i < qLen; i++)
                {
                    int visible = causal ? i + kvLen - qLen + 1 : kvLen;
                    int qo = ((b * heads + h) * qLen + i) * headDim;
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < visible; j++)
                    {
                        int ko = ((b * kvHeads + kvh) * kvLen + j) * headDim;
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) dot += (double)q[qo + d] * k[ko + d];
                        scores[j] = dot * s;
                        max = Math.Max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) { scores[j] = Math.Exp(scores[j] - max); sum += scores[j]; }
                    int oo = ((b * heads + h) * qLen + i) * vDim;
                    for (int d = 0; d < vDim; d++)
                    {
                        double acc = 0;
                        for (int j = 0; j < visible; j++) acc += scores[j] * v[((b * kvHeads + kvh) * kvLen + j) * vDim + d];
                        output[oo + d] = (float)(acc / sum);
                    }
                }
            }
    }

    /// <summary>FLOPs of one call: q·kᵀ and p·v over the visible keys (2 per multiply-add).</summary>
    public static double Flops(int batch, int heads, int qLen, int kvLen, int headDim, int vDim, bool causal)
    {
        double pairs = 0;
        for (int i = 0; i < qLen; i++) pairs += causal ? i + kvLen - qLen + 1 : kvLen;
        return 2.0 * batch * heads * pairs * (headDim + vDim);
    }

    private static unsafe void Row<TV>(float* q, float* k, float* v, float* o, int visible, int d, int dv, float scale,
        float* s, float* acc) where TV : struct, IVec<TV>
    {
        float m = float.NegativeInfinity, l = 0f;
        new Span<float>(acc, dv).Clear();
        for (int j0 = 0; j0 < visible; j0 += KvTile)
        {
            int jn = Math.Min(KvTile, visible - j0);
            float tileMax = float.NegativeInfinity;
            for (int j = 0; j < jn; j++)
            {
                s[j] = Dot<TV>(q, k + (long)(j0 + j) * d, d) * scale;
                tileMax = MathF.Max(tileMax, s[j]);
            }
            float mNew = MathF.Max(m, tileMax);
            if (mNew > m && l > 0f)
            {
                float corr = MathF.Exp(m - mNew); // rescale what earlier tiles accumulated against the old max
                l *= corr;
                Scale<TV>(acc, corr, dv);
            }
            m = mNew;
            for (int j = 0; j < jn; j++)
            {
                float p = MathF.Exp(s[j] - m);
                l += p;
                Axpy<TV>(acc, p, v + (long)(j0 + j) * dv, dv);
            }
        }
        float inv = 1f / l;
        for (int i = 0; i < dv; i++) o[i] = acc[i] * inv;
    }

    private static unsafe float Dot<TV>(float* a, float* b, int n) where TV : struct, IVec<TV>
    {
        int w = TV.Count, i = 0;
        var acc0 = TV.Splat(0f); var acc1 = TV.Splat(0f);
        for (; i + 2 * w <= n; i += 2 * w)
        {
            acc0 = TV.Fma(TV.Load(a + i), TV.Load(b + i), acc0);
            acc1 = TV.Fma(TV.Load(a + i + w), TV.Load(b + i + w), acc1);
        }
        for (; i + w <= n; i += w) acc0 = TV.Fma(TV.Load(a + i), TV.Load(b + i), acc0);
        float sum = TV.Sum(TV.Add(acc0, acc1));
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    private static unsafe void Axpy<TV>(float* y, float alpha, float* x, int n) where TV : struct, IVec<TV>
    {
        int w = TV.Count, i = 0;
        var va = TV.Splat(alpha);
        for (; i + w <= n; i += w) TV.Store(TV.Fma(va, TV.Load(x + i), TV.Load(y + i)), y + i);
        for (; i < n; i++) y[i] += alpha * x[i];
    }

    private static unsafe void Scale<TV>(float* y, float alpha, int n) where TV : struct, IVec<TV>
    {
        int w = TV.Count, i = 0;
        var va = TV.Splat(alpha);
        for (; i + w <= n; i += w) TV.Store(TV.Mul(va, TV.Load(y + i)), y + i);
        for (; i < n; i++) y[i] *= alpha;
    }

    private static float Validate(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        int batch, int heads, int kvHeads, int qLen, int kvLen, int headDim, int vDim, bool causal, float scale)
    {
        Check.Positive(batch, nameof(batch));
        Check.Positive(heads, nameof(heads));
        Check.Positive(kvHeads, nameof(kvHeads));
        Check.Positive(qLen, nameof(qLen));
        Check.Positive(kvLen, nameof(kvLen));
        Check.Positive(headDim, nameof(headDim));
        Check.Positive(vDim, nameof(vDim));
        if (heads % kvHeads != 0)
            throw new KernelArgumentException(nameof(kvHeads), $"heads ({heads}) must be a multiple of kvHeads ({kvHeads})");
        if (causal && qLen > kvLen)
            throw new KernelArgumentException(nameof(qLen), $"causal attention needs qLen ≤ kvLen, got {qLen} > {kvLen}");
        if (!float.IsFinite(scale) || scale < 0)
            throw new KernelArgumentException(nameof(scale), $"must be finite and positive (0 = 1/√headDim), got {scale}");
        Check.Length(q.Length, (long)batch * heads * qLen * headDim, nameof(q), $"batch×heads×qLen×headDim = {batch}×{heads}×{qLen}×{headDim}");
        Check.Length(k.Length, (long)batch * kvHeads * kvLen * headDim, nameof(k), $"batch×kvHeads×kvLen×headDim = {batch}×{kvHeads}×{kvLen}×{headDim}");
        Check.Length(v.Length, (long)batch * kvHeads * kvLen * vDim, nameof(v), $"batch×kvHeads×kvLen×vDim = {batch}×{kvHeads}×{kvLen}×{vDim}");
        Check.Length(output.Length, (long)batch * heads * qLen * vDim, nameof(output), $"batch×heads×qLen×vDim = {batch}×{heads}×{qLen}×{vDim}");
        return scale == 0f ? 1f / MathF.Sqrt(headDim) : scale;
    }
}
