using Grpc.Core;
using Platform.Contracts.Training.V1;
using Platform.Modeling;
using ProtoPreset = Platform.Contracts.Training.V1.ModelPreset;
using Platform.ServiceDefaults;

namespace TrainingCost.Grpc;

/// <summary>gRPC adapter of the training-cost service.</summary>
public sealed class TrainingCostGrpcService : TrainingCostService.TrainingCostServiceBase
{
    public override Task<ListModelPresetsResponse> ListModelPresets(ListModelPresetsRequest request, ServerCallContext context)
    {
        var response = new ListModelPresetsResponse();
        response.Presets.AddRange(ModelPresets.All.OrderBy(p => p.Id).Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<GetModelPresetResponse> GetModelPreset(GetModelPresetRequest request, ServerCallContext context) =>
        Task.FromResult(new GetModelPresetResponse { Preset = ToProto(ModelPresets.Get(request.Id, "id")) });

    private static ProtoPreset ToProto(Platform.Modeling.ModelPreset p) => new()
    {
        Id = p.Id,
        DisplayName = p.DisplayName,
        Source = p.Source,
        Architecture = ModelSpecMapper.ToProto(p.Architecture),
        Parameters = ModelSpecMapper.ToProto(p.Parameters),
    };
}
