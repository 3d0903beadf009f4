using Platform.Modeling.Telemetry;
using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Workloads;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;
using Platform.Jobs;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Validation;

using InferenceScheduler.Application;
using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Application.Validation;

namespace InferenceScheduler.Grpc;

/// <summary>
/// gRPC adapter of the inference scheduler: validates and plans, runs the domain simulator, maps the result; live
/// deployments in the .Live part.
/// </summary>
public sealed partial class InferenceSchedulerGrpcService(SimulationPlanner planner, CapacityPlanner capacity,
    JobStore jobs, BusPublisher bus, LiveDeployments live, LiveGeneration generation, LiveForwarder forwarder,
    ILogger<InferenceSchedulerGrpcService> log)
    : InferenceSchedulerService.InferenceSchedulerServiceBase
{
    public override Task<ListTracesResponse> ListTraces(ListTracesRequest request, ServerCallContext context)
    {
        var response = new ListTracesResponse();
        foreach (var t in BuiltInTraces.All)
        {
            var s = BuiltInTraces.Summarize(t);
            response.Traces.Add(new TraceInfo
            {
                Name = s.Name, Format = s.Format, Requests = s.Requests, SpanSeconds = s.SpanSeconds,
                MeanInputTokens = s.MeanInput, MeanOutputTokens = s.MeanOutput, Source = s.Source,
            });
        }
        return Task.FromResult(response);
    }

    public override async Task<SimulateWorkloadResponse> SimulateWorkload(SimulateWorkloadRequest request,
        ServerCallContext context)
    {
        InferenceValidators.Simulate.ThrowIfInvalid(request);
        var plan = await planner.PlanAsync(request, null, context.CancellationToken);
        return await Task.Run(() => Run(plan, context.CancellationToken), context.CancellationToken);
    }

    public override async Task<PlanCapacityResponse> PlanCapacity(PlanCapacityRequest request,
        ServerCallContext context)
    {
        InferenceValidators.Capacity.ThrowIfInvalid(request);
        var response = await capacity.PlanAsync(request, context.CancellationToken);
        log.LogInformation("Capacity plan: {Options} options of {Layouts} layouts, {Simulations} simulations in " +
                           "{Wall:F1} s", response.Options.Count, response.CandidateLayouts, response.Simulations,
            response.WallSeconds);
        return response;
    }

    public override async Task<SimulateUploadedTraceResponse> SimulateUploadedTrace(
        IAsyncStreamReader<SimulateUploadedTraceRequest> requestStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct))
            throw new InvalidFieldException("request", "the first message must carry the simulation request");
        InferenceValidators.UploadedHead.ThrowIfInvalid(requestStream.Current);
        var request = requestStream.Current.Request;
        string format = SimulateUploadedTraceRequestValidator.Format(requestStream.Current.Format);
        // Chunks flow through a bounded queue into a parser on another thread, so a large upload is never held as text.
        using var chunks = new ChunkTextReader(capacity: 16);
        // Rows past max_requests are parsed (a malformed one is still an error) but not kept; past the per-run limit
        // parsing stops with one row more than the limit, which TraceSource reports as ResourceExhausted. Memory stays
        // bounded either way.
        long maxRequests = request.Workload?.MaxRequests ?? 0;
        long keep = maxRequests > 0
            ? Math.Min(maxRequests, WorkloadSource.MaxRequestsPerRun + 1)
            : WorkloadSource.MaxRequestsPerRun + 1;
        const string field = SimulationPlanner.UploadedRowsField;
        var parse = Task.Run(() =>
        {
            if (format == "") format = chunks.Peek() == '{' ? "jsonl" : "csv";
            var rows = new List<TraceRequest>();
            foreach (var r in format == "jsonl"
                ? TraceReader.ReadJsonl(chunks, field)
                : TraceReader.ReadCsv(chunks, field))
            {
                if (rows.Count < keep) rows.Add(r);
                else if (keep > WorkloadSource.MaxRequestsPerRun) break;
            }
            chunks.Drain();
            return rows.ToArray();
        }, ct);
        try
        {
            while (await requestStream.MoveNext(ct))
            {
                var m = requestStream.Current;
                if (m.PartCase != SimulateUploadedTraceRequest.PartOneofCase.Chunk)
                    throw new InvalidFieldException("request", "only the first message may carry the request");
                if (parse.IsCompleted) break;
                chunks.Add(m.Chunk, ct);
            }
        }
        finally { chunks.Complete(); }
        var rows = await parse;
        if (rows.Length == 0) throw new InvalidFieldException(field, "the uploaded trace has no requests");
        var plan = await planner.PlanAsync(request, rows, ct);
        var result = await Task.Run(() => Run(plan, ct), ct);
        return new SimulateUploadedTraceResponse { Result = result };
    }

    /// <summary>
    /// Streams per-request results only for a run known to complete: the whole run is simulated first (input is
    /// validated before that, and any failure ends the call with an error status before a single row is sent), then
    /// the simulator, which is deterministic, replays the same run and its outcomes are streamed as they complete, then
    /// the summary of the first run. This costs a second simulation rather than memory: nothing per request is kept,
    /// however long the workload.
    /// </summary>
    public override async Task StreamSimulation(StreamSimulationRequest request,
        IServerStreamWriter<StreamSimulationResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        InferenceValidators.Stream.ThrowIfInvalid(request);
        var plan = await planner.PlanAsync(request.Request, null, ct);
        var replay = plan.Workload.Replay() ?? throw new InvalidOperationException("planned workloads are replayable");
        var summary = await Task.Run(() => Run(plan, ct), ct);

        var channel = Channel.CreateBounded<RequestOutcome>(
            new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        var run = Task.Run(() =>
        {
            try
            {
                return new Simulator(plan.Setup).Run(replay, o =>
                {
                    if (!channel.Writer.TryWrite(o)) channel.Writer.WriteAsync(o, ct).AsTask().GetAwaiter().GetResult();
                }, ct);
            }
            finally { channel.Writer.Complete(); }
        }, ct);
        await foreach (var o in channel.Reader.ReadAllAsync(ct))
        {
            await responseStream.WriteAsync(new StreamSimulationResponse
            {
                Request = new RequestResult
                {
                    Index = o.Index, ArrivalSeconds = o.ArrivalSeconds, InputTokens = o.InputTokens,
                    OutputTokens = o.OutputTokens,
                    TtftMs = o.TtftSeconds * 1e3, TpotMs = o.TpotSeconds * 1e3, E2EMs = o.E2eSeconds * 1e3,
                    SchedulingDelayMs = o.SchedulingDelaySeconds * 1e3, CachedTokens = o.CachedTokens,
                    Preemptions = o.Preemptions,
                    Replica = o.Instance, MetSlo = o.MetSlo,
                },
            }, ct);
        }
        var second = await run;
        if (second.CompletedRequests != summary.CompletedRequests
            || second.SimulatedSeconds != summary.SimulatedSeconds)
            throw new InvalidOperationException("the streamed replay diverged from the validated run " +
                $"({second.CompletedRequests} vs {summary.CompletedRequests} requests)");
        await responseStream.WriteAsync(new StreamSimulationResponse { Summary = summary }, ct);
    }

    private SimulateWorkloadResponse Run(SimulationPlan plan, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        // validates every request before simulating any
        var result = new Simulator(plan.Setup).Run(plan.Workload, null, ct);
        double wall = sw.Elapsed.TotalSeconds;
        PlatformMetrics.SimulatedRequests.Add(result.CompletedRequests);
        PlatformMetrics.SimulatedRequestRate.Record(result.RequestThroughput);
        log.LogInformation("Simulated {Requests} requests over {Simulated:F1} s in {Wall:F3} s wall",
            result.CompletedRequests, result.SimulatedSeconds, wall);
        return SimulationResponses.ToProto(result, wall, plan.Notes);
    }
}
