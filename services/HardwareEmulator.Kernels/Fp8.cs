using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HardwareEmulator.Kernels;

/// <summary>The two OCP 8-bit floating-point formats (OCP OFP8 spec v1.0).</summary>
public enum Fp8Format
{
    /// <summary>E4M3 "fn": bias 7, no infinity, max ±448, NaN = S.1111.111 (0x7F/0xFF).</summary>
    E4M3 = 0,

    /// <summary>E5M2: bias 15, IEEE-style ±infinity (S.11111.00) and NaN, max ±57344.</summary>
    E5M2 = 1,
}

/// <summary>
/// Bit-exact FP8 conversions. Encoding rounds to nearest, ties to even, with gradual underflow into subnormals.
/// Overflow policy (a parameter): <c>saturate: true</c> (default, what quantization uses) follows PTX
/// <c>cvt.rn.satfinite</c>: finite values beyond the largest code and ±infinity become ±max (448 or 57344), NaN stays
/// NaN. NaN keeps its sign bit (0x7F or 0xFF; note .NET's <c>float.NaN</c> has the sign bit set). <c>saturate:
/// false</c> follows ml_dtypes / PyTorch casts: overflow becomes NaN in E4M3 (it has no infinity) and ±infinity in
/// E5M2. "Overflow" means rounding would pass the largest finite code, so 464 (halfway between 448 and the NaN slot
/// 480) rounds down to 448 by ties-to-even, and 61440 in E5M2 rounds up to infinity.
/// </summary>
public static class Fp8
{
    public const float E4M3Max = 448f;
    public const float E5M2Max = 57344f;

    private static readonly float[] E4M3Table = BuildTable(expBits: 4, mantBits: 3, bias: 7, ieeeSpecials: false);
    private static readonly float[] E5M2Table = BuildTable(expBits: 5, mantBits: 2, bias: 15, ieeeSpecials: true);

    /// <summary>Largest finite magnitude of the format (448 or 57344).</summary>
    public static float MaxFinite(Fp8Format format) => format == Fp8Format.E4M3 ? E4M3Max : E5M2Max;

    /// <summary>All 256 decoded values, indexed by code.</summary>
    public static ReadOnlySpan<float> DecodeTable(Fp8Format format) => Table(format);

    internal static float[] Table(Fp8Format format) => format switch
    {
        Fp8Format.E4M3 => E4M3Table,
        Fp8Format.E5M2 => E5M2Table,
        _ => throw new KernelArgumentException("format", $"unknown FP8 format {(int)format}"),
    };

    public static float Decode(byte code, Fp8Format format) => Table(format)[code];

    public static unsafe void Decode(ReadOnlySpan<byte> codes, Span<float> values, Fp8Format format)
    {
        Check.Length(values.Length, codes.Length, nameof(values), "same length as codes");
        fixed (byte* c = codes) fixed (float* v = values) fixed (float* t = Table(format))
            DecodeScaled(c, v, codes.Length, 1f, t);
    }

    /// <summary>values[i] = table[codes[i]]·scale; AVX2 gathers 8 table entries at a time (.NET has no AVX-512
    /// gather).</summary>
    internal static unsafe void DecodeScaled(byte* codes, float* values, int n, float scale, float* table)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            var vs = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8)
            {
                var idx = Avx2.ConvertToVector256Int32(codes + i);
                (Avx2.GatherVector256(table, idx, 4) * vs).Store(values + i);
            }
        }
        for (; i < n; i++) values[i] = table[codes[i]] * scale;
    }

    public static byte Encode(float value, Fp8Format format, bool saturate = true) => format switch
    {
        Fp8Format.E4M3 => EncodeCore(value, mantBits: 3, bias: 7, maxCode: 0x7E, ieeeSpecials: false, saturate),
        Fp8Format.E5M2 => EncodeCore(value, mantBits: 2, bias: 15, maxCode: 0x7B, ieeeSpecials: true, saturate),
        _ => throw new KernelArgumentException("format", $"unknown FP8 format {(int)format}"),
    };

    /// <summary>Encodes a span (AVX-512 fast path, bit-identical to the scalar
    /// <see cref="Encode(float, Fp8Format, bool)"/>).</summary>
    public static unsafe void Encode(ReadOnlySpan<float> values, Span<byte> codes, Fp8Format format,
        bool saturate = true)
    {
        Check.Length(codes.Length, values.Length, nameof(codes), "same length as values");
        _ = Table(format);
        fixed (float* x = values) fixed (byte* c = codes) EncodeScaled(x, c, values.Length, 1f, format, saturate);
    }

    /// <summary>codes[i] = Encode(x[i] / scale) for a contiguous run; the vector path needs AVX-512.</summary>
    internal static unsafe void EncodeScaled(float* x, byte* codes, int n, float scale, Fp8Format format,
        bool saturate = true)
    {
        int i = 0;
        if (Avx512F.IsSupported && Avx512BW.IsSupported)
        {
            var vs = Vector512.Create(scale);
            for (; i + 16 <= n; i += 16)
            {
                var v = scale == 1f ? Vector512.Load(x + i) : Vector512.Load(x + i) / vs;
                Avx512F.ConvertToVector128Byte(EncodeVector(v, format, saturate)).Store(codes + i);
            }
        }
        for (; i < n; i++) codes[i] = Encode(scale == 1f ? x[i] : x[i] / scale, format, saturate);
    }

    /// <summary>
    /// 16 encodes at once. Normal range: round the float32 significand to m bits with the integer RNE trick
    /// (add 2^(22−m) − 1 + lsb, truncate; a carry moves into the exponent by itself), then re-bias the exponent.
    /// Subnormal range (|x| &lt; 2^emin): |x|·2^(m−emin) is exact and Round is ties-to-even; that integer is the
    /// code.
    /// </summary>
    internal static Vector512<int> EncodeVector(Vector512<float> x, Fp8Format format, bool saturate)
    {
        int m = format == Fp8Format.E4M3 ? 3 : 2, bias = format == Fp8Format.E4M3 ? 7 : 15;
        int maxCode = format == Fp8Format.E4M3 ? 0x7E : 0x7B;
        int emin = 1 - bias, shift = 23 - m;
        var bits = x.AsInt32();
        var sign = Vector512.ShiftRightLogical(bits, 24) & Vector512.Create(0x80);
        var abs = bits & Vector512.Create(0x7FFFFFFF);
        var lsb = Vector512.ShiftRightLogical(abs, shift) & Vector512.Create(1);
        var rounded = abs + Vector512.Create((1 << (shift - 1)) - 1) + lsb;
        var exp = Vector512.ShiftRightLogical(rounded, 23) - Vector512.Create(127 - bias);
        var mant = Vector512.ShiftRightLogical(rounded, shift) & Vector512.Create((1 << m) - 1);
        var normal = Vector512.ShiftLeft(exp, m) | mant;
        var af = abs.AsSingle();
        var sub = Vector512.ConvertToInt32(Vector512.Round(af * Vector512.Create(MathF.ScaleB(1, m - emin))));
        var isSub = Vector512.LessThan(af, Vector512.Create(MathF.ScaleB(1, emin))).AsInt32();
        var code = Vector512.ConditionalSelect(isSub, sub, normal);
        var overflowCode = Vector512.Create(saturate ? maxCode : format == Fp8Format.E5M2 ? 0x7C : 0x7F);
        code = Vector512.ConditionalSelect(Vector512.GreaterThan(code, Vector512.Create(maxCode)), overflowCode, code);
        // NaN
        code = Vector512.ConditionalSelect(Vector512.GreaterThan(abs, Vector512.Create(0x7F800000)),
            Vector512.Create(0x7F), code);
        return code | sign;
    }

    /// <summary>
    /// Magnitude code = ((max(e, emin) + bias − 1) « m) + n, where n = round-half-even(|x| / 2^(max(e, emin) −
    /// m)). For subnormals the first term is 0 and n is the mantissa; a mantissa carry (n = 2^(m+1)) lands on the next
    /// exponent by itself, so one comparison with the largest finite code detects overflow.
    /// </summary>
    private static byte EncodeCore(float value, int mantBits, int bias, int maxCode, bool ieeeSpecials, bool saturate)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        byte sign = (byte)((bits >> 24) & 0x80);
        if (float.IsNaN(value)) return (byte)(sign | 0x7F);
        float a = MathF.Abs(value);
        if (a == 0f) return sign;
        byte overflow = (byte)(sign | (saturate ? maxCode : ieeeSpecials ? 0x7C : 0x7F));
        if (float.IsInfinity(a)) return overflow;

        int emin = 1 - bias;
        int e = Math.Max(MathF.ILogB(a), emin);
        // exact: power-of-two scaling
        double n = Math.Round(Math.ScaleB((double)a, mantBits - e), MidpointRounding.ToEven);
        long code = ((long)(e + bias - 1) << mantBits) + (long)n;
        return code > maxCode ? overflow : (byte)(sign | code);
    }

    private static float[] BuildTable(int expBits, int mantBits, int bias, bool ieeeSpecials)
    {
        var table = new float[256];
        int expMax = (1 << expBits) - 1, mantMask = (1 << mantBits) - 1;
        for (int code = 0; code < 256; code++)
        {
            bool negative = (code & 0x80) != 0;
            int e = (code >> mantBits) & expMax, f = code & mantMask;
            double v;
            if (ieeeSpecials && e == expMax) v = f == 0 ? double.PositiveInfinity : double.NaN;
            else if (!ieeeSpecials && e == expMax && f == mantMask) v = double.NaN;
            else if (e == 0) v = Math.ScaleB(f, 1 - bias - mantBits);
            else v = Math.ScaleB((1 << mantBits) + f, e - bias - mantBits);
            // NaN gets an explicit sign bit (casting double.NaN would set it on every NaN); -(+0) = -0 for code 0x80.
            table[code] = double.IsNaN(v) ? BitConverter.UInt32BitsToSingle(negative ? 0xFFC00000u : 0x7FC00000u)
                : negative ? -(float)v : (float)v;
        }
        return table;
    }
}
