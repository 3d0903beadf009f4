using Google.Protobuf;
using Platform.Modeling.Errors;

namespace Platform.Contracts.Mapping;

/// <summary>
/// Proto3 JSON carried inside bus commands (<c>opsJson</c>, <c>kernelsJson</c>, <c>runSpecJson</c>): parsed strictly
/// (unknown fields refused), and any failure — malformed JSON as well as JSON that is not the message — becomes
/// InvalidArgument on <c>field</c>, so the sender gets a rejection naming it instead of a message in <c>_error</c>.
/// </summary>
public static class ProtoJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static T Parse<T>(string? json, string field) where T : IMessage<T>, new()
    {
        try { return Parser.Parse<T>(json ?? ""); }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException
            or InvalidOperationException)
        {
            throw new InvalidFieldException(field,
                $"is not a valid {new T().Descriptor.FullName} in proto3 JSON: {PlatformException.Quote(e.Message)}");
        }
    }
}
