namespace Platform.Benchmarks;

/// <summary>Inference-scheduler benchmarks (owned by the inference area).</summary>
public static class InferenceBenchmarks
{
    public static int All(string[] args)
    {
        Console.Error.WriteLine("inference benchmarks: not built yet (issue 5)");
        return 1;
    }
}
