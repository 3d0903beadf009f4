namespace TrainingCost.Domain;

/// <summary>A compute-optimal allocation under the Chinchilla loss law.</summary>
public sealed record ComputeOptimalResult(double Parameters, double Tokens, double ComputeFlops, double PredictedLoss)
{
    public double TokensPerParameter => Tokens / Parameters;
}

/// <summary>
/// Chinchilla approach 3 with the Epoch AI refit (Besiroglu et al. 2024): L(N, D) = E + A/N^α + B/D^β.
/// Minimising L under C = 6·N·D (6 FLOPs per parameter per token: 2 forward, 4 backward) gives
/// N* = G·(C/6)^(β/(α+β)), D* = (C/6)/N*, with G = (αA/(βB))^(1/(α+β)) — about 20 tokens per parameter.
/// (The rounded constants of the original paper give ≈ 93 tokens/parameter at Chinchilla's budget.)
/// </summary>
public static class ScalingLaws
{
    public const double E = 1.8172, A = 482.01, B = 2085.43, Alpha = 0.3478, Beta = 0.3658;

    public static double Loss(double n, double d) => E + A / Math.Pow(n, Alpha) + B / Math.Pow(d, Beta);

    private static double G => Math.Pow(Alpha * A / (Beta * B), 1 / (Alpha + Beta));
    private static double Exponent => Beta / (Alpha + Beta);

    public static ComputeOptimalResult ForBudget(double computeFlops)
    {
        double n = G * Math.Pow(computeFlops / 6, Exponent);
        double d = computeFlops / 6 / n;
        return new ComputeOptimalResult(n, d, computeFlops, Loss(n, d));
    }

    public static ComputeOptimalResult ForParameters(double parameters)
    {
        double c6 = Math.Pow(parameters / G, 1 / Exponent);
        double d = c6 / parameters;
        return new ComputeOptimalResult(parameters, d, 6 * c6, Loss(parameters, d));
    }
}

/// <summary>One point of a cost projection.</summary>
public sealed record CostPoint(double YearsFromNow, double CostUsd, double HardwareFactor, double AlgorithmicFactor);

/// <summary>
/// What the same capability costs later: hardware price-performance doubles every T_hw years (Epoch 2022: 2.46;
/// ML GPUs 2.07) and the compute a fixed capability needs halves every T_alg years (Ho et al. 2024: ~8 months).
/// cost(t) = cost₀ / (2^(t/T_hw) · 2^(t/T_alg)); with the defaults ≈ −73%/year (references.md §1).
/// </summary>
public static class CostProjection
{
    public const double DefaultHardwareDoublingYears = 2.46;
    public const double DefaultAlgorithmicHalvingYears = 8.0 / 12;

    public static IReadOnlyList<CostPoint> Project(double costToday, int years, double hardwareDoublingYears,
        double algorithmicHalvingYears, int pointsPerYear)
    {
        var points = new List<CostPoint>();
        for (int i = 0; i <= years * pointsPerYear; i++)
        {
            double t = (double)i / pointsPerYear;
            double hw = Math.Pow(2, t / hardwareDoublingYears), alg = Math.Pow(2, t / algorithmicHalvingYears);
            points.Add(new CostPoint(t, costToday / (hw * alg), hw, alg));
        }
        return points;
    }

    public static double AnnualDecline(double hardwareDoublingYears, double algorithmicHalvingYears) =>
        1 - 1 / (Math.Pow(2, 1 / hardwareDoublingYears) * Math.Pow(2, 1 / algorithmicHalvingYears));
}
