namespace HardwareEmulator.Kernels.Tests;

public sealed class BFloat16Tests
{
    [Fact]
    public void Rounds_ties_to_even()
    {
        // halfway, 1.0 is even
        Assert.Equal(1f, BFloat16.Round(1f + MathF.ScaleB(1, -8)));
        // halfway, rounds up to even
        Assert.Equal(1f + MathF.ScaleB(1, -6), BFloat16.Round(1f + 3 * MathF.ScaleB(1, -8)));
        Assert.Equal(1f + MathF.ScaleB(1, -7), BFloat16.Round(1f + MathF.ScaleB(1, -8) + MathF.ScaleB(1, -20)));
        Assert.Equal(0x3F80, BFloat16.ToBits(1f));
    }

    [Fact]
    public void Keeps_nan_infinities_negative_zero_and_overflows_to_infinity()
    {
        Assert.True(float.IsNaN(BFloat16.Round(float.NaN)));
        // low-bit NaN stays NaN
        Assert.True(float.IsNaN(BFloat16.FromBits(BFloat16.ToBits(BitConverter.UInt32BitsToSingle(0x7F800001)))));
        Assert.Equal(float.PositiveInfinity, BFloat16.Round(float.PositiveInfinity));
        Assert.Equal(float.NegativeInfinity, BFloat16.Round(float.NegativeInfinity));
        Assert.Equal(float.PositiveInfinity, BFloat16.Round(float.MaxValue));
        Assert.Equal(0x8000, BFloat16.ToBits(-0f));
        // subnormal rounds down
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x00010000),
            BFloat16.Round(BitConverter.UInt32BitsToSingle(0x00018000 - 1)));
        // subnormal tie → even
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x00020000),
            BFloat16.Round(BitConverter.UInt32BitsToSingle(0x00018000)));
    }

    [Fact]
    public void Vector_rounding_matches_the_scalar_reference_on_random_bit_patterns()
    {
        var rng = new Random(11);
        foreach (int n in new[] { 1, 7, 33, 1000 })
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            x[0] = float.NaN;
            var fast = new float[n];
            var slow = new float[n];
            BFloat16.Round(x, fast);
            BFloat16.RoundScalar(x, slow);
            for (int i = 0; i < n; i++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(slow[i]), BitConverter.SingleToUInt32Bits(fast[i]));
        }
    }
}
