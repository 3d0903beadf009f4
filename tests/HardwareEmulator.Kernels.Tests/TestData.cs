namespace HardwareEmulator.Kernels.Tests;

/// <summary>Deterministic inputs and the accuracy metrics the tests share.</summary>
internal static class TestData
{
    public static float[] Normal(int count, int seed, float std = 1f)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    public static float[] Uniform(int count, int seed, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return x;
    }

    /// <summary>DeepGEMM's accuracy metric: 1 − 2Σxy / Σ(x² + y²) (0 when equal).</summary>
    public static double Diff(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double xy = 0, sq = 0;
        for (int i = 0; i < x.Length; i++)
        {
            xy += (double)x[i] * y[i];
            sq += (double)x[i] * x[i] + (double)y[i] * y[i];
        }
        return 1 - 2 * xy / sq;
    }

    /// <summary>C in double, plus Σ|a||b| per element for the forward error bound.</summary>
    public static (double[] C, double[] Abs) Fp64Gemm(float[] a, float[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        var abs = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i * k + p];
                for (int j = 0; j < n; j++)
                {
                    c[i * n + j] += aip * b[p * n + j];
                    abs[i * n + j] += Math.Abs(aip * b[p * n + j]);
                }
            }
        return (c, abs);
    }

    public static void AllClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (Math.Abs(e - a) > atol + rtol * Math.Abs(e))
                Assert.Fail($"element {i}: expected {e:R}, got {a:R} (|diff| {Math.Abs(e - a):E3})");
        }
    }
}
