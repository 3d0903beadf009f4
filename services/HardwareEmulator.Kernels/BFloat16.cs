using System.Runtime.Intrinsics;

namespace HardwareEmulator.Kernels;

/// <summary>
/// bfloat16 = the top 16 bits of an IEEE float32, rounded to nearest with ties to even (as PyTorch and the
/// hardware converters do). NaN stays NaN (quieted, sign kept); values that round past the largest bfloat16
/// become ±infinity, as IEEE rounding requires.
/// </summary>
public static class BFloat16
{
    public static ushort ToBits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        bits += 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }

    public static float FromBits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The float32 value of <paramref name="value"/> rounded to bfloat16.</summary>
    public static float Round(float value) => FromBits(ToBits(value));

    /// <summary>Rounds every element to bfloat16 (vectorized; <see cref="RoundScalar"/> is the reference).</summary>
    public static unsafe void Round(ReadOnlySpan<float> values, Span<float> rounded)
    {
        Check.Length(rounded.Length, values.Length, nameof(rounded), "same length as values");
        int i = 0;
        fixed (float* src = values) fixed (float* dst = rounded)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; i + 16 <= values.Length; i += 16) Vector512.Store(Round(Vector512.Load(src + i)), dst + i);
            else if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= values.Length; i += 8) Vector256.Store(Round(Vector256.Load(src + i)), dst + i);
        }
        for (; i < values.Length; i++) rounded[i] = Round(values[i]);
    }

    public static void RoundScalar(ReadOnlySpan<float> values, Span<float> rounded)
    {
        Check.Length(rounded.Length, values.Length, nameof(rounded), "same length as values");
        for (int i = 0; i < values.Length; i++) rounded[i] = Round(values[i]);
    }

    internal static Vector512<float> Round(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var lsb = Vector512.ShiftRightLogical(bits, 16) & Vector512.Create(1u);
        var r = (bits + Vector512.Create(0x7FFFu) + lsb) & Vector512.Create(0xFFFF0000u);
        var nan = (bits | Vector512.Create(0x00400000u)) & Vector512.Create(0xFFFF0000u);
        return Vector512.ConditionalSelect(Vector512.IsNaN(x).AsUInt32(), nan, r).AsSingle();
    }

    internal static Vector256<float> Round(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var lsb = Vector256.ShiftRightLogical(bits, 16) & Vector256.Create(1u);
        var r = (bits + Vector256.Create(0x7FFFu) + lsb) & Vector256.Create(0xFFFF0000u);
        var nan = (bits | Vector256.Create(0x00400000u)) & Vector256.Create(0xFFFF0000u);
        return Vector256.ConditionalSelect(Vector256.IsNaN(x).AsUInt32(), nan, r).AsSingle();
    }
}
