namespace HardwareEmulator.Kernels;

/// <summary>
/// Bad input to a kernel (shape mismatch, non-positive dimension, NaN/infinite/non-positive scale).
/// <see cref="ArgumentException.ParamName"/> is the kernel's parameter name (e.g. <c>"k"</c>, <c>"bScales"</c>) and
/// <see cref="Reason"/> the message without the parameter suffix, so a service adapter can map it to its own field
/// path.
/// </summary>
public sealed class KernelArgumentException : ArgumentException
{
    public KernelArgumentException(string parameter, string reason) : base(reason, parameter) => Reason = reason;

    /// <summary>Why the argument was rejected, e.g. "has 5 elements, expected 6 (m×k = 2×3)".</summary>
    public string Reason { get; }
}

/// <summary>Argument checks shared by the kernels; each throws <see cref="KernelArgumentException"/>.</summary>
internal static class Check
{
    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new KernelArgumentException(name, $"must be positive, got {value}");
    }

    public static void NonNegative(int value, string name)
    {
        if (value < 0) throw new KernelArgumentException(name, $"must not be negative, got {value}");
    }

    /// <summary>Checks that a buffer holds exactly the elements its shape implies.</summary>
    public static void Length(int actual, long expected, string name, string shape)
    {
        if (expected > int.MaxValue)
            throw new KernelArgumentException(name,
                $"shape {shape} has {expected} elements, more than one buffer can hold");
        if (actual != expected)
            throw new KernelArgumentException(name, $"has {actual} elements, expected {expected} ({shape})");
    }

    public static void Finite(float value, string name)
    {
        if (!float.IsFinite(value)) throw new KernelArgumentException(name, $"must be finite, got {value}");
    }

    /// <summary>Block scales must be finite and positive: a NaN or zero scale silently poisons a whole block.</summary>
    public static void Scales(ReadOnlySpan<float> scales, string name)
    {
        for (int i = 0; i < scales.Length; i++)
        {
            float s = scales[i];
            if (!float.IsFinite(s) || s <= 0f)
                throw new KernelArgumentException(name, $"{name}[{i}] = {s}: scales must be finite and positive");
        }
    }

    public static void AllFinite(ReadOnlySpan<float> values, string name)
    {
        // Fast scan: a float is non-finite iff its exponent bits are all ones; only on a hit look for the index.
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(values);
            var mask = System.Runtime.Intrinsics.Vector512.Create(0x7F800000u);
            int i = 0;
            bool bad = false;
            for (; i + 16 <= bits.Length && !bad; i += 16)
                bad = System.Runtime.Intrinsics.Vector512.EqualsAny(
                    System.Runtime.Intrinsics.Vector512.Create(bits.Slice(i, 16)) & mask, mask);
            for (; i < bits.Length && !bad; i++) bad = (bits[i] & 0x7F800000u) == 0x7F800000u;
            if (!bad) return;
        }
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new KernelArgumentException(name, $"{name}[{i}] = {values[i]}: values must be finite");
    }

    public static int Threads(int threads)
    {
        if (threads < 0)
            throw new KernelArgumentException("threads", $"must be 0 (all cores) or positive, got {threads}");
        return threads == 0 ? Environment.ProcessorCount : threads;
    }
}
