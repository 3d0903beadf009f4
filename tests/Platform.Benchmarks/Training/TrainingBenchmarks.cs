using System.Diagnostics;
using System.Text;
using Platform.Modeling;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>Training-cost benchmarks and validation (owned by the training-cost area).</summary>
public static class TrainingBenchmarks
{
    public static int All(string[] args)
    {
        Console.Error.WriteLine("training benchmarks: not built yet (issue 4)");
        return 1;
    }

    public static int Validate(string[] args) => TrainingValidationReport.Run(args).GetAwaiter().GetResult();
}
