using Platform.Contracts.Mapping;
using Platform.Contracts.Training.V1;
using Platform.Modeling.Flops;
using Platform.ServiceDefaults;
using Domain = TrainingCost.Domain;
using RecomputeModules = TrainingCost.Domain.RecomputeModules;

namespace TrainingCost.Mapping;

/// <summary>
/// Translates between the training protos and the domain. Requests are checked first by the validators in
/// TrainingCost.Grpc.Validation; field names in the domain's errors are relative to the run (the caller nests them).
/// </summary>
public static class TrainingProtoMapping
{
    /// <summary>The request field every run-based training request carries the run in.</summary>
    public const string RunField = "run";

    /// <summary>The domain form of a run that passed <see cref="Validation.TrainingRunSpecValidator"/>; resolves the
    /// model.</summary>
    public static Domain.TrainingRunSpec ToDomain(TrainingRunSpec r)
    {
        var model = ModelSpecMapper.Resolve(r.Model, "model");
        var rel = new Domain.ReliabilityOptions();
        if (r.Reliability is { } rr)
            rel = new Domain.ReliabilityOptions(
                rr.HasMtbfHoursPerAccelerator ? rr.MtbfHoursPerAccelerator : rel.MtbfHoursPerAccelerator,
                rr.HasRestartHours ? rr.RestartHours : rel.RestartHours,
                rr.HasCheckpointWriteGbpsPerAccelerator ? rr.CheckpointWriteGbpsPerAccelerator
                    : rel.CheckpointWriteGBpsPerAccelerator,
                rr.HasCheckpointIntervalHours ? rr.CheckpointIntervalHours : rel.CheckpointIntervalHours,
                rr.HasEvaluationFraction ? rr.EvaluationFraction : rel.EvaluationFraction,
                rr.HasProductionOverheadFraction ? rr.ProductionOverheadFraction : rel.ProductionOverheadFraction);
        var energy = new Domain.EnergyOptions();
        if (r.Energy is { } e)
            energy = new Domain.EnergyOptions(
                e.HasAcceleratorWatts ? e.AcceleratorWatts : energy.AcceleratorWatts,
                e.HasServerOverhead ? e.ServerOverhead : energy.ServerOverhead,
                e.HasPue ? e.Pue : energy.Pue,
                e.HasGridKgCo2PerKwh ? e.GridKgCo2PerKwh : energy.GridKgCo2PerKwh);
        return new Domain.TrainingRunSpec
        {
            Model = model,
            TrainingTokens = r.TrainingTokens,
            SequenceLength = r.SequenceLength,
            Accelerator = r.Cluster.Accelerator ?? "",
            AcceleratorCount = (int)r.Cluster.Count,
            Precision = r.Precision switch
            {
                Precision.Fp8 => Domain.TrainingPrecision.Fp8,
                Precision.Fp16 => Domain.TrainingPrecision.Fp16,
                Precision.Bf16 or Precision.Unspecified => Domain.TrainingPrecision.Bf16,
                _ =>
                    throw new ArgumentOutOfRangeException(nameof(r), r.Precision,
                        "precision is checked by TrainingRunSpecValidator"),
            },
            PricePerAcceleratorHour = r.PricePerAcceleratorHourUsd,
            PriceTier = r.PricePreset switch
            {
                PricePreset.Low => Domain.PriceTier.Low,
                PricePreset.List => Domain.PriceTier.List,
                _ => Domain.PriceTier.Mid,
            },
            Plan = r.Parallelism is null ? null : ToDomain(r.Parallelism),
            GlobalBatchTokens = r.GlobalBatchTokens,
            Reliability = rel,
            Energy = energy,
            Objective = r.Objective == PlanObjective.MinCost ? Domain.PlanObjective.MinCost
                : Domain.PlanObjective.MinTime,
            ScaleOutGBpsOverride = r.Cluster.ScaleOutGbps,
            MaterializedAttention = r.MaterializedAttention,
            Dropout = r.Dropout,
            AllowedSchedules = r.AllowedSchedules.Count == 0 ? null : r.AllowedSchedules.Select(x => ToDomain(x)
                ?? throw new ArgumentOutOfRangeException(nameof(r), x,
                    "allowed_schedules are checked by TrainingRunSpecValidator")).Distinct().ToArray(),
        };
    }

    public static Domain.ParallelPlan ToDomain(ParallelismPlan p) => new()
    {
        TensorParallel = p.TensorParallel == 0 ? 1 : p.TensorParallel,
        ContextParallel = p.ContextParallel == 0 ? 1 : p.ContextParallel,
        ContextParallelMethod = p.ContextParallelMethod == ContextParallelMethod.AllGather
            ? Domain.ContextParallelMethod.AllGather : Domain.ContextParallelMethod.Ring,
        PipelineParallel = p.PipelineParallel == 0 ? 1 : p.PipelineParallel,
        DataParallel = p.DataParallel,
        ExpertParallel = p.ExpertParallel == 0 ? 1 : p.ExpertParallel,
        ZeroStage = p.HasZeroStage ? p.ZeroStage : 1,
        Recompute = p.Recompute switch
        {
            RecomputeMode.Full => RecomputeKind.Full,
            RecomputeMode.Selective => RecomputeKind.Selective,
            _ => RecomputeKind.None,
        },
        MicroBatch = p.MicroBatchSize == 0 ? 1 : p.MicroBatchSize,
        Schedule = ToDomain(p.PipelineSchedule) ?? Domain.PipelineSchedule.OneFOneB,
        VirtualStages = p.VirtualStages == 0 ? (p.PipelineSchedule == PipelineSchedule.Interleaved ? 2 : 1)
            : p.VirtualStages,
        Bf16OptimizerMoments = p.Bf16OptimizerMoments,
        RecomputeLayers = p.RecomputeNumLayers,
        SequenceParallel = !p.HasSequenceParallel || p.SequenceParallel,
        RecomputeModules = p.RecomputeModules.Count == 0 ? RecomputeModules.CoreAttention
            : p.RecomputeModules.Aggregate(RecomputeModules.None, (all, m) => all | ToDomain(m)),
    };

    private static RecomputeModules ToDomain(RecomputeModule m) => m switch
    {
        RecomputeModule.CoreAttention => RecomputeModules.CoreAttention,
        RecomputeModule.Norms => RecomputeModules.Norms,
        RecomputeModule.MlaUpProjection => RecomputeModules.MlaUpProjection,
        RecomputeModule.MlpActivation => RecomputeModules.MlpActivation,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "recompute_modules are checked by the validator"),
    };

    /// <summary>The domain schedule, or null for UNSPECIFIED and unknown values.</summary>
    private static Domain.PipelineSchedule? ToDomain(PipelineSchedule s) => s switch
    {
        PipelineSchedule.OneFOneB => Domain.PipelineSchedule.OneFOneB,
        PipelineSchedule.Interleaved => Domain.PipelineSchedule.Interleaved,
        PipelineSchedule.DualPipe => Domain.PipelineSchedule.DualPipe,
        _ => null,
    };

    public static ParallelismPlan ToProto(Domain.ParallelPlan p) => new()
    {
        TensorParallel = p.TensorParallel,
        ContextParallel = p.ContextParallel,
        ContextParallelMethod = p.ContextParallelMethod == Domain.ContextParallelMethod.AllGather
            ? ContextParallelMethod.AllGather : ContextParallelMethod.Ring,
        PipelineParallel = p.PipelineParallel,
        DataParallel = p.DataParallel,
        ExpertParallel = p.ExpertParallel,
        ZeroStage = p.ZeroStage,
        Recompute = p.Recompute switch
        {
            RecomputeKind.Full => RecomputeMode.Full,
            RecomputeKind.Selective => RecomputeMode.Selective,
            _ => RecomputeMode.None,
        },
        MicroBatchSize = p.MicroBatch,
        PipelineSchedule = p.Schedule switch
        {
            Domain.PipelineSchedule.Interleaved => PipelineSchedule.Interleaved,
            Domain.PipelineSchedule.DualPipe => PipelineSchedule.DualPipe,
            _ => PipelineSchedule.OneFOneB,
        },
        VirtualStages = p.VirtualStages,
        Bf16OptimizerMoments = p.Bf16OptimizerMoments,
        RecomputeNumLayers = p.RecomputeLayers,
        SequenceParallel = p.SequenceParallel,
        RecomputeModules =
        {
            new[]
            {
                (RecomputeModules.CoreAttention, RecomputeModule.CoreAttention),
                (RecomputeModules.Norms, RecomputeModule.Norms),
                (RecomputeModules.MlaUpProjection, RecomputeModule.MlaUpProjection),
                (RecomputeModules.MlpActivation, RecomputeModule.MlpActivation),
            }.Where(x => p.Recompute == RecomputeKind.Selective && p.RecomputeModules.HasFlag(x.Item1))
                .Select(x => x.Item2),
        },
    };

    public static TrainingEstimate ToProto(Domain.TrainingEstimate e)
    {
        var m = e.Memory;
        var s = e.Step;
        var r = e.Reliability;
        var proto = new TrainingEstimate
        {
            FlopsPerToken = e.Flops.ModelFlopsPerToken,
            HardwareFlopsPerToken = e.HardwareFlopsPerToken,
            TotalFlops = e.TotalModelFlops,
            Parameters = ModelSpecMapper.ToProto(e.Parameters),
            Plan = ToProto(e.Plan),
            Accelerators = e.Accelerators,
            Accelerator = e.Device.Id,
            Memory = new MemoryUsage
            {
                WeightsGb = m.WeightsGb, GradientsGb = m.GradientsGb, OptimizerGb = m.OptimizerGb,
                ActivationsGb = m.ActivationsGb,
                OtherGb = m.OtherGb, TotalGb = m.TotalGb, CapacityGb = m.CapacityGb, Fits = m.Fits,
                Reason = m.Reason ?? "",
            },
            MemoryPerAcceleratorGb = m.TotalGb,
            Fits = m.Fits,
            Step = new StepTime
            {
                StepSeconds = s.StepSeconds, ComputeSeconds = s.ComputeSeconds,
                TensorParallelSeconds = s.TensorParallelSeconds,
                ExpertParallelExposedSeconds = s.ExpertParallelExposedSeconds,
                ExpertParallelOverlappedSeconds = s.ExpertParallelOverlappedSeconds,
                PipelineP2PSeconds = s.PipelineP2pSeconds, DataParallelExposedSeconds = s.DataParallelExposedSeconds,
                DataParallelOverlappedSeconds = s.DataParallelOverlappedSeconds, BubbleSeconds = s.BubbleSeconds,
                OptimizerSeconds = s.OptimizerSeconds, MicroBatches = s.MicroBatches,
                GlobalBatchSequences = s.GlobalBatchSequences,
                ExposedCommunicationSeconds = s.ExposedCommunicationSeconds,
                OverlappedCommunicationSeconds = s.OverlappedCommunicationSeconds,
                ContextParallelExposedSeconds = s.ContextParallelExposedSeconds,
                ContextParallelOverlappedSeconds = s.ContextParallelOverlappedSeconds,
            },
            StepTimeSeconds = s.StepSeconds,
            TokensPerSecond = e.TokensPerSecond,
            ModelFlopsUtilization = e.Mfu,
            HardwareFlopsUtilization = e.Hfu,
            EffectiveUtilization = e.EffectiveUtilization,
            Reliability = new ReliabilitySummary
            {
                ClusterMtbfHours = r.ClusterMtbfHours, CheckpointSeconds = r.CheckpointSeconds,
                CheckpointIntervalHours = r.CheckpointIntervalHours, ExpectedInterruptions = r.ExpectedInterruptions,
                Goodput = r.Goodput, FailureLossFraction = r.FailureLossFraction,
                CheckpointFraction = r.CheckpointFraction, EvaluationFraction = r.EvaluationFraction,
                ProductionOverheadFraction = r.ProductionOverheadFraction,
            },
            TrainingHours = e.TrainingHours,
            WallClockDays = e.WallClockDays,
            AcceleratorHours = e.AcceleratorHours,
            PricePerAcceleratorHourUsd = e.PricePerAcceleratorHour,
            CostUsd = e.CostUsd,
            EnergyMwh = e.EnergyMwh,
            Co2Tonnes = e.Co2Tonnes,
            PeakTflops = e.Device.Peak16Tflops,
        };
        proto.FlopsBreakdown.AddRange(e.Flops.PerToken.Named()
            .Select(c => new FlopsComponent { Component = c.Name, FlopsPerToken = c.Flops }));
        return proto;
    }

    public static PlanParallelismResponse ToProto(Domain.PlanSearchResult r)
    {
        var response = new PlanParallelismResponse { CandidatesEvaluated = r.Evaluated };
        response.Plans.AddRange(r.Best.Select(ToProto));
        response.Rejections.AddRange(r.RejectionCounts.OrderByDescending(kv => kv.Value)
            .Select(kv => new RejectionSummary { Reason = kv.Key, Count = kv.Value }));
        foreach (var group in r.Rejected.GroupBy(x => x.Group).Take(10))
            response.RejectedExamples.AddRange(group.Take(3)
                .Select(x => new RejectedPlan { Plan = ToProto(x.Plan), Reason = x.Reason }));
        return response;
    }
}
