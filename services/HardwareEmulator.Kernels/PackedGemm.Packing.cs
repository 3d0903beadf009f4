using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HardwareEmulator.Kernels;

/// <summary>
/// Packing of A and B panels into the micro-kernel's layout (BF16 rounding and FP8 decoding on the way).
/// </summary>
internal static unsafe partial class PackedGemm
{
    /// <summary>A[mc×kc] → micro-panels of MR rows, k-major (panel[p·MR + r] = A[r, p]); rows past mc are
    /// zero.</summary>
    internal static void PackA(Operand a, int mc, int kc, float* dst)
    {
        int mr = MR;
        float** rows = stackalloc float*[32];
        for (int ir = 0; ir < mc; ir += mr)
        {
            float* panel = dst + (long)ir * kc;
            int count = Math.Min(mr, mc - ir);
            if (a.Kind == SourceKind.Float && count == mr)
            {
                // k-outer: each step writes MR contiguous floats, reading MR row streams.
                for (int r = 0; r < mr; r++) rows[r] = (float*)a.Ptr + (long)(ir + r) * a.Ld;
                if (mr == 12) PackA12(rows, kc, panel);
                else for (int p = 0; p < kc; p++) for (int r = 0; r < mr; r++) panel[p * mr + r] = rows[r][p];
                continue;
            }
            for (int r = 0; r < mr; r++)
            {
                float* d = panel + r;
                if (r >= count) { for (int p = 0; p < kc; p++) d[p * mr] = 0f; continue; }
                long row = (long)(ir + r) * a.Ld;
                switch (a.Kind)
                {
                    case SourceKind.Float:
                    { float* s = (float*)a.Ptr + row; for (int p = 0; p < kc; p++) d[p * mr] = s[p]; break; }
                    case SourceKind.Bf16:
                    {
                        float* s = (float*)a.Ptr + row;
                        for (int p = 0; p < kc; p++) d[p * mr] = BFloat16.Round(s[p]);
                        break;
                    }
                    default:
                    {
                        byte* s = (byte*)a.Ptr + row; float* t = a.Table;
                        for (int p = 0; p < kc; p++) d[p * mr] = t[s[p]];
                        break;
                    }
                }
            }
        }
    }

    /// <summary>12 rows → k-major panel. AVX: 8 columns of 4 rows at a time through in-lane 4×4 transposes
    /// (unpack + shuffle, as _MM_TRANSPOSE4_PS), about a third of the instructions of element-wise copying.</summary>
    private static void PackA12(float** rows, int kc, float* d)
    {
        int p = 0;
        if (Avx.IsSupported)
        {
            for (; p + 8 <= kc; p += 8)
            {
                float* o = d + p * 12;
                for (int g = 0; g < 3; g++)
                {
                    var x0 = Avx.LoadVector256(rows[4 * g] + p);
                    var x1 = Avx.LoadVector256(rows[4 * g + 1] + p);
                    var x2 = Avx.LoadVector256(rows[4 * g + 2] + p);
                    var x3 = Avx.LoadVector256(rows[4 * g + 3] + p);
                    var t0 = Avx.UnpackLow(x0, x1);
                    var t1 = Avx.UnpackLow(x2, x3);
                    var t2 = Avx.UnpackHigh(x0, x1);
                    var t3 = Avx.UnpackHigh(x2, x3);
                    var p0 = Avx.Shuffle(t0, t1, 0x44);
                    var p1 = Avx.Shuffle(t0, t1, 0xEE);
                    var p2 = Avx.Shuffle(t2, t3, 0x44);
                    var p3 = Avx.Shuffle(t2, t3, 0xEE);
                    float* og = o + 4 * g;
                    p0.GetLower().Store(og); p1.GetLower().Store(og + 12); p2.GetLower().Store(og + 24);
                    p3.GetLower().Store(og + 36);
                    p0.GetUpper().Store(og + 48); p1.GetUpper().Store(og + 60); p2.GetUpper().Store(og + 72);
                    p3.GetUpper().Store(og + 84);
                }
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < 12; r++) d[p * 12 + r] = rows[r][p];
    }

    /// <summary>B[kc×nc] → micro-panels of NR columns (panel[p·NR + j] = B[p, j]); columns past nc are zero.
    /// Walks B row by row so the reads stream through memory.</summary>
    internal static void PackB(Operand b, int kc, int nc, float* dst)
    {
        int nr = NR;
        int full = nc / nr * nr;
        for (int p = 0; p < kc; p++)
        {
            long off = (long)p * b.Ld;
            float* d = dst + (long)p * nr;
            switch (b.Kind)
            {
                case SourceKind.Float:
                {
                    float* s = (float*)b.Ptr + off;
                    if (nr == 32)
                        for (int jr = 0; jr < full; jr += 32)
                        {
                            float* o = d + (long)jr * kc;
                            Vector512.Load(s + jr).Store(o);
                            Vector512.Load(s + jr + 16).Store(o + 16);
                        }
                    else
                        for (int jr = 0; jr < full; jr += nr)
                            Buffer.MemoryCopy(s + jr, d + (long)jr * kc, nr * 4, nr * 4);
                    break;
                }
                case SourceKind.Bf16:
                {
                    float* s = (float*)b.Ptr + off;
                    for (int jr = 0; jr < full; jr += nr)
                        for (int j = 0; j < nr; j++) d[(long)jr * kc + j] = BFloat16.Round(s[jr + j]);
                    break;
                }
                default:
                {
                    byte* s = (byte*)b.Ptr + off; float* t = b.Table;
                    for (int jr = 0; jr < full; jr += nr)
                        for (int j = 0; j < nr; j++) d[(long)jr * kc + j] = t[s[jr + j]];
                    break;
                }
            }
            if (full < nc)
            {
                float* e = d + (long)full * kc;
                for (int j = 0; j < nr; j++) e[j] = full + j < nc ? Load(b, off + full + j) : 0f;
            }
        }
    }

    private static float Load(Operand o, long index) => o.Kind switch
    {
        SourceKind.Float => ((float*)o.Ptr)[index],
        SourceKind.Bf16 => BFloat16.Round(((float*)o.Ptr)[index]),
        _ => o.Table[((byte*)o.Ptr)[index]],
    };
}
