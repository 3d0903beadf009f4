// Benchmark and validation commands. Each area owns its files (Emulator/, Training/, Inference/).
// Usage: Platform.Benchmarks <command> [options]; `all` runs every benchmark.
using Platform.Benchmarks;

var commands = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = EmulatorBenchmarks.Gemm,
    ["kernels"] = EmulatorBenchmarks.All,
    ["estimate-ops"] = EmulatorTimingBenchmarks.EstimateOps,
    ["training"] = TrainingBenchmarks.All,
    ["grpc-frame"] = GrpcFrame.Write,
    ["validate-training"] = TrainingBenchmarks.Validate,
    ["validate-kernels"] = KernelValidationBenchmark.Run,
    ["inference"] = InferenceBenchmarks.All,
    ["capacity-fleet"] = Platform.Benchmarks.Inference.CapacityFleetBenchmark.Run,
    ["serve"] = ServeBenchmark.Run,
    ["gc-gen0"] = GcBudget.Run,
    ["http-metrics"] = HttpMetricsBenchmark.Run,
};
string[] benchmarks = ["kernels", "estimate-ops", "training", "inference"];

if (args.Length == 0 || !commands.ContainsKey(args[0]) && args[0] != "all")
{
    Console.Error.WriteLine($"usage: Platform.Benchmarks <all|{string.Join('|', commands.Keys)}> [options]");
    return 2;
}
if (args[0] != "all") return commands[args[0]](args[1..]);
int rc = 0;
foreach (var name in benchmarks)
{
    Console.WriteLine($"## {name}");
    rc |= commands[name](args[1..]);
}
return rc;
