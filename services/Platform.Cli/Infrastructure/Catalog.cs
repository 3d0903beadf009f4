using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Training.V1;

namespace Platform.Cli.Infrastructure;

/// <summary>The server's lists of names: devices, model presets, traces.</summary>
public static class Catalog
{
    /// <summary>Every device, following pages.</summary>
    public static async Task<ListDevicesResponse> AllDevicesAsync(Connection c, string? vendor, CancellationToken ct)
    {
        var client = new EmulatorService.EmulatorServiceClient(c.Invoker);
        var all = new ListDevicesResponse();
        string token = "";
        for (int page = 0; page < 1_000; page++)
        {
            var r = await client.ListDevicesAsync(new ListDevicesRequest
            { Vendor = vendor ?? "", PageSize = 1_000, PageToken = token }, c.Options(ct));
            all.Devices.Add(r.Devices);
            token = r.NextPageToken;
            if (string.IsNullOrEmpty(token)) break;
        }
        return all;
    }

    public static async Task<IReadOnlyList<string>> NamesAsync(Connection c, NameKind kind, CancellationToken ct) =>
        kind switch
        {
            NameKind.Device => [.. (await AllDevicesAsync(c, null, ct)).Devices.Select(d => d.Id)],
            NameKind.Model => [.. (await new TrainingCostService.TrainingCostServiceClient(c.Invoker)
                .ListModelPresetsAsync(new ListModelPresetsRequest(), c.Options(ct))).Presets.Select(p => p.Id)],
            NameKind.Deployment => [.. (await new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker)
                .ListDeploymentsAsync(new ListDeploymentsRequest(), c.Options(ct))).Deployments.Select(d => d.Name)],
            _ => [.. (await new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker)
                .ListTracesAsync(new ListTracesRequest(), c.Options(ct))).Traces.Select(t => t.Name)],
        };

    /// <summary>The first named value missing from its catalog, worded with suggestions; null when all exist.</summary>
    public static async Task<string?> ExplainUnknownAsync(Connection c, IEnumerable<NamedValue> named,
        CancellationToken ct)
    {
        var lists = new Dictionary<NameKind, IReadOnlyList<string>>();
        foreach (var n in named)
        {
            if (!lists.TryGetValue(n.Kind, out var names))
            {
                try { names = lists[n.Kind] = await NamesAsync(c, n.Kind, ct); }
                catch (Grpc.Core.RpcException) { return null; }
            }
            foreach (string v in n.Value!.Split(',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (!names.Contains(v, StringComparer.Ordinal))
                    return names.Count == 0 && n.Kind == NameKind.Deployment
                        ? $"{n.Flag}: no live deployment '{Connection.Clip(v)}': this host runs none. Start one with " +
                            "platform serve create NAME."
                        : Suggest.Message(n.Flag, What(n.Kind), v, names);
        }
        return null;
    }

    private static string What(NameKind k) => k switch
    {
        NameKind.Device => "device",
        NameKind.Model => "model preset",
        NameKind.Deployment => "live deployment",
        _ => "trace",
    };
}
