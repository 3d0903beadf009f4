using Platform.Cli;
using Platform.Cli.Infrastructure;

return await PlatformCli.RunAsync(args, CliEnvironment.FromProcess());
