namespace HardwareEmulator.Kernels;

/// <summary>
/// Scaled-dot-product attention, softmax(q·kᵀ·scale)·v, on [batch, heads, seq, dim] row-major buffers (PyTorch
/// SDPA layout): q [batch, heads, qLen, headDim], k [batch, kvHeads, kvLen, headDim], v [batch, kvHeads, kvLen, vDim],
/// output [batch, heads, qLen, vDim]. Grouped-query attention: query head h reads kv head h / (heads / kvHeads).
/// Causal masking aligns the last query with the last key (FlashAttention 2.1+ / decode convention): query i sees
/// keys j ≤ i + kvLen − qLen. The kernel is tiled over keys with an online softmax (Milakov &amp; Gimelshein 2018,
/// FlashAttention), so it keeps one tile of scores and one output row per query: memory is linear in sequence length.
/// </summary>
public static class Attention
{
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
        // Work items: (batch, kv head, block of up to QueryBlock query rows of that kv head's group). Rows of one
        // GQA group share each transposed K tile and each V tile.
        int group = heads / kvHeads;
        long groupRows = (long)group * qLen;
        int blocksPerGroup = (int)((groupRows + QueryBlock - 1) / QueryBlock);
        int items = batch * kvHeads * blocksPerGroup;
        fixed (float* pq = q) fixed (float* pk = k) fixed (float* pv = v) fixed (float* po = output)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, io = (nint)po;
            var shape = new Shape(heads, kvHeads, qLen, kvLen, headDim, vDim, causal, s);
            Simd.ParallelRanges(items, 2L * QueryBlock * kvLen * (headDim + vDim), t, (lo, hi) =>
            {
                int w = 4 * (Simd.Has512 ? 16 : 8);
                var scratch = new float[headDim * w + w + QueryBlock * (vDim + 2)];
                fixed (float* sc = scratch)
                {
                    for (int item = lo; item < hi; item++)
                    {
                        int blk = item % blocksPerGroup, bk = item / blocksPerGroup, kvh = bk % kvHeads,
                            b = bk / kvHeads;
                        int r0 = blk * QueryBlock, rn = (int)Math.Min(QueryBlock, groupRows - r0);
                        if (Simd.Has512)
                            Block<V512>((float*)iq, (float*)ik, (float*)iv, (float*)io, b, kvh, r0, rn, shape, sc);
                        else Block<V256>((float*)iq, (float*)ik, (float*)iv, (float*)io, b, kvh, r0, rn, shape, sc);
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
                        for (int j = 0; j < visible; j++)
                            acc += scores[j] * v[((b * kvHeads + kvh) * kvLen + j) * vDim + d];
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

    private readonly record struct Shape(int Heads, int KvHeads, int QLen, int KvLen, int HeadDim, int VDim,
        bool Causal, float Scale);

    /// <summary>Blocks of at most this many query rows compute scores with direct dot products instead of a transposed
    /// K tile.</summary>
    internal const int DirectRows = 8;

    /// <summary>Query rows per work item: their output rows (QueryBlock × vDim floats) stay in L2 while K/V tiles
    /// pass.</summary>
    internal const int QueryBlock = 64;

    /// <summary>
    /// FlashAttention-style block: for each tile of W = 4 vectors of keys, K is transposed once into Kt[d][W] so each
    /// query row's W scores are broadcast-FMAs over d (no horizontal sums); scores, max and exp are vector ops; then
    /// the row's output is rescaled by exp(m_old − m_new) and p·V accumulated one vector of vDim at a time.
    /// </summary>
    private static unsafe void Block<TV>(float* q, float* k, float* v, float* o, int b, int kvh, int r0, int rn,
        Shape sh, float* scratch) where TV : struct, IVec<TV>
    {
        int w = TV.Count, W = 4 * w, d = sh.HeadDim, dv = sh.VDim;
        int group = sh.Heads / sh.KvHeads;
        float* kt = scratch, sc = kt + (long)d * W, acc = sc + W, mrow = acc + (long)QueryBlock * dv,
            lrow = mrow + QueryBlock;
        float* kBase = k + ((long)b * sh.KvHeads + kvh) * sh.KvLen * d;
        float* vBase = v + ((long)b * sh.KvHeads + kvh) * sh.KvLen * dv;
        int offset = sh.KvLen - sh.QLen;
        int maxVisible = 0;
        for (int r = 0; r < rn; r++)
        {
            int i = (r0 + r) % sh.QLen;
            maxVisible = Math.Max(maxVisible, sh.Causal ? i + offset + 1 : sh.KvLen);
            mrow[r] = float.NegativeInfinity;
            lrow[r] = 0f;
        }
        new Span<float>(acc, rn * dv).Clear();
        var vscale = TV.Splat(sh.Scale);

        // Few rows (decode: one query per head of the group) cannot repay transposing each K tile: dot directly.
        bool direct = rn <= DirectRows;
        for (int j0 = 0; j0 < maxVisible; j0 += W)
        {
            int jn = Math.Min(W, sh.KvLen - j0);
            for (int jj = 0; jj < W && !direct; jj++)
            {
                if (jj < jn)
                {
                    float* kr = kBase + (long)(j0 + jj) * d;
                    for (int x = 0; x < d; x++) kt[x * W + jj] = kr[x];
                }
                else for (int x = 0; x < d; x++) kt[x * W + jj] = 0f;
            }
            for (int r = 0; r < rn; r++)
            {
                int gr = r0 + r, h = kvh * group + gr / sh.QLen, i = gr % sh.QLen;
                int visible = sh.Causal ? i + offset + 1 : sh.KvLen;
                int valid = Math.Min(jn, visible - j0);
                if (valid <= 0) continue;
                float* qr = q + (((long)b * sh.Heads + h) * sh.QLen + i) * d;
                if (direct)
                {
                    for (int jj = 0; jj < valid; jj++) sc[jj] = Dot<TV>(qr, kBase + (long)(j0 + jj) * d, d) * sh.Scale;
                }
                else
                {
                    var s0 = TV.Splat(0f); var s1 = s0; var s2 = s0; var s3 = s0;
                    for (int x = 0; x < d; x++)
                    {
                        var qx = TV.Splat(qr[x]);
                        float* row = kt + x * W;
                        s0 = TV.Fma(qx, TV.Load(row), s0);
                        s1 = TV.Fma(qx, TV.Load(row + w), s1);
                        s2 = TV.Fma(qx, TV.Load(row + 2 * w), s2);
                        s3 = TV.Fma(qx, TV.Load(row + 3 * w), s3);
                    }
                    TV.Store(TV.Mul(s0, vscale), sc);
                    TV.Store(TV.Mul(s1, vscale), sc + w);
                    TV.Store(TV.Mul(s2, vscale), sc + 2 * w);
                    TV.Store(TV.Mul(s3, vscale), sc + 3 * w);
                }
                for (int jj = valid; jj < W; jj++) sc[jj] = float.NegativeInfinity; // masked keys: p = 0
                var tmax = TV.Max(TV.Max(TV.Load(sc), TV.Load(sc + w)),
                    TV.Max(TV.Load(sc + 2 * w), TV.Load(sc + 3 * w)));
                float mOld = mrow[r], mNew = MathF.Max(mOld, TV.MaxAcross(tmax));
                float corr = mOld == float.NegativeInfinity ? 0f : MathF.Exp(mOld - mNew);
                var vm = TV.Splat(mNew);
                var psum = TV.Splat(0f);
                for (int c = 0; c < W; c += w)
                {
                    var p = TV.Exp(TV.Sub(TV.Load(sc + c), vm));
                    TV.Store(p, sc + c);
                    psum = TV.Add(psum, p);
                }
                lrow[r] = lrow[r] * corr + TV.Sum(psum);
                mrow[r] = mNew;
                float* ar = acc + (long)r * dv;
                var vcorr = TV.Splat(corr);
                int e = 0;
                for (; e + w <= dv; e += w)
                {
                    var a = TV.Mul(TV.Load(ar + e), vcorr);
                    float* vp = vBase + (long)j0 * dv + e;
                    for (int jj = 0; jj < valid; jj++, vp += dv) a = TV.Fma(TV.Splat(sc[jj]), TV.Load(vp), a);
                    TV.Store(a, ar + e);
                }
                for (; e < dv; e++)
                {
                    float a = ar[e] * corr;
                    for (int jj = 0; jj < valid; jj++) a += sc[jj] * vBase[(long)(j0 + jj) * dv + e];
                    ar[e] = a;
                }
            }
        }
        for (int r = 0; r < rn; r++)
        {
            int gr = r0 + r, h = kvh * group + gr / sh.QLen, i = gr % sh.QLen;
            float* orow = o + (((long)b * sh.Heads + h) * sh.QLen + i) * dv;
            float inv = 1f / lrow[r];
            for (int e = 0; e < dv; e++) orow[e] = acc[(long)r * dv + e] * inv;
        }
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

    private static float Validate(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> output,
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
            throw new KernelArgumentException(nameof(kvHeads),
                $"heads ({heads}) must be a multiple of kvHeads ({kvHeads})");
        if (causal && qLen > kvLen)
            throw new KernelArgumentException(nameof(qLen),
                $"causal attention needs qLen ≤ kvLen, got {qLen} > {kvLen}");
        if (!float.IsFinite(scale) || scale < 0)
            throw new KernelArgumentException(nameof(scale),
                $"must be finite and positive (0 = 1/√headDim), got {scale}");
        Check.Length(q.Length, (long)batch * heads * qLen * headDim, nameof(q),
            $"batch×heads×qLen×headDim = {batch}×{heads}×{qLen}×{headDim}");
        Check.Length(k.Length, (long)batch * kvHeads * kvLen * headDim, nameof(k),
            $"batch×kvHeads×kvLen×headDim = {batch}×{kvHeads}×{kvLen}×{headDim}");
        Check.Length(v.Length, (long)batch * kvHeads * kvLen * vDim, nameof(v),
            $"batch×kvHeads×kvLen×vDim = {batch}×{kvHeads}×{kvLen}×{vDim}");
        Check.Length(output.Length, (long)batch * heads * qLen * vDim, nameof(output),
            $"batch×heads×qLen×vDim = {batch}×{heads}×{qLen}×{vDim}");
        return scale == 0f ? 1f / MathF.Sqrt(headDim) : scale;
    }
}
