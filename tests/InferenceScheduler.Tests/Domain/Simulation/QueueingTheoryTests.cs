using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

public sealed class QueueingTheoryTests
{
    [Fact]
    public void One_sequence_server_with_fixed_lengths_matches_pollaczek_khinchine_md1_at_high_load()
    {
        // Prefill 100 x 0.1 ms emits token 1, then 49 decode steps of 10 ms: S = 0.5 s deterministic; rho = 0.8.
        var time = new ConstantStepTimeModel(0.0001, 0.01, 0);
        var r = new Simulator(Sim.Colocated(time, Sim.Vllm(maxSeqs: 1)))
            .Run(Sim.Poisson(1.6, 60_000, new FixedLength(100), new FixedLength(50), seed: 11));
        double s = 0.5, lambda = 1.6, rho = lambda * s;
        double w = rho * s / (2 * (1 - rho)) + s; // 1.5 s
        Assert.Equal(60_000, r.CompletedRequests);
        Assert.Equal(w, r.E2eMs.Mean / 1e3, 0.05 * w);
        Assert.Equal(0.01, r.E2eMs.Min / 1e3 - 0.49, 1e-6); // no request is served faster than S
    }

    [Fact]
    public void One_sequence_server_with_geometric_output_lengths_matches_mm1_and_pollaczek_khinchine()
    {
        // Output o = ceil(Exp(50)) tokens; prefill costs nothing, each of the o - 1 decode steps 10 ms, so
        // S = 10 ms x N with N = o - 1 geometric: P(N = k) = (1 - q) q^k, q = exp(-1/50). Nearly exponential
        // (SCV 1/q = 1.02): an M/M/1 queue.
        const double d = 0.01, m = 50;
        double q = Math.Exp(-1 / m), en = q / (1 - q), en2 = q * (1 + q) / ((1 - q) * (1 - q));
        double es = d * en, es2 = d * d * en2, lambda = 0.6 / es, rho = lambda * es;
        var time = new ConstantStepTimeModel(0, d, 0);
        var r = new Simulator(Sim.Colocated(time, Sim.Vllm(maxSeqs: 1)))
            .Run(Sim.Poisson(lambda, 40_000, new FixedLength(1), new ExponentialLengthSpec(m), seed: 5));
        double pk = lambda * es2 / (2 * (1 - rho)) + es;   // M/G/1, exact moments
        double mm1 = 1 / (1 / es - lambda);                  // M/M/1 with the same mean service
        double simulated = r.E2eMs.Mean / 1e3;
        Assert.Equal(pk, simulated, 0.05 * pk);
        Assert.Equal(mm1, simulated, 0.06 * mm1);
    }
}
