namespace Platform.Benchmarks;

/// <summary>Emulator benchmarks (owned by the hardware-emulator area).</summary>
public static class EmulatorBenchmarks
{
    public static int Gemm(string[] args)
    {
        Console.Error.WriteLine("gemm benchmark: not built yet (issue 3)");
        return 1;
    }

    public static int All(string[] args) => Gemm(args);
}
