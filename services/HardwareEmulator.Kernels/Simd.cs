using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HardwareEmulator.Kernels;

/// <summary>
/// One vector width, as a struct the JIT specializes generics on, so each elementwise kernel is written once and
/// compiled for Vector512 (AVX-512) and Vector256 (AVX2); machines with neither run the kernel's scalar reference.
/// </summary>
internal unsafe interface IVec<TSelf> where TSelf : struct, IVec<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Load(float* p);
    static abstract void Store(TSelf v, float* p);
    static abstract TSelf Splat(float x);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Sub(TSelf a, TSelf b);
    static abstract TSelf Mul(TSelf a, TSelf b);
    static abstract TSelf Div(TSelf a, TSelf b);
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c); // a·b + c
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Exp(TSelf a);
    static abstract TSelf CopySign(TSelf magnitude, TSelf sign);
    static abstract float Sum(TSelf v);
    static abstract float MaxAcross(TSelf v);
}

internal readonly unsafe struct V512 : IVec<V512>
{
    private readonly Vector512<float> _v;
    private V512(Vector512<float> v) => _v = v;
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Splat(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Add(V512 a, V512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sub(V512 a, V512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Mul(V512 a, V512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Div(V512 a, V512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Fma(V512 a, V512 b, V512 c) =>
        new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Max(V512 a, V512 b) =>
        new(Vector512.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Abs(V512 a) => new(Vector512.Abs(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Exp(V512 a) => new(Vector512.Exp(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 CopySign(V512 m, V512 s) =>
        new(Vector512.CopySign(m._v, s._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V512 v) => Vector512.Sum(v._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V512 v)
    {
        var m = Vector256.Max(v._v.GetLower(), v._v.GetUpper());
        var q = Vector128.Max(m.GetLower(), m.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }
}

internal readonly unsafe struct V256 : IVec<V256>
{
    private readonly Vector256<float> _v;
    private V256(Vector256<float> v) => _v = v;
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Splat(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Add(V256 a, V256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sub(V256 a, V256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Mul(V256 a, V256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Div(V256 a, V256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Fma(V256 a, V256 b, V256 c) =>
        new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Max(V256 a, V256 b) =>
        new(Vector256.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Abs(V256 a) => new(Vector256.Abs(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Exp(V256 a) => new(Vector256.Exp(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 CopySign(V256 m, V256 s) =>
        new(Vector256.CopySign(m._v, s._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V256 v) => Vector256.Sum(v._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V256 v)
    {
        var q = Vector128.Max(v._v.GetLower(), v._v.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }
}

/// <summary>Which vector width this machine runs, and the row-parallel helper the kernels share.</summary>
internal static class Simd
{
    public static readonly bool Has512 = Vector512.IsHardwareAccelerated;
    public static readonly bool Has256 = Vector256.IsHardwareAccelerated;

    /// <summary>Runs <paramref name="body"/> over [0, count) split into one contiguous range per thread
    /// (static partition), inline when the work is small.</summary>
    public static void ParallelRanges(int count, long workPerItem, int threads, Action<int, int> body)
    {
        const long MinWorkPerThread = 1 << 16; // below ~64K element-ops a thread hand-off costs more than it saves
        int t = (int)Math.Clamp(count * workPerItem / MinWorkPerThread, 1, Math.Min(threads, count));
        if (t <= 1) { body(0, count); return; }
        Parallel.For(0, t, new ParallelOptions { MaxDegreeOfParallelism = t }, p =>
        {
            int lo = (int)((long)count * p / t), hi = (int)((long)count * (p + 1) / t);
            body(lo, hi);
        });
    }
}
