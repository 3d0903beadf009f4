using Spectre.Console;

namespace Platform.Cli.Infrastructure;

/// <summary>
/// Where the CLI writes and how it reaches the host: the process's console and network, or (in tests) writers and an
/// in-process HTTP handler.
/// </summary>
public sealed class CliEnvironment
{
    /// <summary>Standard output: tables, JSON.</summary>
    public required TextWriter Out { get; init; }
    /// <summary>Standard error: errors, progress.</summary>
    public required TextWriter Error { get; init; }
    /// <summary>True when Out is a terminal (colours, live progress bars).</summary>
    public bool Interactive { get; init; }
    /// <summary>Environment variables (PLATFORM_ENDPOINT, PLATFORM_API_KEY).</summary>
    public Func<string, string?> Variable { get; init; } = Environment.GetEnvironmentVariable;
    /// <summary>The HTTP handler gRPC calls go through; null = a network connection to the endpoint.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public IAnsiConsole Console => _console ??= Make(Out, Interactive);
    public IAnsiConsole ErrorConsole => _errorConsole ??= Make(Error, Interactive);
    private IAnsiConsole? _console, _errorConsole;

    public static CliEnvironment FromProcess() => new()
    {
        Out = System.Console.Out,
        Error = System.Console.Error,
        Interactive = !System.Console.IsOutputRedirected,
    };

    private static IAnsiConsole Make(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Redirected output (files, pipes, tests) gets wide tables rather than the 80-column default.
        if (!interactive) console.Profile.Width = 200;
        return console;
    }
}
