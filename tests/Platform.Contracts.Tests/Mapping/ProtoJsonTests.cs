using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;

namespace Platform.Contracts.Tests.Mapping;

public sealed class ProtoJsonTests
{
    [Fact]
    public void Valid_json_parses()
    {
        var op = ProtoJson.Parse<OpSpec>("{\"name\":\"qkv\",\"gemm\":{\"m\":2,\"n\":3,\"k\":4}}", "ops[0]");
        Assert.Equal(3, op.Gemm.N);
    }

    [Theory]
    [InlineData("{not json")] // malformed JSON (Google.Protobuf's InvalidJsonException)
    [InlineData("{\"gemm\":{\"m\":\"many\"}}")] // a string where a number belongs
    [InlineData("{\"colour\":\"blue\"}")] // an unknown field
    [InlineData("[1,2,3]")] // not an object
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_invalid_argument_on_the_field(string? json)
    {
        var e = Assert.Throws<InvalidFieldException>(() => ProtoJson.Parse<OpSpec>(json, "ops[3]"));
        Assert.Equal("ops[3]", e.Field);
        Assert.Contains("platform.emulator.v1.OpSpec", e.Reason);
    }

    [Fact]
    public void The_reason_never_grows_with_the_input()
    {
        string json = "{\"name\":\"" + new string('x', 50_000) + "\",\"bogus_" + new string('y', 50_000) + "\":1}";
        var e = Assert.Throws<InvalidFieldException>(() => ProtoJson.Parse<OpSpec>(json, "ops[0]"));
        Assert.True(e.Reason.Length < 400, $"{e.Reason.Length} characters");
    }
}
