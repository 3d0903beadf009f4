namespace Platform.Fuzz.Tests;

/// <summary>Fuzz payloads: random bytes, and mutations of valid encoded requests.</summary>
public sealed class Mutator(Random random, int maxBytes = Mutator.DefaultMaxBytes)
{
    public const int DefaultMaxBytes = 64 * 1024;

    /// <summary>
    /// Random bytes, lengths skewed short: a quarter under 16 bytes, a quarter under 128, a quarter under 2 KiB, the
    /// rest up to <c>maxBytes</c> (64 KiB unless given).
    /// </summary>
    public byte[] RandomBytes()
    {
        int length = random.Next(4) switch
        {
            0 => random.Next(0, 16),
            1 => random.Next(16, 128),
            2 => random.Next(128, 2048),
            _ => random.Next(2048, Math.Max(2049, maxBytes)),
        };
        var b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    /// <summary>
    /// <paramref name="sample"/> with one to four random edits; <paramref name="other"/> for splicing.
    /// </summary>
    public byte[] Mutate(byte[] sample, byte[] other)
    {
        var b = new List<byte>(sample);
        int edits = 1 + random.Next(4);
        for (int i = 0; i < edits; i++)
        {
            switch (random.Next(7))
            {
                case 0 when b.Count > 0: // bit flip
                    int at = random.Next(b.Count);
                    b[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when b.Count > 0: // truncation
                    int keep = random.Next(b.Count);
                    b.RemoveRange(keep, b.Count - keep);
                    break;
                case 2 when b.Count > 0: // duplication of a slice
                    int from = random.Next(b.Count), len = random.Next(1, b.Count - from + 1);
                    b.InsertRange(random.Next(b.Count + 1), b.GetRange(from, len));
                    break;
                case 3: // splice with another request
                    int cut = random.Next(b.Count + 1), cutOther = random.Next(other.Length + 1);
                    b.RemoveRange(cut, b.Count - cut);
                    b.AddRange(other.AsSpan(cutOther).ToArray());
                    break;
                case 4: // varint edit: a new varint (often huge) in place of a random byte
                    int pos = random.Next(b.Count + 1);
                    if (pos < b.Count) b.RemoveAt(pos);
                    b.InsertRange(pos, Varint(InterestingNumber()));
                    break;
                case 5: // a length-delimited field whose length prefix claims much more than follows
                    b.InsertRange(random.Next(b.Count + 1),
                        [(byte)((random.Next(1, 16) << 3) | 2), .. Varint(InterestingNumber())]);
                    break;
                default: // random byte
                    if (b.Count > 0) b[random.Next(b.Count)] = (byte)random.Next(256);
                    break;
            }
        }
        return [.. b];
    }

    private ulong InterestingNumber() => random.Next(8) switch
    {
        0 => ulong.MaxValue,
        1 => int.MaxValue,
        2 => 0x8000_0000_0000_0000,
        3 => uint.MaxValue,
        4 => 0,
        5 => 1,
        6 => (ulong)random.NextInt64(),
        _ => (ulong)random.Next(1 << 20),
    };

    private static byte[] Varint(ulong v)
    {
        var b = new List<byte>(10);
        do
        {
            byte next = (byte)(v & 0x7F);
            v >>= 7;
            b.Add(v != 0 ? (byte)(next | 0x80) : next);
        } while (v != 0);
        return [.. b];
    }
}
