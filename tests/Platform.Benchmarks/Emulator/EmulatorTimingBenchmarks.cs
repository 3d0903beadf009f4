namespace Platform.Benchmarks;

/// <summary>Timing-model benchmarks (owned by the hardware-emulator service area).</summary>
public static class EmulatorTimingBenchmarks
{
    public static int EstimateOps(string[] args)
    {
        Console.Error.WriteLine("estimate-ops benchmark: not built yet (issue 3)");
        return 1;
    }
}
