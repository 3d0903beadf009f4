using System.Buffers.Binary;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Platform.Benchmarks;

/// <summary>
/// `grpc-frame TYPE JSON OUT`: writes one gRPC message frame (1 byte 0, 4-byte big-endian length, protobuf) of the
/// proto3 JSON <c>JSON</c> as message <c>TYPE</c> (full name, e.g. platform.training.v1.EstimateTrainingRunRequest)
/// to <c>OUT</c>, the request body h2load sends (scripts/load-bench.sh).
/// </summary>
public static class GrpcFrame
{
    public static int Write(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: grpc-frame TYPE JSON OUT");
            return 2;
        }
        var descriptor = Messages().FirstOrDefault(d => d.FullName == args[0]);
        if (descriptor is null)
        {
            Console.Error.WriteLine($"grpc-frame: no message {args[0]}");
            return 2;
        }
        var message = JsonParser.Default.Parse(args[1], descriptor);
        byte[] body = message.ToByteArray();
        var frame = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        File.WriteAllBytes(args[2], frame);
        Console.WriteLine($"{args[0]}: {body.Length} bytes");
        return 0;
    }

    /// <summary>Every message of the platform's contracts.</summary>
    private static IEnumerable<MessageDescriptor> Messages() =>
        typeof(Platform.Contracts.Training.V1.EstimateTrainingRunRequest).Assembly.GetTypes()
            .Where(t => typeof(IMessage).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<MessageDescriptor>();
}
