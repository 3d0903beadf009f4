using System.Security.Cryptography;
using System.Text;
using Platform.Cli;
using Platform.Cli.Infrastructure;
using Platform.Testing;

namespace Platform.Cli.Tests;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>
/// The platform in-process with authentication on (one read+write API key) and the CLI run against it through the
/// test server's handler, as a user would run it against a host.
/// </summary>
public sealed class CliHost : PlatformFactory
{
    public const string ApiKey = "cli-test-key-0123456789";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Enabled"] = "true",
        ["Auth:ApiKeys:cli:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey))),
        ["Auth:ApiKeys:cli:Scopes"] = "read write",
        ["Auth:ClientApiKey"] = ApiKey,
        ["Serilog:WriteTo:0:Args:restrictedToMinimumLevel"] = "Error",
    };

    /// <summary>Runs `platform ARGS` against this host with the API key in PLATFORM_API_KEY.</summary>
    public Task<CliResult> Run(params string[] args) => Run(args, key: ApiKey);

    public async Task<CliResult> Run(string[] args, string? key)
    {
        var handler = Server.CreateHandler();
        var env = new Dictionary<string, string?> { ["PLATFORM_API_KEY"] = key };
        string[] all = [.. args, "--endpoint", Server.BaseAddress.ToString().TrimEnd('/')];
        return await RunCli(all, handler, env);
    }

    /// <summary>Runs the CLI with the given handler (null: the network) and environment variables.</summary>
    public static async Task<CliResult> RunCli(string[] args, HttpMessageHandler? handler,
        IReadOnlyDictionary<string, string?>? variables = null)
    {
        var outW = new StringWriter();
        var errW = new StringWriter();
        var env = new CliEnvironment
        {
            Out = outW, Error = errW, Interactive = false, Handler = handler,
            Variable = name => variables is not null && variables.TryGetValue(name, out var v) ? v : null,
        };
        int code = await PlatformCli.RunAsync(args, env);
        return new CliResult(code, outW.ToString(), errW.ToString());
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliHost>
{
    public const string Name = "cli";
}
