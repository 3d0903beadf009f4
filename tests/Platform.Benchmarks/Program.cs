// Benchmark and validation commands. Each area owns its file (Emulator/, Training/, Inference/).
// Usage: Platform.Benchmarks <command> [options]; `all` runs every benchmark.
using Platform.Benchmarks;

var commands = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = EmulatorBenchmarks.Gemm,
    ["emulator"] = EmulatorBenchmarks.All,
    ["training"] = TrainingBenchmarks.All,
    ["validate-training"] = TrainingBenchmarks.Validate,
    ["inference"] = InferenceBenchmarks.All,
};

if (args.Length == 0 || !commands.ContainsKey(args[0]) && args[0] != "all")
{
    Console.Error.WriteLine($"usage: Platform.Benchmarks <all|{string.Join('|', commands.Keys)}> [options]");
    return 2;
}
if (args[0] == "all")
{
    int rc = 0;
    foreach (var name in new[] { "emulator", "training", "inference" }) rc |= commands[name](args[1..]);
    return rc;
}
return commands[args[0]](args[1..]);
