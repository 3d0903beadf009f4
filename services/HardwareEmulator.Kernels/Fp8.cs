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
/// NaN. NaN keeps its sign bit (0x7F or 0xFF; note .NET's <c>float.NaN</c> has the sign bit set). <c>saturate: false</c> follows ml_dtypes / PyTorch casts: overflow becomes NaN in E4M3 (it has no infinity)
/// and ±infinity in E5M2. "Overflow" means rounding would pass the largest finite code, so 464 (halfway between 448
/// and the NaN slot 480) rounds down to 448 by ties-to-even, and 61440 in E5M2 rounds up to infinity.
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

    public static void Decode(ReadOnlySpan<byte> codes, Span<float> values, Fp8Format format)
    {
        Check.Length(values.Length, codes.Length, nameof(values), "same length as codes");
        var table = Table(format);
        for (int i = 0; i < codes.Length; i++) values[i] = table[codes[i]];
    }

    public static byte Encode(float value, Fp8Format format, bool saturate = true) => format switch
    {
        Fp8Format.E4M3 => EncodeCore(value, mantBits: 3, bias: 7, maxCode: 0x7E, ieeeSpecials: false, saturate),
        Fp8Format.E5M2 => EncodeCore(value, mantBits: 2, bias: 15, maxCode: 0x7B, ieeeSpecials: true, saturate),
        _ => throw new KernelArgumentException("format", $"unknown FP8 format {(int)format}"),
    };

    public static void Encode(ReadOnlySpan<float> values, Span<byte> codes, Fp8Format format, bool saturate = true)
    {
        Check.Length(codes.Length, values.Length, nameof(codes), "same length as values");
        _ = Table(format);
        for (int i = 0; i < values.Length; i++) codes[i] = Encode(values[i], format, saturate);
    }

    /// <summary>
    /// Magnitude code = ((max(e, emin) + bias − 1) « m) + n, where n = round-half-even(|x| / 2^(max(e, emin) − m)).
    /// For subnormals the first term is 0 and n is the mantissa; a mantissa carry (n = 2^(m+1)) lands on the next
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
        double n = Math.Round(Math.ScaleB((double)a, mantBits - e), MidpointRounding.ToEven); // exact: power-of-two scaling
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
