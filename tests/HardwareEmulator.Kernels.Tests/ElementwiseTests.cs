namespace HardwareEmulator.Kernels.Tests;

/// <summary>Each SIMD kernel against its scalar reference on odd and nice shapes.</summary>
public sealed class ElementwiseTests
{
    public static TheoryData<int, int> RowShapes =>
        new() { { 1, 1 }, { 1, 7 }, { 7, 33 }, { 33, 1000 }, { 3, 1024 }, { 1000, 16 } };
    public static TheoryData<int> Lengths => new() { 1, 7, 33, 1000, 4096, 100_003 };

    [Theory, MemberData(nameof(RowShapes))]
    public void Softmax_matches_the_scalar_reference_and_rows_sum_to_one(int rows, int cols)
    {
        var x = TestData.Normal(rows * cols, 1, 5f);
        var fast = new float[x.Length]; var slow = new float[x.Length];
        Softmax.Rows(x, fast, rows, cols);
        Softmax.RowsScalar(x, slow, rows, cols);
        TestData.AllClose(slow, fast, 1e-5, 1e-7);
        for (int r = 0; r < rows; r++) Assert.Equal(1.0, fast.AsSpan(r * cols, cols).ToArray().Sum(v => (double)v), 4);
    }

    [Fact]
    public void Softmax_is_stable_for_huge_logits()
    {
        var y = new float[3];
        Softmax.Rows(new[] { 1000f, 1000f, -1000f }, y, 1, 3);
        Assert.Equal(new[] { 0.5f, 0.5f, 0f }, y);
    }

    [Theory, MemberData(nameof(RowShapes))]
    public void RmsNorm_and_LayerNorm_match_their_scalar_references(int rows, int cols)
    {
        var x = TestData.Normal(rows * cols, 2, 3f);
        var w = TestData.Uniform(cols, 3, 0.5f, 1.5f);
        var bias = TestData.Uniform(cols, 4);
        var fast = new float[x.Length]; var slow = new float[x.Length];
        Normalization.RmsNorm(x, w, fast, rows, cols);
        Normalization.RmsNormScalar(x, w, slow, rows, cols);
        TestData.AllClose(slow, fast, 1e-5, 1e-6);
        Normalization.LayerNorm(x, w, bias, fast, rows, cols);
        Normalization.LayerNormScalar(x, w, bias, slow, rows, cols);
        TestData.AllClose(slow, fast, 1e-5, 1e-5);
        Normalization.LayerNorm(x, default, default, fast, rows, cols);
        Normalization.LayerNormScalar(x, default, default, slow, rows, cols);
        TestData.AllClose(slow, fast, 1e-5, 1e-5);
    }

    [Fact]
    public void RmsNorm_gives_unit_root_mean_square()
    {
        var x = TestData.Normal(4 * 512, 5, 7f);
        var y = new float[x.Length];
        Normalization.RmsNorm(x, default, y, 4, 512, eps: 0f);
        for (int r = 0; r < 4; r++)
            Assert.Equal(1.0, Math.Sqrt(y.AsSpan(r * 512, 512).ToArray().Average(v => (double)v * v)), 5);
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Activations_match_their_scalar_references(int n)
    {
        var x = TestData.Normal(n, 6, 4f);
        x[0] = -100f; // exp overflow path must give −0, not NaN
        var up = TestData.Normal(n, 7);
        var fast = new float[n]; var slow = new float[n];
        Activations.Silu(x, fast); Activations.SiluScalar(x, slow);
        TestData.AllClose(slow, fast, 1e-5, 1e-7);
        Activations.SwiGlu(x, up, fast); Activations.SwiGluScalar(x, up, slow);
        TestData.AllClose(slow, fast, 1e-5, 1e-7);
        Activations.Gelu(x, fast, GeluForm.Tanh); Activations.GeluScalar(x, slow, GeluForm.Tanh);
        TestData.AllClose(slow, fast, 1e-5, 1e-6);
        Activations.Gelu(x, fast, GeluForm.Erf); Activations.GeluScalar(x, slow, GeluForm.Erf);
        TestData.AllClose(slow, fast, 1e-5, 1e-6); // A&S 7.1.26 is good to 1.5e-7 absolute in erf
    }

    [Fact]
    public void Gelu_forms_agree_with_known_values()
    {
        var y = new float[3];
        Activations.Gelu(new[] { 1f, -1f, 0f }, y, GeluForm.Erf);
        Assert.Equal(0.8413447, y[0], 5); // Φ(1)
        Assert.Equal(-0.1586553, y[1], 5);
        Assert.Equal(0f, y[2]);
        Activations.Gelu(new[] { 1f, -1f, 0f }, y, GeluForm.Tanh);
        Assert.Equal(0.8411920, y[0], 5);
        Assert.Equal(0.9999999999984626, Activations.Erf(5), 12);
        Assert.Equal(0.5204998778130465, Activations.Erf(0.5), 14);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Rotary_matches_its_scalar_reference_and_preserves_norms(bool interleaved)
    {
        const int tokens = 7, heads = 3, headDim = 40;
        var x = TestData.Normal(tokens * heads * headDim, 8);
        int[] pos = { 0, 1, 2, 33, 1000, 4095, 100_000 };
        var fast = new float[x.Length]; var slow = new float[x.Length];
        foreach (int rd in new[] { 0, 16 })
        {
            Rotary.Apply(x, fast, pos, tokens, heads, headDim, rotaryDim: rd, interleaved: interleaved);
            Rotary.ApplyScalar(x, slow, pos, tokens, heads, headDim, rotaryDim: rd, interleaved: interleaved);
            TestData.AllClose(slow, fast, 1e-4, 1e-5);
        }
        TestData.AllClose(x.AsSpan(0, heads * headDim), fast.AsSpan(0, heads * headDim), 0, 0); // position 0 = identity
        double n0 = x.Sum(v => (double)v * v), n1 = fast.Sum(v => (double)v * v);
        Assert.Equal(n0, n1, 2);
        var inPlace = (float[])x.Clone();
        Rotary.Apply(inPlace, inPlace, pos, tokens, heads, headDim, rotaryDim: 16, interleaved: interleaved);
        TestData.AllClose(fast, inPlace, 0, 0);
    }

    [Fact]
    public void Bad_input_names_the_parameter()
    {
        Assert.Equal("y", Assert.Throws<KernelArgumentException>(() =>
            Softmax.Rows(new float[6], new float[5], 2, 3)).ParamName);
        Assert.Equal("cols", Assert.Throws<KernelArgumentException>(() =>
            Softmax.Rows(new float[6], new float[6], 2, 0)).ParamName);
        Assert.Equal("weight", Assert.Throws<KernelArgumentException>(() =>
            Normalization.RmsNorm(new float[6], new float[2], new float[6], 2, 3)).ParamName);
        Assert.Equal("beta", Assert.Throws<KernelArgumentException>(() =>
            Normalization.LayerNorm(new float[6], default, new float[4], new float[6], 2, 3)).ParamName);
        Assert.Equal("eps", Assert.Throws<KernelArgumentException>(() =>
            Normalization.LayerNorm(new float[6], default, default, new float[6], 2, 3, float.NaN)).ParamName);
        Assert.Equal("up", Assert.Throws<KernelArgumentException>(() =>
            Activations.SwiGlu(new float[3], new float[2], new float[3])).ParamName);
        Assert.Equal("rotaryDim", Assert.Throws<KernelArgumentException>(() =>
            Rotary.Apply(new float[8], new float[8], new[] { 0 }, 1, 1, 8, rotaryDim: 3)).ParamName);
        Assert.Equal("positions", Assert.Throws<KernelArgumentException>(() =>
            Rotary.Apply(new float[8], new float[8], new[] { -1 }, 1, 1, 8)).ParamName);
    }
}
