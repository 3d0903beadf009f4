using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HardwareEmulator.Kernels;

/// <summary>
/// Goto/BLIS GEMM, C = A·B, row-major. Five loops around a register-blocked micro-kernel:
/// <code>
/// for ic in M by MC        A block  (MC×KC)  packed once per (ic, pc)      → L3
///   for pc in K by KC
///     pack A[ic.., pc..] into MR-row micro-panels (kc×MR, k-major)
///     for jc in N by NC      B block (KC×NC) packed into NR-column micro-panels → L2
///       for ir in MC by MR     A micro-panel (MR×KC = 18 KiB)                  → L1
///         for jr in NC by NR     micro-kernel MR×NR over kc, B micro-panel streamed from L2
/// </code>
/// This is BLIS's skx loop nest with the roles of A and B swapped (C row-major = Cᵀ column-major), so B is the
/// vector operand (NR = 32 = two zmm) and A the broadcast operand (MR = 12). The micro-kernel computes a full tile
/// from zero-padded panels; edge tiles go through a scratch tile. Sources: plain float, float rounded to BF16 while
/// packing, or FP8 codes decoded while packing (their block scales are applied by the micro-kernel every KC = 128).
/// </summary>
internal static unsafe partial class PackedGemm
{
    // Micro-tile: 12×32 on AVX-512 (24 zmm accumulators + 2 B vectors + broadcasts of the 32 zmm registers);
    // 6×16 on AVX2 (12 of 16 ymm).
    internal static readonly int MR = Simd.Has512 ? 12 : 6;
    internal static readonly int NR = Simd.Has512 ? 32 : 16;

    /// <summary>Depth of a packed block. A micro-panel MR×KC×4 B = 18 KiB stays in the 48 KiB L1d (Zen 5) while the
    /// B panels stream past it; BLIS skx uses 384 too.</summary>
    internal const int KC = 384;

    /// <summary>Columns of a packed B block: KC×NC×4 B = 720 KiB of the 1 MiB L2 (multiple of NR = 32 and
    /// 16).</summary>
    internal const int NC = 480;

    /// <summary>Rows of a packed A block: MC×KC×4 B = 4.5 MiB in L3 (a multiple of MR = 12 and 6).</summary>
    internal const int MC = 3072;

    /// <summary>FP8 partial sums are promoted to FP32 (scaled and added to C) every 128 elements of K
    /// (DeepSeek-V3).</summary>
    internal const int Fp8KC = Quantization.BlockSize;

    internal enum SourceKind { Float, Bf16, Fp8 }

    /// <summary>A row-major operand: float* (Float/Bf16) or byte* FP8 codes with their decode table.</summary>
    internal readonly struct Operand(void* ptr, int ld, SourceKind kind, float* table = null)
    {
        public readonly void* Ptr = ptr;
        public readonly int Ld = ld;
        public readonly SourceKind Kind = kind;
        public readonly float* Table = table;

        public Operand At(int row, int col)
        {
            long offset = (long)row * Ld + col;
            return Kind == SourceKind.Fp8
                ? new Operand((byte*)Ptr + offset, Ld, Kind, Table)
                : new Operand((float*)Ptr + offset, Ld, Kind, Table);
        }
    }

    /// <summary>FP8 block scales: A [m, ⌈k/128⌉], B [⌈k/128⌉, ⌈n/128⌉]; ColBase = absolute column of C's
    /// first column.</summary>
    internal readonly struct BlockScales(float* a, int ldA, float* b, int ldB, int colBase)
    {
        public readonly float* A = a;
        public readonly int LdA = ldA;
        public readonly float* B = b;
        public readonly int LdB = ldB;
        public readonly int ColBase = colBase;
        public BlockScales At(int row, int col) => new(A + (long)row * LdA, LdA, B, LdB, ColBase + col);
    }

    /// <summary>C[m×n] = A[m×k]·B[k×n], split over <paramref name="threads"/> with a static partition: contiguous
    /// row ranges (multiples of MR), or column ranges (multiples of NR) when m is small. Each thread runs the whole
    /// serial algorithm on its slice with its own packed buffers, so threads never synchronize.</summary>
    public static void Run(Operand a, Operand b, float* c, int ldc, int m, int n, int k, int threads,
        BlockScales? scales)
    {
        // Each thread should get at least ~4 MFLOP, else the hand-off costs more than it saves.
        long flops = 2L * m * n * k;
        int t = (int)Math.Clamp(flops / 4_000_000, 1, threads);
        // Prefer row slices: each thread then packs only its own rows of A (a scalar transpose) and copies B panels
        // (a streaming copy); column slices would make every thread pack all of A. Columns only when rows are few.
        bool splitN = m < threads * MR * 8 && n > m;
        int unit = splitN ? NR : MR, extent = splitN ? n : m;
        int units = (extent + unit - 1) / unit;
        t = Math.Min(t, units);
        if (t <= 1) { Serial(a, b, c, ldc, m, n, k, scales); return; }

        nint ia = (nint)a.Ptr, ib = (nint)b.Ptr, ic = (nint)c;
        var (lda, ldb, ka, kb) = (a.Ld, b.Ld, a.Kind, b.Kind);
        nint ta = (nint)a.Table, tb = (nint)b.Table;
        // Static partition over pool threads (their per-thread pack buffers persist between calls); part p always
        // gets the same contiguous slice, and the calling thread runs one part itself.
        Parallel.For(0, t, new ParallelOptions { MaxDegreeOfParallelism = t }, p =>
        {
            int lo = (int)((long)units * p / t) * unit, hi = Math.Min(extent, (int)((long)units * (p + 1) / t) * unit);
            if (hi <= lo) return;
            var A = new Operand((void*)ia, lda, ka, (float*)ta);
            var B = new Operand((void*)ib, ldb, kb, (float*)tb);
            if (splitN)
                Serial(A, B.At(0, lo), (float*)ic + lo, ldc, m, hi - lo, k, scales?.At(0, lo));
            else
                Serial(A.At(lo, 0), B, (float*)ic + (long)lo * ldc, ldc, hi - lo, n, k, scales?.At(lo, 0));
        });
    }

    private static void Serial(Operand a, Operand b, float* c, int ldc, int m, int n, int k, BlockScales? scales)
    {
        int mr = MR, nr = NR;
        // Even splits instead of a full block plus a sliver: n = 512 on one thread is one 512-wide block, not 480 + 32
        // (a 32-wide block would reload every A micro-panel for a single B panel). FP8 keeps K blocks of exactly 128.
        int kcMax = scales.HasValue ? Fp8KC : EvenSplit(k, KC, 16);
        int ncMax = EvenSplit(n, NC, nr);
        int mcMax = Math.Min(MC, RoundUp(m, mr));
        var buffers = PackBuffers.For((long)mcMax * kcMax, (long)ncMax * kcMax, mr * nr, mr);
        float* apack = buffers.A, bpack = buffers.B, tile = buffers.Tile, rowScale = buffers.RowScale;
        {
            for (int ic = 0; ic < m; ic += MC)
            {
                int mc = Math.Min(MC, m - ic);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc);
                    bool accumulate = pc > 0;
                    PackA(a.At(ic, pc), mc, kc, apack);
                    for (int jc = 0; jc < n; jc += ncMax)
                    {
                        int nc = Math.Min(ncMax, n - jc);
                        PackB(b.At(pc, jc), kc, nc, bpack);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* ap = apack + (long)ir * kc;
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int cols = Math.Min(nr, nc - jr);
                                float* bp = bpack + (long)jr * kc;
                                float* cp = c + (long)(ic + ir) * ldc + jc + jr;
                                float* rs = null;
                                if (scales is { } s)
                                {
                                    // Promotion: C += (Σ over this 128-deep block) · sa[row, kb] · sb[kb, col/128].
                                    int kb = pc / Fp8KC;
                                    float sb = s.B[(long)kb * s.LdB + (s.ColBase + jc + jr) / Quantization.BlockSize];
                                    for (int r = 0; r < mr; r++)
                                        rowScale[r] = r < rows ? s.A[(long)(ic + ir + r) * s.LdA + kb] * sb : 0f;
                                    rs = rowScale;
                                }
                                if (rows == mr && cols == nr)
                                    Micro(ap, bp, cp, ldc, kc, accumulate, rs);
                                else
                                {
                                    Micro(ap, bp, tile, nr, kc, false, rs);
                                    for (int r = 0; r < rows; r++)
                                        for (int j = 0; j < cols; j++)
                                            cp[(long)r * ldc + j] = accumulate
                                                ? cp[(long)r * ldc + j] + tile[r * nr + j] : tile[r * nr + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Block edge near <paramref name="target"/> that splits <paramref name="extent"/> evenly, as a multiple
    /// of
    /// <paramref name="unit"/>.</summary>
    private static int EvenSplit(int extent, int target, int unit)
    {
        int blocks = (extent + target - 1) / target;
        return RoundUp((extent + blocks - 1) / blocks, unit);
    }

    private static void Micro(float* a, float* b, float* c, nint ldc, int kc, bool accumulate, float* rowScale)
    {
        if (Simd.Has512) MicroKernels.Kernel12x32(a, b, c, ldc, kc, accumulate, rowScale);
        else MicroKernels.Kernel6x16(a, b, c, ldc, kc, accumulate, rowScale);
    }

    /// <summary>Per-thread packed buffers, 64-byte aligned, kept between calls (no re-faulting megabytes each
    /// GEMM).</summary>
    private sealed class PackBuffers
    {
        [ThreadStatic] private static PackBuffers? _current;
        public float* A, B, Tile, RowScale;
        private long _aCap, _bCap;

        public static PackBuffers For(long aFloats, long bFloats, int tileFloats, int rows)
        {
            var pb = _current ??= new PackBuffers();
            if (pb._aCap < aFloats) { NativeMemory.AlignedFree(pb.A); pb.A = Alloc(aFloats); pb._aCap = aFloats; }
            if (pb._bCap < bFloats) { NativeMemory.AlignedFree(pb.B); pb.B = Alloc(bFloats); pb._bCap = bFloats; }
            if (pb.Tile == null) { pb.Tile = Alloc(32 * 32); pb.RowScale = Alloc(32); }
            _ = tileFloats; _ = rows; // MR×NR ≤ 32×32 and MR ≤ 32 for every micro-kernel here
            return pb;
        }

        private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * 4), 64);

        ~PackBuffers()
        {
            NativeMemory.AlignedFree(A); NativeMemory.AlignedFree(B);
            NativeMemory.AlignedFree(Tile); NativeMemory.AlignedFree(RowScale);
        }
    }

    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;
}
