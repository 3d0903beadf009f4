using Platform.Contracts.Common.V1;
using Platform.Modeling;
using Platform.Modeling.Errors;
using DomainArch = Platform.Modeling.ModelArchitecture;
using ProtoArch = Platform.Contracts.Common.V1.ModelArchitecture;

namespace Platform.Contracts.Mapping;

/// <summary>
/// Resolves a <see cref="ModelSpec"/> (preset, config.json text or explicit architecture) to the domain architecture.
/// </summary>
public static class ModelSpecMapper
{
    public static DomainArch Resolve(ModelSpec? spec, string field = "model")
    {
        if (spec is null)
            throw new InvalidFieldException(field, "is required: give preset, hf_config_json or architecture");
        return spec.SourceCase switch
        {
            ModelSpec.SourceOneofCase.Preset => ModelPresets.Get(spec.Preset, $"{field}.preset").Architecture,
            ModelSpec.SourceOneofCase.HfConfigJson =>
                HfConfigParser.Parse(spec.HfConfigJson, $"{field}.hf_config_json"),
            ModelSpec.SourceOneofCase.Architecture =>
                ArchitectureValidator.Validate(ToDomain(spec.Architecture), $"{field}.architecture"),
            _ => throw new InvalidFieldException(field, "is empty: give preset, hf_config_json or architecture"),
        };
    }

    public static DomainArch ToDomain(ProtoArch a) => new()
    {
        Name = string.IsNullOrEmpty(a.Name) ? "custom" : a.Name,
        ModelType = string.IsNullOrEmpty(a.ModelType) ? "llama" : a.ModelType,
        HiddenSize = a.HiddenSize,
        NumLayers = a.NumHiddenLayers,
        NumAttentionHeads = a.NumAttentionHeads,
        NumKeyValueHeads = a.NumKeyValueHeads,
        HeadDim = a.HeadDim,
        IntermediateSize = a.IntermediateSize,
        VocabSize = a.VocabSize,
        TieWordEmbeddings = a.TieWordEmbeddings,
        MaxPositionEmbeddings = a.MaxPositionEmbeddings,
        SlidingWindow = a.SlidingWindow,
        NumNextnPredictLayers = a.NumNextnPredictLayers,
        AttentionBias = a.AttentionBias,
        GatedMlp = !a.PlainMlp,
        ParallelBlock = a.ParallelBlock,
        Moe = a.Moe is { NRoutedExperts: > 0 } m
            ? new Platform.Modeling.MoeConfig
            {
                RoutedExperts = m.NRoutedExperts,
                ExpertsPerToken = m.NumExpertsPerTok,
                SharedExperts = m.NSharedExperts,
                ExpertIntermediateSize = m.MoeIntermediateSize == 0 ? a.IntermediateSize : m.MoeIntermediateSize,
                FirstKDenseReplace = m.FirstKDenseReplace,
                NumGroups = m.NGroup,
                TopKGroups = m.TopkGroup,
            }
            : null,
        Mla = a.Mla is { KvLoraRank: > 0 } l
            ? new Platform.Modeling.MlaConfig
            {
                QLoraRank = l.QLoraRank,
                KvLoraRank = l.KvLoraRank,
                QkNopeHeadDim = l.QkNopeHeadDim,
                QkRopeHeadDim = l.QkRopeHeadDim,
                VHeadDim = l.VHeadDim,
            }
            : null,
    };

    public static ProtoArch ToProto(DomainArch a) => new()
    {
        Name = a.Name,
        ModelType = a.ModelType,
        HiddenSize = a.HiddenSize,
        NumHiddenLayers = a.NumLayers,
        NumAttentionHeads = a.NumAttentionHeads,
        NumKeyValueHeads = a.NumKeyValueHeads,
        HeadDim = a.EffectiveHeadDim,
        IntermediateSize = a.IntermediateSize,
        VocabSize = a.VocabSize,
        TieWordEmbeddings = a.TieWordEmbeddings,
        MaxPositionEmbeddings = a.MaxPositionEmbeddings,
        SlidingWindow = a.SlidingWindow,
        NumNextnPredictLayers = a.NumNextnPredictLayers,
        AttentionBias = a.AttentionBias,
        PlainMlp = !a.GatedMlp,
        ParallelBlock = a.ParallelBlock,
        Moe = a.Moe is { } m
            ? new Platform.Contracts.Common.V1.MoeConfig
            {
                NRoutedExperts = m.RoutedExperts,
                NumExpertsPerTok = m.ExpertsPerToken,
                NSharedExperts = m.SharedExperts,
                MoeIntermediateSize = m.ExpertIntermediateSize,
                FirstKDenseReplace = m.FirstKDenseReplace,
                NGroup = m.NumGroups,
                TopkGroup = m.TopKGroups,
            }
            : null,
        Mla = a.Mla is { } l
            ? new Platform.Contracts.Common.V1.MlaConfig
            {
                QLoraRank = l.QLoraRank,
                KvLoraRank = l.KvLoraRank,
                QkNopeHeadDim = l.QkNopeHeadDim,
                QkRopeHeadDim = l.QkRopeHeadDim,
                VHeadDim = l.VHeadDim,
            }
            : null,
    };

    public static ParameterCounts ToProto(ParameterBreakdown p) => new()
    {
        Total = p.Total, Active = p.Active, Embedding = p.Embedding, Mtp = p.Mtp,
    };
}
