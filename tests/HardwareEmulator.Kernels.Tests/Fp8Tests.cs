namespace HardwareEmulator.Kernels.Tests;

public sealed class Fp8Tests
{
    private static readonly float PositiveNaN = BitConverter.UInt32BitsToSingle(0x7FC00000);

    public static TheoryData<Fp8Format> Formats => new() { Fp8Format.E4M3, Fp8Format.E5M2 };

    [Theory, MemberData(nameof(Formats))]
    public void Every_code_round_trips_through_decode_and_encode(Fp8Format format)
    {
        for (int code = 0; code < 256; code++)
        {
            float v = Fp8.Decode((byte)code, format);
            byte back = Fp8.Encode(v, format, saturate: false);
            if (float.IsNaN(v)) Assert.Equal(code & 0x80 | 0x7F, back); // every NaN encodes to the canonical S.1111111
            else Assert.Equal(code, back);
        }
    }

    [Fact]
    public void E4M3_decode_table_matches_the_ocp_layout()
    {
        Assert.Equal(448f, Fp8.Decode(0x7E, Fp8Format.E4M3));
        Assert.Equal(-448f, Fp8.Decode(0xFE, Fp8Format.E4M3));
        Assert.True(float.IsNaN(Fp8.Decode(0x7F, Fp8Format.E4M3)));
        Assert.True(float.IsNaN(Fp8.Decode(0xFF, Fp8Format.E4M3)));
        Assert.Equal(MathF.ScaleB(1, -9), Fp8.Decode(0x01, Fp8Format.E4M3));  // smallest subnormal
        Assert.Equal(MathF.ScaleB(7, -9), Fp8.Decode(0x07, Fp8Format.E4M3));  // largest subnormal
        Assert.Equal(MathF.ScaleB(1, -6), Fp8.Decode(0x08, Fp8Format.E4M3));  // smallest normal
        Assert.Equal(1f, Fp8.Decode(0x38, Fp8Format.E4M3));
        Assert.Equal(240f, Fp8.Decode(0x77, Fp8Format.E4M3)); // 1.875·2^7: exponent 15 is a normal exponent
        int nans = 0, infs = 0;
        foreach (float v in Fp8.DecodeTable(Fp8Format.E4M3))
        {
            nans += float.IsNaN(v) ? 1 : 0;
            infs += float.IsInfinity(v) ? 1 : 0;
        }
        Assert.Equal(2, nans);
        Assert.Equal(0, infs);
    }

    [Fact]
    public void E5M2_decode_table_has_ieee_infinities_and_nans()
    {
        Assert.Equal(57344f, Fp8.Decode(0x7B, Fp8Format.E5M2));
        Assert.Equal(float.PositiveInfinity, Fp8.Decode(0x7C, Fp8Format.E5M2));
        Assert.Equal(float.NegativeInfinity, Fp8.Decode(0xFC, Fp8Format.E5M2));
        foreach (byte c in new byte[] { 0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF })
            Assert.True(float.IsNaN(Fp8.Decode(c, Fp8Format.E5M2)));
        Assert.Equal(MathF.ScaleB(1, -16), Fp8.Decode(0x01, Fp8Format.E5M2));
        Assert.Equal(MathF.ScaleB(1, -14), Fp8.Decode(0x04, Fp8Format.E5M2));
        Assert.Equal(1f, Fp8.Decode(0x3C, Fp8Format.E5M2));
    }

    [Theory, MemberData(nameof(Formats))]
    public void Negative_zero_keeps_its_sign(Fp8Format format)
    {
        Assert.Equal(0x80, Fp8.Encode(-0f, format));
        Assert.Equal(0x00, Fp8.Encode(0f, format));
        Assert.True(float.IsNegative(Fp8.Decode(0x80, format)) && Fp8.Decode(0x80, format) == 0f);
        Assert.Equal(0x80, Fp8.Encode(-1e-30f, format)); // underflow keeps the sign
    }

    [Fact]
    public void E4M3_rounds_ties_to_even()
    {
        // 1.0625 → 1 (mantissa 000)
        Assert.Equal(1f, Fp8.Decode(Fp8.Encode(1f + 1f / 16, Fp8Format.E4M3), Fp8Format.E4M3));
        // 1.1875 → 1.25 (010)
        Assert.Equal(1.25f, Fp8.Decode(Fp8.Encode(1f + 3f / 16, Fp8Format.E4M3), Fp8Format.E4M3));
        // just above the tie
        Assert.Equal(1.125f, Fp8.Decode(Fp8.Encode(1.0626f, Fp8Format.E4M3), Fp8Format.E4M3));
        // half the smallest subnormal → 0
        Assert.Equal(0x00, Fp8.Encode(MathF.ScaleB(1, -10), Fp8Format.E4M3));
        // 1.5 subnormal ulps → 2
        Assert.Equal(0x02, Fp8.Encode(MathF.ScaleB(3, -10), Fp8Format.E4M3));
        Assert.Equal(0x01, Fp8.Encode(MathF.ScaleB(1, -10) * 1.0001f, Fp8Format.E4M3));
        // 7.5 ulps: carries into the first normal
        Assert.Equal(0x08, Fp8.Encode(MathF.ScaleB(15, -10), Fp8Format.E4M3));
    }

    [Fact]
    public void E4M3_overflow_saturates_or_becomes_nan()
    {
        // tie between 448 and the NaN slot → even (448)
        Assert.Equal(0x7E, Fp8.Encode(464f, Fp8Format.E4M3, saturate: false));
        Assert.Equal(0x7F, Fp8.Encode(464.1f, Fp8Format.E4M3, saturate: false));
        Assert.Equal(0x7E, Fp8.Encode(464.1f, Fp8Format.E4M3));
        Assert.Equal(0xFE, Fp8.Encode(-1e6f, Fp8Format.E4M3));
        Assert.Equal(0x7E, Fp8.Encode(float.PositiveInfinity, Fp8Format.E4M3));
        Assert.Equal(0x7F, Fp8.Encode(float.PositiveInfinity, Fp8Format.E4M3, saturate: false));
        Assert.Equal(0x7F, Fp8.Encode(PositiveNaN, Fp8Format.E4M3));
        Assert.Equal(0xFF, Fp8.Encode(BitConverter.UInt32BitsToSingle(0xFFC00000), Fp8Format.E4M3, saturate: false));
    }

    [Fact]
    public void E5M2_overflow_saturates_or_becomes_infinity()
    {
        Assert.Equal(0x7B, Fp8.Encode(61439f, Fp8Format.E5M2, saturate: false));
        // tie: 57344 has an odd mantissa → up to ∞
        Assert.Equal(0x7C, Fp8.Encode(61440f, Fp8Format.E5M2, saturate: false));
        Assert.Equal(0x7B, Fp8.Encode(61440f, Fp8Format.E5M2));
        Assert.Equal(0xFC, Fp8.Encode(float.NegativeInfinity, Fp8Format.E5M2, saturate: false));
        Assert.Equal(0xFB, Fp8.Encode(float.NegativeInfinity, Fp8Format.E5M2));
        Assert.True(float.IsNaN(Fp8.Decode(Fp8.Encode(float.NaN, Fp8Format.E5M2), Fp8Format.E5M2)));
        Assert.Equal(0x00, Fp8.Encode(MathF.ScaleB(1, -17), Fp8Format.E5M2));
        Assert.Equal(0x02, Fp8.Encode(MathF.ScaleB(3, -17), Fp8Format.E5M2));
    }

    /// <summary>Independent oracle: the nearest finite code by exhaustive search, ties to the even code.</summary>
    [Theory, MemberData(nameof(Formats))]
    public void Encode_picks_the_nearest_code_with_ties_to_even(Fp8Format format)
    {
        var table = Fp8.DecodeTable(format).ToArray();
        float max = Fp8.MaxFinite(format);
        var rng = new Random(7);
        var samples = new List<float>();
        for (int i = 0; i < 20000; i++)
            samples.Add((float)(Math.Pow(2, rng.NextDouble() * 40 - 24) * (rng.Next(2) == 0 ? -1 : 1)));
        for (int c = 0; c < 127; c++) // every midpoint between neighbouring positive codes: exact ties
            if (!float.IsNaN(table[c + 1]) && !float.IsInfinity(table[c + 1]))
            {
                samples.Add((table[c] + table[c + 1]) / 2);
            }
        foreach (float x in samples)
        {
            if (MathF.Abs(x) > max) continue;
            int best = -1; double bestErr = double.MaxValue;
            for (int c = 0; c < 256; c++)
            {
                if (!float.IsFinite(table[c])
                    || (table[c] == 0 && float.IsNegative(table[c]) != float.IsNegative(x))) continue;
                double err = Math.Abs((double)table[c] - x);
                if (err < bestErr || err == bestErr && (c & 1) == 0 && (best & 1) == 1) { best = c; bestErr = err; }
            }
            Assert.True(best == Fp8.Encode(x, format),
                $"{x:R}: expected code 0x{best:X2} ({table[best]}), got 0x{Fp8.Encode(x, format):X2}");
        }
    }

    [Fact]
    public void Span_encode_and_decode_match_the_scalar_calls()
    {
        var x = TestData.Normal(1000, 3, 100f);
        var codes = new byte[x.Length];
        var back = new float[x.Length];
        Fp8.Encode(x, codes, Fp8Format.E4M3);
        Fp8.Decode(codes, back, Fp8Format.E4M3);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Fp8.Decode(Fp8.Encode(x[i], Fp8Format.E4M3), Fp8Format.E4M3), back[i]);
        Assert.Equal("codes", Assert.Throws<KernelArgumentException>(() =>
            Fp8.Encode(x, new byte[3], Fp8Format.E4M3)).ParamName);
    }
}

public sealed class Fp8VectorTests
{
    [Theory]
    [InlineData(Fp8Format.E4M3, true)]
    [InlineData(Fp8Format.E4M3, false)]
    [InlineData(Fp8Format.E5M2, true)]
    [InlineData(Fp8Format.E5M2, false)]
    public void Span_encode_is_bit_identical_to_scalar_encode_on_random_bit_patterns(Fp8Format format, bool saturate)
    {
        var rng = new Random(21);
        var x = new float[100_003];
        for (int i = 0; i < x.Length; i++)
            x[i] = i % 2 == 0
                ? BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)) // anything, NaN and ∞ included
                : (float)(Math.Pow(2, rng.NextDouble() * 44 - 28) * (rng.Next(2) == 0 ? -1 : 1)); // the format's range
        float[] specials =
        {
            0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 464f, 464.0001f, 61440f, 61439.996f, -448f,
            MathF.ScaleB(3, -10), MathF.ScaleB(1, -10), MathF.ScaleB(15, -10),
        };
        specials.CopyTo(x, 1);
        var codes = new byte[x.Length];
        Fp8.Encode(x, codes, format, saturate);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Fp8.Encode(x[i], format, saturate) == codes[i],
                $"x[{i}] = {x[i]:R}: scalar 0x{Fp8.Encode(x[i], format, saturate):X2}, span 0x{codes[i]:X2}");
        var decoded = new float[x.Length];
        Fp8.Decode(codes, decoded, format);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(Fp8.Decode(codes[i], format)),
                BitConverter.SingleToUInt32Bits(decoded[i]));
    }
}
