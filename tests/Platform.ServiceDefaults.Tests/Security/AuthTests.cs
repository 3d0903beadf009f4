using System.Net;
using System.Security.Cryptography;
using System.Text;
using Grpc.Health.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests.Security;

/// <summary>The platform with authentication on: API keys and JWTs, read and write scopes.</summary>
public sealed class AuthTests : IClassFixture<AuthTests.SecuredPlatform>
{
    public const string ReadKey = "read-key-0123456789";
    public const string WriteKey = "write-key-0123456789";
    public const string SigningKey = "a-test-signing-key-of-at-least-32-bytes!";

    public sealed class SecuredPlatform : PlatformFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:ApiKeys:dashboard:Sha256"] = Sha256(ReadKey),
            ["Auth:ApiKeys:dashboard:Scopes"] = "read",
            ["Auth:ApiKeys:pipeline:Sha256"] = Sha256(WriteKey),
            ["Auth:ApiKeys:pipeline:Scopes"] = "read write",
            ["Auth:Jwt:SigningKey"] = SigningKey,
            ["Auth:Jwt:Issuer"] = "https://issuer.test",
            ["Auth:Jwt:Audience"] = "platform",
        };
    }

    private readonly SecuredPlatform _platform;

    public AuthTests(SecuredPlatform platform) => _platform = platform;

    private static string Sha256(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static Metadata Key(string key) => new() { { "x-api-key", key } };

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static string Token(string scope, DateTime? expires = null, string audience = "platform",
        string key = SigningKey) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test", Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = "ci-bot", ["scope"] = scope },
            NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(5)).AddMinutes(-10),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
                SecurityAlgorithms.HmacSha256),
        });

    private TrainingCostService.TrainingCostServiceClient Training => new(_platform.Channel);

    private Task<ListModelPresetsResponse> Presets(Metadata? headers) =>
        Training.ListModelPresetsAsync(new ListModelPresetsRequest(), headers).ResponseAsync;

    [Fact]
    public async Task A_call_without_valid_credentials_is_unauthenticated_saying_how_to_authenticate()
    {
        foreach (var headers in new Metadata?[]
                 {
                     null, Key("wrong-key"), Key(new string('k', 10_000)), Bearer("not-a-token"),
                     Bearer(Token("read", expires: DateTime.UtcNow.AddMinutes(-5))),
                     Bearer(Token("read", audience: "someone-else")),
                     Bearer(Token("read", key: "another-signing-key-of-at-least-32-bytes")),
                 })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => Presets(headers));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains("x-api-key", e.Status.Detail);
            Assert.DoesNotContain("wrong-key", e.Status.Detail);
        }
    }

    [Fact]
    public async Task Valid_keys_and_tokens_are_let_in()
    {
        Assert.NotEmpty((await Presets(Key(ReadKey))).Presets);
        Assert.NotEmpty((await Presets(Key(WriteKey))).Presets);
        Assert.NotEmpty((await Presets(Bearer(Token("read")))).Presets);
        var viaAuthorization = new Metadata { { "authorization", "ApiKey " + ReadKey } };
        Assert.NotEmpty((await Presets(viaAuthorization)).Presets);
    }

    [Fact]
    public async Task Changes_need_the_write_scope()
    {
        var emulator = new EmulatorService.EmulatorServiceClient(_platform.Channel);
        var device = (await emulator.GetDeviceAsync(new GetDeviceRequest { Id = "h100-sxm" }, Key(ReadKey))).Device;
        device.Id = "auth-test-device";
        var request = new RegisterDeviceRequest { Device = device };
        foreach (var readOnly in new[] { Key(ReadKey), Bearer(Token("read")) })
        {
            var e = await Assert.ThrowsAsync<RpcException>(
                () => emulator.RegisterDeviceAsync(request, readOnly).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("'write' scope", e.Status.Detail);
        }
        await emulator.RegisterDeviceAsync(request, Key(WriteKey));
        await emulator.RegisterDeviceAsync(request, Bearer(Token("read write")));
    }

    [Fact]
    public async Task Health_checks_and_the_api_schema_stay_open_but_calls_need_credentials()
    {
        var health = new Health.HealthClient(_platform.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" })).Status);
        var http = _platform.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_platform.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service,
            s => s.Name == "platform.training.v1.TrainingCostService");
        await call.RequestStream.CompleteAsync();
        await Assert.ThrowsAsync<RpcException>(() => Presets(null));
    }
}
