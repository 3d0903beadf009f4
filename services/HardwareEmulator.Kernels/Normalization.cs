namespace HardwareEmulator.Kernels;

/// <summary>Row normalizations over the last axis of a row-major [rows, cols] buffer.</summary>
public static class Normalization
{
    /// <summary>RMSNorm (Zhang &amp; Sennrich 2019, as in Llama/DeepSeek): y = x / sqrt(mean(x²) + eps) · weight.
    /// An empty <paramref name="weight"/> means all ones.</summary>
    public static unsafe void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y,
        int rows, int cols, float eps = 1e-6f, int threads = 0)
    {
        Validate(x, weight, default, y, rows, cols, eps, "weight", "");
        int t = Check.Threads(threads);
        float[]? ones = weight.IsEmpty ? Ones(cols) : null;
        if (!Simd.Has256) { RmsNormScalar(x, weight, y, rows, cols, eps); return; }
        fixed (float* px = x) fixed (float* pw = weight) fixed (float* pone = ones) fixed (float* py = y)
        {
            nint ix = (nint)px, iw = (nint)(pw != null ? pw : pone), iy = (nint)py;
            Simd.ParallelRanges(rows, 3L * cols, t, (lo, hi) =>
            {
                for (int r = lo; r < hi; r++)
                {
                    float* xr = (float*)ix + (long)r * cols, yr = (float*)iy + (long)r * cols;
                    if (Simd.Has512) RmsRow<V512>(xr, (float*)iw, yr, cols, eps);
                    else RmsRow<V256>(xr, (float*)iw, yr, cols, eps);
                }
            });
        }
    }

    /// <summary>LayerNorm (Ba et al. 2016): y = (x − mean) / sqrt(var + eps) · gamma + beta, biased variance.
    /// Empty <paramref name="gamma"/> means ones, empty <paramref name="beta"/> zeros.</summary>
    public static unsafe void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, int rows, int cols, float eps = 1e-5f, int threads = 0)
    {
        Validate(x, gamma, beta, y, rows, cols, eps, "gamma", "beta");
        int t = Check.Threads(threads);
        if (!Simd.Has256) { LayerNormScalar(x, gamma, beta, y, rows, cols, eps); return; }
        float[]? ones = gamma.IsEmpty ? Ones(cols) : null;
        float[]? zeros = beta.IsEmpty ? new float[cols] : null;
        fixed (float* px = x) fixed (float* pg = gamma) fixed (float* pb = beta) fixed (float* py = y)
        fixed (float* pone = ones) fixed (float* pzero = zeros)
        {
            nint ix = (nint)px, ig = (nint)(pg != null ? pg : pone), ib = (nint)(pb != null ? pb : pzero),
                iy = (nint)py;
            Simd.ParallelRanges(rows, 4L * cols, t, (lo, hi) =>
            {
                for (int r = lo; r < hi; r++)
                {
                    float* xr = (float*)ix + (long)r * cols, yr = (float*)iy + (long)r * cols;
                    if (Simd.Has512) LayerRow<V512>(xr, (float*)ig, (float*)ib, yr, cols, eps);
                    else LayerRow<V256>(xr, (float*)ig, (float*)ib, yr, cols, eps);
                }
            });
        }
    }

    /// <summary>Scalar reference for <see cref="RmsNorm"/> (double accumulation).</summary>
    public static void RmsNormScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y,
        int rows, int cols, float eps = 1e-6f)
    {
        Validate(x, weight, default, y, rows, cols, eps, "weight", "");
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < cols; i++) { double v = x[r * cols + i]; ss += v * v; }
            double inv = 1.0 / Math.Sqrt(ss / cols + eps);
            for (int i = 0; i < cols; i++)
                y[r * cols + i] = (float)(x[r * cols + i] * inv * (weight.IsEmpty ? 1.0 : weight[i]));
        }
    }

    /// <summary>Scalar reference for <see cref="LayerNorm"/> (double accumulation, two passes).</summary>
    public static void LayerNormScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, int rows, int cols, float eps = 1e-5f)
    {
        Validate(x, gamma, beta, y, rows, cols, eps, "gamma", "beta");
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < cols; i++) mean += x[r * cols + i];
            mean /= cols;
            for (int i = 0; i < cols; i++) { double d = x[r * cols + i] - mean; var += d * d; }
            double inv = 1.0 / Math.Sqrt(var / cols + eps);
            for (int i = 0; i < cols; i++)
                y[r * cols + i] = (float)((x[r * cols + i] - mean) * inv * (gamma.IsEmpty ? 1.0 : gamma[i])
                                          + (beta.IsEmpty ? 0.0 : beta[i]));
        }
    }

    private static unsafe void RmsRow<TV>(float* x, float* w, float* y, int n, float eps) where TV : struct, IVec<TV>
    {
        int step = TV.Count, i = 0;
        var acc = TV.Splat(0f);
        for (; i + step <= n; i += step) { var v = TV.Load(x + i); acc = TV.Fma(v, v, acc); }
        float ss = TV.Sum(acc);
        for (; i < n; i++) ss += x[i] * x[i];
        float inv = 1f / MathF.Sqrt(ss / n + eps);
        var vinv = TV.Splat(inv);
        for (i = 0; i + step <= n; i += step) TV.Store(TV.Mul(TV.Mul(TV.Load(x + i), vinv), TV.Load(w + i)), y + i);
        for (; i < n; i++) y[i] = x[i] * inv * w[i];
    }

    private static unsafe void LayerRow<TV>(float* x, float* g, float* b, float* y, int n, float eps)
        where TV : struct, IVec<TV>
    {
        int step = TV.Count, i = 0;
        var acc = TV.Splat(0f);
        for (; i + step <= n; i += step) acc = TV.Add(acc, TV.Load(x + i));
        float sum = TV.Sum(acc);
        for (; i < n; i++) sum += x[i];
        float mean = sum / n;
        var vmean = TV.Splat(mean);
        acc = TV.Splat(0f);
        for (i = 0; i + step <= n; i += step) { var d = TV.Sub(TV.Load(x + i), vmean); acc = TV.Fma(d, d, acc); }
        float ss = TV.Sum(acc);
        for (; i < n; i++) { float d = x[i] - mean; ss += d * d; }
        float inv = 1f / MathF.Sqrt(ss / n + eps);
        var vinv = TV.Splat(inv);
        for (i = 0; i + step <= n; i += step)
        {
            var d = TV.Mul(TV.Sub(TV.Load(x + i), vmean), vinv);
            TV.Store(TV.Fma(d, TV.Load(g + i), TV.Load(b + i)), y + i);
        }
        for (; i < n; i++) y[i] = (x[i] - mean) * inv * g[i] + b[i];
    }

    private static float[] Ones(int n) { var a = new float[n]; Array.Fill(a, 1f); return a; }

    private static void Validate(ReadOnlySpan<float> x, ReadOnlySpan<float> w1, ReadOnlySpan<float> w2, Span<float> y,
        int rows, int cols, float eps, string w1Name, string w2Name)
    {
        Check.Positive(rows, nameof(rows));
        Check.Positive(cols, nameof(cols));
        Check.Length(x.Length, (long)rows * cols, nameof(x), $"rows×cols = {rows}×{cols}");
        Check.Length(y.Length, (long)rows * cols, nameof(y), $"rows×cols = {rows}×{cols}");
        if (!w1.IsEmpty) Check.Length(w1.Length, cols, w1Name, $"cols = {cols}");
        if (!w2.IsEmpty) Check.Length(w2.Length, cols, w2Name, $"cols = {cols}");
        if (!float.IsFinite(eps) || eps < 0)
            throw new KernelArgumentException(nameof(eps), $"must be finite and ≥ 0, got {eps}");
    }
}
