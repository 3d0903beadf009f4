using Grpc.Core;
using Spectre.Console.Cli;

namespace Platform.Cli.Infrastructure;

/// <summary>What a flag names in a server-side catalog, so a NotFound answer can say which flag and suggest
/// values.</summary>
public enum NameKind { Device, Model, Trace, Deployment }

/// <summary>A flag value that names a catalog entry.</summary>
public sealed record NamedValue(string Flag, NameKind Kind, string? Value);

/// <summary>
/// A command that talks to the host: opens the connection, runs, and turns a NotFound answer into a message naming
/// the flag at fault with the closest valid values (from the server's own lists).
/// </summary>
public abstract class PlatformCommand<T>(CliEnvironment env) : AsyncCommand<T> where T : GlobalSettings
{
    protected CliEnvironment Env { get; } = env;

    public sealed override async Task<int> ExecuteAsync(CommandContext context, T settings, CancellationToken ct)
    {
        using var connection = new Connection(settings, Env);
        try
        {
            return await RunAsync(connection, settings, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            var named = NamedValues(settings).Where(n => !string.IsNullOrEmpty(n.Value)).ToList();
            string? why = named.Count == 0 ? null : await Catalog.ExplainUnknownAsync(connection, named, ct);
            if (why is not null) throw new CliUsageException(why, ExitCodes.NotFound);
            throw;
        }
    }

    /// <summary>The command's work; returns the exit code.</summary>
    protected abstract Task<int> RunAsync(Connection connection, T settings, CancellationToken ct);

    /// <summary>Flags whose values name catalog entries (checked only when the server answers NotFound).</summary>
    protected virtual IEnumerable<NamedValue> NamedValues(T settings) => [];

    protected Output Output(T settings) => new(Env, settings.Json);
}
