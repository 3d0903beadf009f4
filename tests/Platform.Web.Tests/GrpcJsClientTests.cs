using System.Diagnostics;
using System.Text.Json;

namespace Platform.Web.Tests;

/// <summary>A gRPC client in another language: node/grpc-js-client.mjs (@grpc/grpc-js with @grpc/proto-loader
/// reading protos/) calls every service of a running host.</summary>
[Collection(WebHostCollection.Name)]
public sealed class GrpcJsClientTests(WebHostFixture fixture)
{
    [Fact]
    public async Task A_node_grpc_js_client_calls_every_service()
    {
        string root = RepositoryRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "@grpc", "grpc-js")),
            "node_modules/@grpc/grpc-js missing: run `npm ci` (make test does)");
        var psi = new ProcessStartInfo("node",
            ["tests/Platform.Web.Tests/node/grpc-js-client.mjs", $"127.0.0.1:{fixture.Host.GrpcPort}"])
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var node = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await node.WaitForExitAsync(cts.Token);
        string output = await stdout;
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}:\n{output}\n{await stderr}");

        var lines = output.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var checks = lines.Where(l => l.TryGetProperty("check", out _))
            .Select(l => l.GetProperty("check").GetString()!).ToList();
        foreach (var service in new[] { "emulator.", "training.", "inference.", "jobs." })
            Assert.Contains(checks, c => c.StartsWith(service, StringComparison.Ordinal));
        Assert.Contains("emulator.GetDevice NOT_FOUND suggests h100-sxm", checks);
        Assert.True(lines[^1].GetProperty("passed").GetBoolean(), output);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
