namespace HardwareEmulator.Kernels.Tests;

public sealed class AttentionTests
{
    // (batch, heads, kvHeads, qLen, kvLen, headDim, vDim): odd lengths, several 64-key tiles, GQA, decode (qLen 1).
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 1, 1, 1, 1, 1, 1 },
        { 1, 4, 2, 7, 33, 16, 16 },
        { 2, 4, 1, 33, 200, 24, 8 },
        { 1, 2, 2, 1, 1000, 64, 64 },
        { 1, 8, 8, 130, 130, 7, 33 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Tiled_online_softmax_matches_the_full_softmax_reference(int batch, int heads, int kvHeads, int qLen,
        int kvLen, int d, int dv)
    {
        var q = TestData.Normal(batch * heads * qLen * d, 1, 2f);
        var k = TestData.Normal(batch * kvHeads * kvLen * d, 2, 2f);
        var v = TestData.Normal(batch * kvHeads * kvLen * dv, 3);
        foreach (bool causal in new[] { false, true })
        {
            var fast = new float[batch * heads * qLen * dv]; var slow = new float[fast.Length];
            Attention.ScaledDotProduct(q, k, v, fast, batch, heads, kvHeads, qLen, kvLen, d, dv, causal);
            Attention.ScaledDotProductScalar(q, k, v, slow, batch, heads, kvHeads, qLen, kvLen, d, dv, causal);
            TestData.AllClose(slow, fast, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void Causal_first_query_sees_only_the_first_key_and_gqa_shares_kv_heads()
    {
        const int heads = 4, kvHeads = 2, len = 5, d = 4;
        var q = TestData.Normal(heads * len * d, 4);
        var k = TestData.Normal(kvHeads * len * d, 5);
        var v = TestData.Normal(kvHeads * len * d, 6);
        var o = new float[heads * len * d];
        Attention.ScaledDotProduct(q, k, v, o, 1, heads, kvHeads, len, len, d, d, causal: true);
        for (int h = 0; h < heads; h++)
        {
            int kvh = h / 2;
            TestData.AllClose(v.AsSpan(kvh * len * d, d), o.AsSpan(h * len * d, d), 1e-6, 1e-6);
        }
    }

    [Fact]
    public void Bad_shapes_name_the_parameter()
    {
        var x = new float[16];
        Assert.Equal("kvHeads", Assert.Throws<KernelArgumentException>(() =>
            Attention.ScaledDotProduct(x, x, x, x, 1, 3, 2, 1, 1, 1, 1, false)).ParamName);
        Assert.Equal("qLen", Assert.Throws<KernelArgumentException>(() =>
            Attention.ScaledDotProduct(new float[4], new float[2], new float[2], new float[4], 1, 1, 1, 4, 2, 1, 1,
                true)).ParamName);
        Assert.Equal("v", Assert.Throws<KernelArgumentException>(() =>
            Attention.ScaledDotProduct(new float[4], new float[4], new float[3], new float[4], 1, 1, 1, 4, 4, 1, 1,
                false)).ParamName);
        Assert.Equal("headDim", Assert.Throws<KernelArgumentException>(() =>
            Attention.ScaledDotProduct(x, x, x, x, 1, 1, 1, 1, 1, 0, 1, false)).ParamName);
    }
}
