using Google.Rpc;
using Grpc.Core;
using Platform.Cli.Commands;
using Platform.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Platform.Cli;

/// <summary>The `platform` command line: its commands, and errors turned into messages and exit codes.</summary>
public static class PlatformCli
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken ct = default)
    {
        var registrar = new TypeRegistrar();
        registrar.RegisterInstance(typeof(CliEnvironment), env);
        var app = new CommandApp(registrar);
        app.Configure(c =>
        {
            c.SetApplicationName("platform");
            c.Settings.PropagateExceptions = true;
            c.Settings.StrictParsing = true;
            c.Settings.Console = env.Console;
            c.Settings.ExceptionHandler = null;
            CommandTree.Configure(c);
        });
        try
        {
            return await app.RunAsync(args, ct);
        }
        catch (CliUsageException e)
        {
            env.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (CommandAppException e)
        {
            if (e.Pretty is not null) env.ErrorConsole.Write(e.Pretty);
            else env.Error.WriteLine($"error: {e.Message}");
            if (OptionHint(e.Message, args) is { } hint) env.Error.WriteLine(hint);
            env.Error.WriteLine("Run 'platform --help' (or 'platform COMMAND --help') for the commands and flags.");
            return ExitCodes.BadUsage;
        }
        catch (RpcException e)
        {
            env.Error.WriteLine(Describe(e, env));
            return ExitCodes.Of(e.StatusCode);
        }
        catch (OperationCanceledException)
        {
            env.Error.WriteLine("error: cancelled");
            return ExitCodes.Other;
        }
    }

    /// <summary>For "Unknown option 'x'": the command's closest options.</summary>
    private static string? OptionHint(string message, string[] args)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, "Unknown option '([^']{1,80})'");
        if (!m.Success) return null;
        var words = args.TakeWhile(a => !a.StartsWith('-')).Take(2).ToList();
        Type? settings = null;
        for (int n = words.Count; n > 0 && settings is null; n--)
            CommandTree.SettingsByPath.TryGetValue(string.Join(' ', words.Take(n)), out settings);
        if (settings is null) return null;
        var names = settings.GetProperties()
            .SelectMany(p => p.GetCustomAttributes(typeof(CommandOptionAttribute), true).Cast<CommandOptionAttribute>())
            .SelectMany(a => a.LongNames).ToList();
        var close = Suggest.Closest(m.Groups[1].Value.TrimStart('-'), names);
        return close.Count == 0 ? null : $"Did you mean {string.Join(" or ", close.Select(n => "--" + n))}?";
    }

    /// <summary>A gRPC error in words: status, detail, the fields at fault, and what to do.</summary>
    public static string Describe(RpcException e, CliEnvironment env)
    {
        var lines = new List<string> { $"error: {e.StatusCode}: {e.Status.Detail}" };
        var bad = e.GetRpcStatus()?.GetDetail<BadRequest>();
        if (bad is not null)
            lines.AddRange(bad.FieldViolations.Take(10).Select(v => $"  {v.Field}: {v.Description}"));
        string endpoint = env.Variable("PLATFORM_ENDPOINT") ?? GlobalSettings.DefaultEndpoint;
        lines.Add(e.StatusCode switch
        {
            StatusCode.Unavailable => "No platform host answered. Start one (make run) or name it with --endpoint " +
                $"(default {endpoint}).",
            StatusCode.Unauthenticated => "Send an API key: --api-key KEY or PLATFORM_API_KEY.",
            StatusCode.PermissionDenied => "The API key lacks the scope this command needs (writes need 'write').",
            StatusCode.ResourceExhausted => "The host is busy or a rate limit was reached: try again later.",
            _ => "",
        });
        return string.Join(Environment.NewLine, lines.Where(l => l.Length > 0));
    }
}
