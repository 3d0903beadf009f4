using Platform.Contracts.Mapping;
using Platform.Modeling;
using Platform.Modeling.Ops;

namespace Platform.Contracts.Tests;

public sealed class OpSpecMappingTests
{
    public static TheoryData<OpShape> Shapes()
    {
        var data = new TheoryData<OpShape>
        {
            new GemmShape("g", DataType.Fp8E4M3, 128, 7168, 2048, 4),
            new GroupedGemmShape("gg", DataType.Bf16, GroupRows.Of([3, 0, 7]), 4096, 7168),
            new GroupedGemmShape("uniform", DataType.Bf16, GroupRows.Uniform(8, 16), 4096, 7168),
            new AttentionShape("a", DataType.Bf16, 2, 1, 4096, 128, 1, 576, 512, false),
        };
        foreach (var dtype in Enum.GetValues<DataType>()) data.Add(new GemmShape($"{dtype}", dtype, 1, 2, 3));
        foreach (var kind in Enum.GetValues<ElementwiseOpKind>())
            data.Add(new ElementwiseShape($"{kind}", DataType.Bf16, kind, 1024));
        foreach (var kind in Enum.GetValues<CollectiveOpKind>())
            data.Add(new CollectiveShape($"{kind}", DataType.Bf16, kind, 1 << 20, 8, 8));
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_op_survives_the_trip_through_OpSpec(OpShape op) =>
        Assert.Equal(op, OpSpecMapping.ToShape(OpSpecMapping.ToProto(op), 0));

    [Fact]
    public void Every_op_the_decomposition_produces_maps_to_an_OpSpec_and_back()
    {
        var ops = ModelOps.Decompose(ModelPresets.Get("deepseek-v3").Architecture,
            new OpLayout(TensorParallel: 2, ExpertParallel: 16, PipelineParallel: 2),
            PassShape.Decode(64, 8192)).SelectMany(g => g.Ops).ToList();
        Assert.All(ops, op => Assert.Equal(op, OpSpecMapping.ToShape(OpSpecMapping.ToProto(op), 0)));
    }
}
