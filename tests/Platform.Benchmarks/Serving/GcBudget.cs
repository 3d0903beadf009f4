namespace Platform.Benchmarks;

/// <summary>
/// `gc-gen0`: whether a gen0 budget setting reaches the GC of this process: prints the GC's own configuration
/// (GC.GetConfigurationVariables: GCgen0size, GCGen0MaxBudget) and how many gen0 collections 1 GB of 100-byte
/// objects takes (about 1 GB / the budget). Run it with and without DOTNET_GCgen0size, or with the runtimeconfig
/// property, to see which applies (docs/SERVING.md).
/// </summary>
public static class GcBudget
{
    public static int Run(string[] args)
    {
        foreach (var (key, value) in GC.GetConfigurationVariables())
            if (key.Contains("gen0", StringComparison.OrdinalIgnoreCase) || key == "ServerGC")
                Console.WriteLine($"{key} = {value}");
        Console.WriteLine($"runtimeconfig System.GC.Gen0Size = {AppContext.GetData("System.GC.Gen0Size") ?? "unset"}");
        object? keep = null;
        int before = GC.CollectionCount(0);
        for (int i = 0; i < 10_000_000; i++) keep = new byte[76];
        GC.KeepAlive(keep);
        Console.WriteLine($"gen0 collections for 1 GB of 100-byte objects: {GC.CollectionCount(0) - before}");
        return 0;
    }
}
