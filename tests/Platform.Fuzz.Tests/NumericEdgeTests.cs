using System.Collections;
using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;

namespace Platform.Fuzz.Tests;

/// <summary>
/// Every numeric field of every unary RPC's request (nested messages, the first element of repeated fields, oneof
/// members), set in turn to NaN, ±Infinity, 0, -1, 1e308 and the type's extremes in an otherwise valid sample: the
/// answer is a deliberate status within the deadline; InvalidArgument names the field (for 0, which proto3 cannot
/// tell from unset, a field it contradicts may be named instead); a successful answer carries no NaN or Infinity
/// anywhere.
/// </summary>
public sealed class NumericEdgeTests(FuzzFactory factory, ITestOutputHelper output) : IClassFixture<FuzzFactory>
{
    /// <summary>The most one edge-case call may take; a large value must be refused before work starts.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static readonly StatusCode[] Deliberate =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition,
        StatusCode.ResourceExhausted, StatusCode.OutOfRange,
    ];

    /// <summary>A request with one field set to an edge value.</summary>
    public sealed record Case(Rpc Rpc, int Sample, string Path, object Value, IMessage Request)
    {
        public override string ToString() => $"{Rpc.FullName} (sample {Sample}) {Path} = {Show(Value)}";
    }

    [Fact]
    public async Task Every_numeric_field_at_its_edges_is_answered_deliberately_and_finitely()
    {
        var rpcs = Rpcs.Unary();
        Assert.Empty(rpcs.Where(r => r.Samples.Count == 0).Select(r => $"{r.FullName}: add a sample to Rpcs.Json"));
        var cases = rpcs.SelectMany(Cases).ToList();
        var invoker = factory.Channel.CreateCallInvoker();
        var logs = factory.Logs.Since();
        var failures = new ConcurrentQueue<string>();
        var codes = new ConcurrentDictionary<(string, StatusCode), int>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
        {
            string? failure = await Check(invoker, c, codes);
            if (failure is not null) failures.Enqueue($"{c}: {failure}");
        });
        output.WriteLine($"{cases.Count:N0} edge cases over {rpcs.Count} RPCs");
        foreach (var g in codes.GroupBy(c => c.Key.Item1).OrderBy(g => g.Key))
            output.WriteLine($"  {g.Key}: " + string.Join(", ", g.Select(c => $"{c.Key.Item2} {c.Value}")));
        foreach (var error in logs().Offending.Take(3))
            output.WriteLine(error.Text[..Math.Min(error.Text.Length, 4000)]);
        Assert.True(failures.IsEmpty,
            $"{failures.Count} edge cases failed:\n" + string.Join("\n", failures.Order(StringComparer.Ordinal)));
    }

    private static async Task<string?> Check(CallInvoker invoker, Case c,
        ConcurrentDictionary<(string, StatusCode), int> codes)
    {
        byte[] response;
        try
        {
            response = await invoker.AsyncUnaryCall(c.Rpc.Raw(), null,
                new CallOptions(deadline: DateTime.UtcNow + Deadline), c.Request.ToByteArray());
        }
        catch (RpcException e)
        {
            codes.AddOrUpdate((c.Rpc.FullName, e.StatusCode), 1, (_, n) => n + 1);
            if (e.StatusCode == StatusCode.DeadlineExceeded)
                return $"took longer than {Deadline.TotalSeconds} s (refuse it before the work starts)";
            if (!Deliberate.Contains(e.StatusCode)) return $"{e.StatusCode} '{e.Status.Detail}'";
            if (e.StatusCode != StatusCode.InvalidArgument) return null;
            var fields = e.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field).ToList()
                ?? [];
            // proto3 cannot tell 0 from unset: a 0 may take a default that another field then contradicts.
            return Names(fields, c.Path) || IsZero(c.Value) ? null
                : $"InvalidArgument does not name {c.Path}: [{string.Join(", ", fields)}] '{e.Status.Detail}'";
        }
        codes.AddOrUpdate((c.Rpc.FullName, StatusCode.OK), 1, (_, n) => n + 1);
        var answer = c.Rpc.Method.OutputType.Parser.ParseFrom(response);
        var bad = NonFinite(answer, "").Take(3).ToList();
        return bad.Count == 0 ? null : $"OK with non-finite {string.Join(", ", bad)}";
    }

    /// <summary>
    /// A violation names <paramref name="path"/>, or a part of it (a list or a message at fault as a whole, e.g.
    /// "ops[0].gemm" for a shape too large) — but not a field elsewhere in the request.
    /// </summary>
    private static bool Names(IReadOnlyList<string> fields, string path) =>
        fields.Any(f => f == path || (f.Length > 0 && (path.StartsWith(f + ".") || path.StartsWith(f + "["))));

    /// <summary>Each numeric field reachable in each sample, at each edge value.</summary>
    public static IEnumerable<Case> Cases(Rpc rpc) =>
        rpc.Samples.SelectMany((sample, i) => Fields(sample, "", m => m)
            .SelectMany(f => EdgeValues(f.Field.FieldType).Select(v =>
            {
                var request = sample.Descriptor.Parser.ParseFrom(sample.ToByteArray());
                var target = f.Locate(request);
                if (f.Field.IsRepeated) ((IList)f.Field.Accessor.GetValue(target))[0] = v;
                else f.Field.Accessor.SetValue(target, v);
                return new Case(rpc, i, f.Path, v, request);
            })));

    private sealed record NumericField(string Path, FieldDescriptor Field, Func<IMessage, IMessage> Locate);

    private static IEnumerable<NumericField> Fields(IMessage message, string prefix, Func<IMessage, IMessage> locate)
    {
        foreach (var f in message.Descriptor.Fields.InFieldNumberOrder())
        {
            string path = prefix + f.Name;
            if (f.IsMap) continue;
            if (f.FieldType == FieldType.Message)
            {
                if (f.IsRepeated)
                {
                    if (((IList)f.Accessor.GetValue(message)).Count == 0) continue;
                    var field = f;
                    foreach (var nested in Fields((IMessage)((IList)f.Accessor.GetValue(message))[0]!, path + "[0].",
                        m => (IMessage)((IList)field.Accessor.GetValue(locate(m)))[0]!))
                        yield return nested;
                }
                else if (f.Accessor.GetValue(message) is IMessage present)
                {
                    var field = f;
                    foreach (var nested in Fields(present, path + ".",
                        m => (IMessage)field.Accessor.GetValue(locate(m))))
                        yield return nested;
                }
                continue;
            }
            if (!IsNumeric(f.FieldType)) continue;
            if (f.IsRepeated)
            {
                if (((IList)f.Accessor.GetValue(message)).Count > 0)
                    yield return new NumericField(path + "[0]", f, locate);
                continue;
            }
            yield return new NumericField(path, f, locate);
        }
    }

    private static bool IsZero(object v) => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) == 0;

    private static bool IsNumeric(FieldType t) => EdgeValues(t).Length > 0;

    private static object[] EdgeValues(FieldType t) => t switch
    {
        FieldType.Double => [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -1.0, 1e308],
        FieldType.Float => [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -1f, float.MaxValue],
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => [0, -1, int.MaxValue, int.MinValue],
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 =>
            [0L, -1L, long.MaxValue, (long)int.MinValue, long.MinValue],
        FieldType.UInt32 or FieldType.Fixed32 => [0u, uint.MaxValue],
        FieldType.UInt64 or FieldType.Fixed64 => [0UL, ulong.MaxValue],
        _ => [],
    };

    /// <summary>Paths of double and float values in <paramref name="message"/> that are NaN or infinite.</summary>
    private static IEnumerable<string> NonFinite(IMessage message, string prefix)
    {
        foreach (var f in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = f.Accessor.GetValue(message);
            string path = prefix + f.Name;
            if (f.IsMap) continue;
            var items = f.IsRepeated ? ((IList)value).Cast<object>().Select((v, i) => (v, $"{path}[{i}]"))
                : [(value, path)];
            foreach (var (v, p) in items)
            {
                switch (v)
                {
                    case double d when !double.IsFinite(d): yield return $"{p} = {d}"; break;
                    case float x when !float.IsFinite(x): yield return $"{p} = {x}"; break;
                    case IMessage m:
                        foreach (var inner in NonFinite(m, p + ".")) yield return inner;
                        break;
                }
            }
        }
    }

    private static string Show(object v) => v switch
    {
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
