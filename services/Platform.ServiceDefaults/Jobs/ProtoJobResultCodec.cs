using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Jobs.V1;
using Platform.Contracts.Training.V1;
using Platform.Jobs;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>
/// Stores a job's result as the protobuf message it is (TrainingEstimate, PlanParallelismResponse, KernelBatchResult,
/// PlanCapacityResponse or SimulateWorkloadResponse): its full name as the type tag and its binary encoding as the
/// bytes.
/// </summary>
public sealed class ProtoJobResultCodec : IJobResultCodec
{
    private static readonly Dictionary<string, MessageParser> Parsers = new(StringComparer.Ordinal)
    {
        [TrainingEstimate.Descriptor.FullName] = TrainingEstimate.Parser,
        [PlanParallelismResponse.Descriptor.FullName] = PlanParallelismResponse.Parser,
        [KernelBatchResult.Descriptor.FullName] = KernelBatchResult.Parser,
        [PlanCapacityResponse.Descriptor.FullName] = PlanCapacityResponse.Parser,
        [SimulateWorkloadResponse.Descriptor.FullName] = SimulateWorkloadResponse.Parser,
    };

    public (string Type, byte[] Data) Encode(object result) => result is IMessage m
        ? (m.Descriptor.FullName, m.ToByteArray())
        : throw new ArgumentException($"a job result is a protobuf message, not {result.GetType().Name}",
            nameof(result));

    public object Decode(string type, byte[] data) => Parsers.TryGetValue(type, out var parser)
        ? parser.ParseFrom(data)
        : throw new InvalidOperationException($"a stored job result has the unknown type '{type}'");
}
