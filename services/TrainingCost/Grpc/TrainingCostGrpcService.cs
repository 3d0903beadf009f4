using Platform.Contracts.Mapping;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Modeling;
using Platform.Modeling.Errors;
using Platform.Modeling.Flops;
using Platform.ServiceDefaults;
using TrainingCost.Caching;
using TrainingCost.Domain;
using Platform.Jobs;
using Platform.ServiceDefaults.Jobs;
using ProtoPreset = Platform.Contracts.Training.V1.ModelPreset;
using ProtoCostPoint = Platform.Contracts.Training.V1.CostPoint;

using TrainingCost.Mapping;
using Platform.ServiceDefaults.Validation;
using TrainingCost.Mapping.Validation;
using Microsoft.AspNetCore.Authorization;
using Platform.ServiceDefaults.Security;

namespace TrainingCost.Grpc;

/// <summary>gRPC adapter of the training-cost service: validates, translates, delegates to the domain.</summary>
public sealed class TrainingCostGrpcService(TrainingEstimator estimator, TrainingEstimateCache estimates, JobStore jobs,
    BusPublisher publish, IHostApplicationLifetime? lifetime = null) : TrainingCostService.TrainingCostServiceBase
{
    /// <summary>The estimate of a run, from the cache when the same run was estimated recently.</summary>
    private Task<Domain.TrainingEstimate> EstimateAsync(Domain.TrainingRunSpec spec, CancellationToken ct) =>
        estimates.GetOrEstimateAsync(spec, (s, c) => estimator.EstimateAsync(s, c), ct);

    public override Task<ListModelPresetsResponse> ListModelPresets(ListModelPresetsRequest request,
        ServerCallContext context)
    {
        var response = new ListModelPresetsResponse();
        response.Presets.AddRange(ModelPresets.All.OrderBy(p => p.Id).Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<GetModelPresetResponse> GetModelPreset(GetModelPresetRequest request,
        ServerCallContext context) =>
        Task.FromResult(new GetModelPresetResponse { Preset = ToProto(ModelPresets.Get(request.Id, "id")) });

    public override Task<CountFlopsResponse> CountFlops(CountFlopsRequest request, ServerCallContext context)
    {
        TrainingValidators.CountFlops.ThrowIfInvalid(request);
        var model = ModelSpecMapper.Resolve(request.Model, "model");
        var recompute = request.Recompute switch
        {
            RecomputeMode.Full => RecomputeKind.Full,
            RecomputeMode.Selective => RecomputeKind.Selective,
            _ => RecomputeKind.None,
        };
        var causal = FlopCounter.Training(model, request.SequenceLength, true, recompute);
        var parameters = ParameterCounter.Count(model);
        var response = new CountFlopsResponse
        {
            Parameters = ModelSpecMapper.ToProto(parameters),
            FlopsPerTokenCausal = causal.ModelFlopsPerToken,
            FlopsPerTokenNonCausal = FlopCounter.Training(model, request.SequenceLength, false).ModelFlopsPerToken,
            HardwareFlopsPerToken = causal.HardwareFlopsPerToken,
            SixNFlopsPerToken = 6.0 * parameters.Active,
        };
        response.Breakdown.AddRange(causal.PerToken.Named()
            .Select(c => new FlopsComponent { Component = c.Name, FlopsPerToken = c.Flops }));
        return Task.FromResult(response);
    }

    public override async Task<EstimateTrainingRunResponse> EstimateTrainingRun(EstimateTrainingRunRequest request,
        ServerCallContext context)
    {
        TrainingValidators.Estimate.ThrowIfInvalid(request);
        var (run, field) = EstimateRequestShape.RunOf(request);
        var estimate = await InRunAsync(() =>
            EstimateAsync(TrainingProtoMapping.ToDomain(run), context.CancellationToken), field);
        // EstimateTrainingRunResponse mirrors TrainingEstimate field for field.
        return EstimateTrainingRunResponse.Parser.ParseFrom(TrainingProtoMapping.ToProto(estimate).ToByteString());
    }

    public override async Task<PlanParallelismResponse> PlanParallelism(PlanParallelismRequest request,
        ServerCallContext context)
    {
        TrainingValidators.Plan.ThrowIfInvalid(request);
        var result = await InRunAsync(() => estimator.SearchAsync(
            TrainingProtoMapping.ToDomain(request.Run), request.TopK == 0 ? 5 : request.TopK,
            context.CancellationToken));
        return TrainingProtoMapping.ToProto(result);
    }

    public override async Task<CompareAcceleratorsResponse> CompareAccelerators(CompareAcceleratorsRequest request,
        ServerCallContext context)
    {
        TrainingValidators.Compare.ThrowIfInvalid(request);
        var run = InRun(() => TrainingProtoMapping.ToDomain(request.Run));
        var response = new CompareAcceleratorsResponse();
        for (int i = 0; i < request.Accelerators.Count; i++)
        {
            var spec = run with { Accelerator = request.Accelerators[i] };
            try
            {
                var e = await EstimateAsync(spec, context.CancellationToken);
                response.Results.Add(new AcceleratorComparison
                {
                    Accelerator = e.Device.Id, Fits = e.Memory.Fits, Reason = e.Memory.Reason ?? "",
                    Estimate = TrainingProtoMapping.ToProto(e)
                });
            }
            catch (NotFoundException e) when (e.Field == "cluster.accelerator")
            {
                throw new NotFoundException($"accelerators[{i}]", e.Kind, e.Name, e.Hint);
            }
            catch (PreconditionFailedException e)
            {
                // This device cannot run it (no plan fits, no FP8 units): a per-device answer, not a failed call.
                response.Results.Add(new AcceleratorComparison
                {
                    Accelerator = request.Accelerators[i], Fits = false, Reason = e.Reason
                });
            }
            catch (PlatformException e)
            {
                throw e.Under(TrainingProtoMapping.RunField);
            }
        }
        return response;
    }

    public override Task<ComputeOptimalResponse> ComputeOptimal(ComputeOptimalRequest request,
        ServerCallContext context)
    {
        TrainingValidators.ComputeOptimal.ThrowIfInvalid(request);
        bool budget = request.ComputeBudgetFlops != 0;
        var r = budget ? ScalingLaws.ForBudget(request.ComputeBudgetFlops)
            : ScalingLaws.ForParameters(request.Parameters);
        return Task.FromResult(new ComputeOptimalResponse
        {
            Parameters = r.Parameters,
            Tokens = r.Tokens,
            ComputeFlops = r.ComputeFlops,
            PredictedLoss = r.PredictedLoss,
            TokensPerParameter = r.TokensPerParameter,
            Method = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Chinchilla approach 3, Epoch AI refit (Besiroglu et al. 2024): L = {ScalingLaws.E} + " +
                $"{ScalingLaws.A}/N^{ScalingLaws.Alpha} + {ScalingLaws.B}/D^{ScalingLaws.Beta}, " +
                $"minimised under C = 6·N·D"),
        });
    }

    public override async Task<ProjectCostResponse> ProjectCost(ProjectCostRequest request, ServerCallContext context)
    {
        TrainingValidators.ProjectCost.ThrowIfInvalid(request);
        double cost = request.Run is null
            ? request.CostUsd
            : (await InRunAsync(() => EstimateAsync(TrainingProtoMapping.ToDomain(request.Run),
                context.CancellationToken))).CostUsd;
        int years = request.Years == 0 ? 5 : request.Years;
        double hw = request.HardwareDoublingYears == 0 ? CostProjection.DefaultHardwareDoublingYears
            : request.HardwareDoublingYears;
        double alg = request.AlgorithmicHalvingYears == 0 ? CostProjection.DefaultAlgorithmicHalvingYears
            : request.AlgorithmicHalvingYears;
        int perYear = request.PointsPerYear == 0 ? 1 : request.PointsPerYear;
        var response = new ProjectCostResponse
        {
            CostTodayUsd = cost, AnnualDecline = CostProjection.AnnualDecline(hw, alg)
        };
        response.Series.AddRange(CostProjection.Project(cost, years, hw, alg, perYear).Select(p => new ProtoCostPoint
        {
            YearsFromNow = p.YearsFromNow, CostUsd = p.CostUsd, HardwareFactor = p.HardwareFactor,
            AlgorithmicFactor = p.AlgorithmicFactor,
        }));
        return response;
    }

    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<SubmitEstimateJobResponse> SubmitEstimateJob(SubmitEstimateJobRequest request,
        ServerCallContext context)
    {
        TrainingValidators.SubmitEstimate.ThrowIfInvalid(request);
        return new SubmitEstimateJobResponse { JobId = await Submit("estimate", request.Run, 0, context) };
    }

    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<SubmitPlanJobResponse> SubmitPlanJob(SubmitPlanJobRequest request,
        ServerCallContext context)
    {
        TrainingValidators.SubmitPlan.ThrowIfInvalid(request);
        return new SubmitPlanJobResponse { JobId = await Submit("plan", request.Run, request.TopK, context) };
    }

    private async Task<string> Submit(string kind, Platform.Contracts.Training.V1.TrainingRunSpec run, int topK,
        ServerCallContext context)
    {
        // reject bad input now, not in the job
        InRun(() => TrainingEstimator.Validate(TrainingProtoMapping.ToDomain(run)));
        // With the broker unreachable nothing would run the job: refuse it now (Unavailable) rather than record it.
        publish.ThrowIfUnreachable();
        var job = await jobs.QueueAsync(kind, (id, ct) => publish.PublishAsync(new RunTrainingJob
        {
            JobId = id, Kind = kind, RunSpecJson = JsonFormatter.Default.Format(run), TopK = topK
        }, ct), context.CancellationToken);
        return job.Id.ToString();
    }

    private static T InRun<T>(Func<T> work)
    {
        try { return work(); }
        catch (PlatformException e) { throw e.Under(TrainingProtoMapping.RunField); }
    }

    private static void InRun(Action work) => InRun(() => { work(); return 0; });

    /// <summary>Runs <paramref name="work"/> on a request's run, naming its errors' fields under
    /// <paramref name="runField"/> (none for a run given at the request's top level).</summary>
    private static async Task<T> InRunAsync<T>(Func<Task<T>> work, string runField = TrainingProtoMapping.RunField)
    {
        try { return await work(); }
        catch (PlatformException e) when (runField.Length > 0) { throw e.Under(runField); }
    }

    /// <summary>The job as platform.jobs.v1.JobService/GetJob answers it, in this service's job message.</summary>
    public override Task<GetJobResponse> GetJob(GetJobRequest request, ServerCallContext context) =>
        Task.FromResult(new GetJobResponse { Job = ToProto(jobs.Get(JobProtoMapping.ParseJobId(request.JobId))) });

    /// <summary>
    /// Streams the job's snapshots until it finishes, as platform.jobs.v1.JobService/WatchJob does, in this service's
    /// job message.
    /// </summary>
    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream,
        ServerCallContext context) =>
        JobGrpcService.Watch(jobs, JobProtoMapping.ParseJobId(request.JobId),
            (j, ct) => responseStream.WriteAsync(new WatchJobResponse { Job = ToProto(j) }, ct),
            context.CancellationToken, lifetime);

    private static Job ToProto(JobSnapshot j)
    {
        var job = new Job
        {
            JobId = j.Id.ToString(),
            Kind = j.Kind,
            State = JobProtoMapping.ToProto(j.Status),
            Progress = j.Progress,
            Message = j.Message,
            ErrorField = j.ErrorField ?? "",
            ErrorReason = j.ErrorReason ?? "",
        };
        if (j.Result is Platform.Contracts.Training.V1.TrainingEstimate e) job.Estimate = e;
        if (j.Result is PlanParallelismResponse p) job.Plan = p;
        return job;
    }

    private static ProtoPreset ToProto(Platform.Modeling.ModelPreset p) => new()
    {
        Id = p.Id,
        DisplayName = p.DisplayName,
        Source = p.Source,
        Architecture = ModelSpecMapper.ToProto(p.Architecture),
        Parameters = ModelSpecMapper.ToProto(p.Parameters),
    };
}
