namespace HardwareEmulator.Kernels;

/// <summary>Rotary position embedding (RoPE, Su et al. 2021) on [tokens, heads, headDim] row-major buffers.</summary>
public static class Rotary
{
    /// <summary>
    /// Rotates each head's first <paramref name="rotaryDim"/> dimensions (0 = all; DeepSeek MLA rotates 64 of 192)
    /// by angle position · theta^(−2i/rotaryDim) for pair i. Pairs are (i, i + rotaryDim/2) — the "rotate_half"
    /// layout of Llama/NeoX in Hugging Face — or (2i, 2i+1) when <paramref name="interleaved"/> (GPT-J, Meta's
    /// original Llama). Dimensions past rotaryDim are copied. In-place use (x and y the same buffer) is allowed.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens, int heads,
        int headDim, float theta = 10000f, int rotaryDim = 0, bool interleaved = false, int threads = 0)
    {
        int rd = Validate(x, y, positions, tokens, heads, headDim, theta, rotaryDim);
        int half = rd / 2;
        var inv = InverseFrequencies(half, rd, theta);
        var cos = new float[half];
        var sin = new float[half];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = positions[t] * inv[i];
                cos[i] = (float)Math.Cos(angle);
                sin[i] = (float)Math.Sin(angle);
            }
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                RotateHead(x.Slice(o, headDim), y.Slice(o, headDim), cos, sin, half, interleaved);
            }
        }
    }

    /// <summary>Scalar reference: angles and products in double, per element.</summary>
    public static void ApplyScalar(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens,
        int heads, int headDim, float theta = 10000f, int rotaryDim = 0, bool interleaved = false)
    {
        int rd = Validate(x, y, positions, tokens, heads, headDim, theta, rotaryDim);
        int half = rd / 2;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                var src = x.Slice(o, headDim).ToArray();
                for (int i = 0; i < half; i++)
                {
                    double angle = positions[t] * Math.Pow(theta, -2.0 * i / rd);
                    int i1 = interleaved ? 2 * i : i, i2 = interleaved ? 2 * i + 1 : i + half;
                    double a = src[i1], b = src[i2];
                    y[o + i1] = (float)(a * Math.Cos(angle) - b * Math.Sin(angle));
                    y[o + i2] = (float)(b * Math.Cos(angle) + a * Math.Sin(angle));
                }
                for (int i = rd; i < headDim; i++) y[o + i] = src[i];
            }
    }

    private static double[] InverseFrequencies(int half, int rd, float theta)
    {
        var inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = Math.Pow(theta, -2.0 * i / rd);
        return inv;
    }

    private static void RotateHead(ReadOnlySpan<float> x, Span<float> y, float[] cos, float[] sin, int half,
        bool interleaved)
    {
        if (interleaved)
        {
            for (int i = 0; i < half; i++)
            {
                float a = x[2 * i], b = x[2 * i + 1];
                y[2 * i] = a * cos[i] - b * sin[i];
                y[2 * i + 1] = b * cos[i] + a * sin[i];
            }
        }
        else
        {
            // Contiguous halves: the JIT vectorizes nothing here, so use Vector spans explicitly.
            var x1 = x[..half]; var x2 = x.Slice(half, half);
            var y1 = y[..half]; var y2 = y.Slice(half, half);
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated && half >= System.Numerics.Vector<float>.Count)
            {
                int w = System.Numerics.Vector<float>.Count;
                for (; i + w <= half; i += w)
                {
                    var a = new System.Numerics.Vector<float>(x1[i..]);
                    var b = new System.Numerics.Vector<float>(x2[i..]);
                    var c = new System.Numerics.Vector<float>(cos, i);
                    var s = new System.Numerics.Vector<float>(sin, i);
                    (a * c - b * s).CopyTo(y1[i..]);
                    (b * c + a * s).CopyTo(y2[i..]);
                }
            }
            for (; i < half; i++)
            {
                float a = x1[i], b = x2[i];
                y1[i] = a * cos[i] - b * sin[i];
                y2[i] = b * cos[i] + a * sin[i];
            }
        }
        int rd = 2 * half;
        if (!Unsafe.AreSame(x, y)) x[rd..].CopyTo(y[rd..]);
    }

    private static int Validate(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens,
        int heads, int headDim, float theta, int rotaryDim)
    {
        Check.Positive(tokens, nameof(tokens));
        Check.Positive(heads, nameof(heads));
        Check.Positive(headDim, nameof(headDim));
        Check.NonNegative(rotaryDim, nameof(rotaryDim));
        int rd = rotaryDim == 0 ? headDim : rotaryDim;
        if (rd > headDim || rd % 2 != 0)
            throw new KernelArgumentException(nameof(rotaryDim), $"must be even and ≤ headDim ({headDim}), got {rd}");
        if (!float.IsFinite(theta) || theta <= 1f)
            throw new KernelArgumentException(nameof(theta), $"must be finite and > 1, got {theta}");
        long n = (long)tokens * heads * headDim;
        string shape = $"tokens×heads×headDim = {tokens}×{heads}×{headDim}";
        Check.Length(x.Length, n, nameof(x), shape);
        Check.Length(y.Length, n, nameof(y), shape);
        Check.Length(positions.Length, tokens, nameof(positions), $"tokens = {tokens}");
        for (int i = 0; i < positions.Length; i++)
            if (positions[i] < 0)
                throw new KernelArgumentException(nameof(positions), $"positions[{i}] = {positions[i]} is negative");
        return rd;
    }

    private static class Unsafe
    {
        public static bool AreSame(ReadOnlySpan<float> a, Span<float> b) =>
            a.Length == b.Length && System.Runtime.CompilerServices.Unsafe.AreSame(
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a),
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference((ReadOnlySpan<float>)b));
    }
}
