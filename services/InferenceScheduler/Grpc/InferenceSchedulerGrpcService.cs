using Grpc.Core;
using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Grpc;

/// <summary>gRPC adapter of the inference scheduler.</summary>
public sealed class InferenceSchedulerGrpcService : InferenceSchedulerService.InferenceSchedulerServiceBase
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
}
