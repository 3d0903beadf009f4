using System.Diagnostics;

namespace Platform.IntegrationTests;

/// <summary>Runs a Node.js script of the repository (amqplib pipelines against a broker, the npm openai
/// client).</summary>
internal static class NodeScript
{
    /// <summary>Runs <paramref name="script"/> (relative to the repository root) with RABBITMQ_URL set (when
    /// <paramref name="brokerUrl"/> is not null).</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string? brokerUrl, TimeSpan timeout,
        string script, params string[] args)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        string root = dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        if (!Directory.Exists(Path.Combine(root, "node_modules", "amqplib")))
            throw new InvalidOperationException("node_modules/amqplib missing: run `npm ci` (make test does)");
        var psi = new ProcessStartInfo("node", [script, .. args])
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (brokerUrl is not null) psi.Environment["RABBITMQ_URL"] = brokerUrl;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
