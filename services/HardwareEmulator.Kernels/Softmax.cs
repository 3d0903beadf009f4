namespace HardwareEmulator.Kernels;

/// <summary>Numerically stable softmax over the last axis of a row-major [rows, cols] buffer.</summary>
public static class Softmax
{
    /// <summary>y[r, :] = exp(x[r, :] − max) / Σ exp(x[r, :] − max). Vectorized, rows split over
    /// threads.</summary>
    public static unsafe void Rows(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, int threads = 0)
    {
        Validate(x, y, rows, cols);
        int t = Check.Threads(threads);
        if (!Simd.Has256) { RowsScalar(x, y, rows, cols); return; }
        fixed (float* px = x) fixed (float* py = y)
        {
            nint ix = (nint)px, iy = (nint)py;
            Simd.ParallelRanges(rows, 4L * cols, t, (lo, hi) =>
            {
                for (int r = lo; r < hi; r++)
                {
                    float* xr = (float*)ix + (long)r * cols, yr = (float*)iy + (long)r * cols;
                    if (Simd.Has512) Row<V512>(xr, yr, cols); else Row<V256>(xr, yr, cols);
                }
            });
        }
    }

    /// <summary>Scalar reference (double accumulation).</summary>
    public static void RowsScalar(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        Validate(x, y, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            foreach (float v in xr) max = MathF.Max(max, v);
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += Math.Exp((double)xr[i] - max);
            for (int i = 0; i < cols; i++) yr[i] = (float)(Math.Exp((double)xr[i] - max) / sum);
        }
    }

    internal static unsafe void Row<TV>(float* x, float* y, int n) where TV : struct, IVec<TV>
    {
        int w = TV.Count, i = 0;
        float max = float.NegativeInfinity;
        if (n >= w)
        {
            var vmax = TV.Load(x);
            for (i = w; i + w <= n; i += w) vmax = TV.Max(vmax, TV.Load(x + i));
            max = TV.MaxAcross(vmax);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);

        var vm = TV.Splat(max);
        var vsum = TV.Splat(0f);
        for (i = 0; i + w <= n; i += w)
        {
            var e = TV.Exp(TV.Sub(TV.Load(x + i), vm));
            TV.Store(e, y + i);
            vsum = TV.Add(vsum, e);
        }
        float sum = TV.Sum(vsum);
        for (; i < n; i++) { float e = MathF.Exp(x[i] - max); y[i] = e; sum += e; }

        float inv = 1f / sum;
        var vinv = TV.Splat(inv);
        for (i = 0; i + w <= n; i += w) TV.Store(TV.Mul(TV.Load(y + i), vinv), y + i);
        for (; i < n; i++) y[i] *= inv;
    }

    private static void Validate(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        Check.Positive(rows, nameof(rows));
        Check.Positive(cols, nameof(cols));
        Check.Length(x.Length, (long)rows * cols, nameof(x), $"rows×cols = {rows}×{cols}");
        Check.Length(y.Length, (long)rows * cols, nameof(y), $"rows×cols = {rows}×{cols}");
    }
}
