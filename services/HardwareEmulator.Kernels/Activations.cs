namespace HardwareEmulator.Kernels;

/// <summary>Which GELU: the exact erf form (BERT, PyTorch default) or the tanh approximation (GPT-2,
/// "gelu_new").</summary>
public enum GeluForm { Tanh = 0, Erf = 1 }

/// <summary>Elementwise activations on flat buffers (any shape; element count must match).</summary>
public static class Activations
{
    private const float SqrtTwoOverPi = 0.7978845608028654f; // √(2/π), GELU tanh form (Hendrycks & Gimpel 2016)
    private const float GeluCubic = 0.044715f;
    private const float InvSqrt2 = 0.7071067811865476f;

    /// <summary>SiLU / swish: y = x · sigmoid(x).</summary>
    public static unsafe void Silu(ReadOnlySpan<float> x, Span<float> y, int threads = 0)
    {
        Check.Length(y.Length, x.Length, nameof(y), "same length as x");
        if (!Simd.Has256) { SiluScalar(x, y); return; }
        fixed (float* px = x) fixed (float* py = y)
            Chunks((nint)px, 0, (nint)py, x.Length, Check.Threads(threads), Op.Silu, GeluForm.Tanh);
    }

    /// <summary>GELU in the chosen form; the erf form uses Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7).</summary>
    public static unsafe void Gelu(ReadOnlySpan<float> x, Span<float> y, GeluForm form = GeluForm.Tanh, int threads = 0)
    {
        Check.Length(y.Length, x.Length, nameof(y), "same length as x");
        CheckForm(form);
        if (!Simd.Has256) { GeluScalar(x, y, form); return; }
        fixed (float* px = x) fixed (float* py = y)
            Chunks((nint)px, 0, (nint)py, x.Length, Check.Threads(threads), Op.Gelu, form);
    }

    /// <summary>SwiGLU (Shazeer 2020): y = silu(gate) · up, the gated FFN of Llama/DeepSeek.</summary>
    public static unsafe void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y, int threads = 0)
    {
        Check.Length(up.Length, gate.Length, nameof(up), "same length as gate");
        Check.Length(y.Length, gate.Length, nameof(y), "same length as gate");
        if (!Simd.Has256) { SwiGluScalar(gate, up, y); return; }
        fixed (float* pg = gate) fixed (float* pu = up) fixed (float* py = y)
            Chunks((nint)pg, (nint)pu, (nint)py, gate.Length, Check.Threads(threads), Op.SwiGlu, GeluForm.Tanh);
    }

    public static void SiluScalar(ReadOnlySpan<float> x, Span<float> y)
    {
        Check.Length(y.Length, x.Length, nameof(y), "same length as x");
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] / (1.0 + Math.Exp(-(double)x[i])));
    }

    public static void GeluScalar(ReadOnlySpan<float> x, Span<float> y, GeluForm form = GeluForm.Tanh)
    {
        Check.Length(y.Length, x.Length, nameof(y), "same length as x");
        CheckForm(form);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = form == GeluForm.Tanh
                ? (float)(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))))
                : (float)(0.5 * v * (1 + Erf(v / Math.Sqrt(2))));
        }
    }

    public static void SwiGluScalar(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        Check.Length(up.Length, gate.Length, nameof(up), "same length as gate");
        Check.Length(y.Length, gate.Length, nameof(y), "same length as gate");
        for (int i = 0; i < gate.Length; i++)
            y[i] = (float)(gate[i] / (1.0 + Math.Exp(-(double)gate[i])) * up[i]);
    }

    /// <summary>erf in double for the references: Taylor series below 3, the asymptotic erfc series above
    /// (error &lt; 1e-9, far below float resolution).</summary>
    internal static double Erf(double x)
    {
        double a = Math.Abs(x), r;
        if (a < 3)
        {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 80 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double x2 = a * a, t = 1, s = 1;
            for (int n = 1; n < 12; n++) { t *= -(2 * n - 1) / (2 * x2); s += t; }
            r = 1 - Math.Exp(-x2) / (a * Math.Sqrt(Math.PI)) * s;
        }
        return Math.CopySign(r, x);
    }

    private enum Op { Silu, Gelu, SwiGlu }

    private static void CheckForm(GeluForm form)
    {
        if (form is not (GeluForm.Tanh or GeluForm.Erf))
            throw new KernelArgumentException("form", $"unknown GELU form {(int)form}");
    }

    private static unsafe void Chunks(nint x, nint u, nint y, int length, int threads, Op op, GeluForm form)
    {
        const int Chunk = 16 * 1024;
        int chunks = (length + Chunk - 1) / Chunk;
        if (chunks == 0) return;
        Simd.ParallelRanges(chunks, Chunk, threads, (lo, hi) =>
        {
            int start = lo * Chunk, end = (int)Math.Min((long)hi * Chunk, length);
            if (Simd.Has512)
                Apply<V512>((float*)x + start, (float*)u + (u == 0 ? 0 : start), (float*)y + start, end - start, op,
                    form);
            else
                Apply<V256>((float*)x + start, (float*)u + (u == 0 ? 0 : start), (float*)y + start, end - start, op,
                    form);
        });
    }

    private static unsafe void Apply<TV>(float* x, float* u, float* y, int n, Op op, GeluForm form)
        where TV : struct, IVec<TV>
    {
        int w = TV.Count, i = 0;
        var one = TV.Splat(1f);
        switch (op)
        {
            case Op.Silu:
                for (; i + w <= n; i += w) { var v = TV.Load(x + i); TV.Store(Sigmoid<TV>(v, v, one), y + i); }
                for (; i < n; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
                break;
            case Op.SwiGlu:
                for (; i + w <= n; i += w)
                {
                    var v = TV.Load(x + i);
                    TV.Store(TV.Mul(Sigmoid<TV>(v, v, one), TV.Load(u + i)), y + i);
                }
                for (; i < n; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i])) * u[i];
                break;
            case Op.Gelu when form == GeluForm.Tanh:
                // 0.5·x·(1 + tanh(z)) = x · sigmoid(2z)
                var c2 = TV.Splat(2 * SqrtTwoOverPi);
                var c3 = TV.Splat(2 * SqrtTwoOverPi * GeluCubic);
                for (; i + w <= n; i += w)
                {
                    var v = TV.Load(x + i);
                    var z2 = TV.Mul(v, TV.Fma(TV.Mul(v, v), c3, c2));
                    TV.Store(Sigmoid<TV>(v, z2, one), y + i);
                }
                for (; i < n; i++)
                {
                    float v = x[i], z2 = v * (2 * SqrtTwoOverPi + 2 * SqrtTwoOverPi * GeluCubic * v * v);
                    y[i] = v / (1f + MathF.Exp(-z2));
                }
                break;
            default:
                var half = TV.Splat(0.5f);
                var s = TV.Splat(InvSqrt2);
                for (; i + w <= n; i += w)
                {
                    var v = TV.Load(x + i);
                    TV.Store(TV.Mul(TV.Mul(half, v), TV.Add(one, ErfVec<TV>(TV.Mul(v, s)))), y + i);
                }
                for (; i < n; i++) y[i] = 0.5f * x[i] * (1f + ErfAs(x[i] * InvSqrt2));
                break;
        }
    }

    /// <summary>x / (1 + exp(−z)); for z → −∞ exp overflows to ∞ and the quotient is a correctly signed
    /// 0.</summary>
    private static TV Sigmoid<TV>(TV x, TV z, TV one) where TV : struct, IVec<TV> =>
        TV.Div(x, TV.Add(one, TV.Exp(TV.Sub(TV.Splat(0f), z))));

    // Abramowitz & Stegun 7.1.26: erf(z) = 1 − (a1 t + … + a5 t⁵) e^(−z²), t = 1/(1 + p z), z ≥ 0.
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f,
        A5 = 1.061405429f;

    private static TV ErfVec<TV>(TV z) where TV : struct, IVec<TV>
    {
        var a = TV.Abs(z);
        var one = TV.Splat(1f);
        var t = TV.Div(one, TV.Fma(TV.Splat(P), a, one));
        var poly = TV.Fma(TV.Fma(TV.Fma(TV.Fma(TV.Splat(A5), t, TV.Splat(A4)), t, TV.Splat(A3)), t, TV.Splat(A2)), t,
            TV.Splat(A1));
        poly = TV.Mul(poly, t);
        var e = TV.Exp(TV.Sub(TV.Splat(0f), TV.Mul(a, a)));
        return TV.CopySign(TV.Sub(one, TV.Mul(poly, e)), z);
    }

    private static float ErfAs(float z)
    {
        float a = MathF.Abs(z), t = 1f / (1f + P * a);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        return MathF.CopySign(1f - poly * MathF.Exp(-a * a), z);
    }
}
