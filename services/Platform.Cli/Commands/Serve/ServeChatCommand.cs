using Grpc.Core;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Inference.V1;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Serve;

/// <summary>
/// platform serve chat NAME "prompt": one request to a live deployment (Generate). Prints the tokens as they arrive,
/// then the request's TTFT, TPOT and E2E; with --json every streamed event as one JSON line.
/// </summary>
public sealed class ServeChatCommand(CliEnvironment env) : PlatformCommand<ServeChatSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(ServeChatSettings s) =>
        [new("NAME", NameKind.Deployment, s.Name)];

    protected override async Task<int> RunAsync(Connection c, ServeChatSettings s, CancellationToken ct)
    {
        var client = ServeCreateCommand.Client(c);
        // Token ids are read and checked first: a bad list fails before anything is sent.
        var req = s.Request();
        var o = Output(s);
        // The deployment's time scale turns the wall latencies into modelled ones (and an unknown name fails here,
        // before anything is printed).
        var d = (await client.GetDeploymentAsync(new GetDeploymentRequest { Name = s.Name }, c.Options(ct)))
            .Deployment;
        using var call = client.Generate(req, c.Options(ct));
        GenerateFinished? finished = null;
        await foreach (var e in call.ResponseStream.ReadAllAsync(ct))
        {
            if (o.Json) { o.WriteJson(e); Env.Out.Flush(); }
            switch (e.EventCase)
            {
                case GenerateResponse.EventOneofCase.Tokens:
                    if (!o.Json) { Env.Out.Write(e.Tokens.Text); Env.Out.Flush(); }
                    break;
                case GenerateResponse.EventOneofCase.Preempted when !o.Json:
                    Env.Error.WriteLine($"[preempted at {Num(e.Preempted.ElapsedMs, 1)} ms]");
                    break;
                case GenerateResponse.EventOneofCase.Resumed when !o.Json:
                    Env.Error.WriteLine($"[resumed at {Num(e.Resumed.ElapsedMs, 1)} ms]");
                    break;
                case GenerateResponse.EventOneofCase.Finished:
                    finished = e.Finished;
                    break;
            }
        }
        if (finished is null)
            throw new RpcException(new Status(StatusCode.Unavailable, "the stream ended before the request finished"));
        if (!o.Json)
        {
            Env.Out.WriteLine();
            Env.Out.WriteLine(Summary(finished, d.TimeScale));
        }
        return ExitCodes.Ok;
    }

    /// <summary>The request's latencies (wall ms; modelled ms too when the deployment runs scaled) and usage.</summary>
    public static string Summary(GenerateFinished f, double timeScale)
    {
        string Ms(double wall) => timeScale is > 0 and not 1
            ? $"{Num(wall, 1)} ms ({Num(wall / timeScale, 1)} modelled)"
            : $"{Num(wall, 1)} ms";
        var u = f.Usage ?? new GenerateUsage();
        return $"TTFT {Ms(f.TtftMs)} · TPOT {Ms(f.TpotMs)} · E2E {Ms(f.E2EMs)} · queue {Ms(f.QueueMs)}\n" +
            $"{u.CompletionTokens} tokens generated; prompt {u.PromptTokens} ({u.CachedTokens} cached); " +
            $"{f.Preemptions} preemptions; replica {f.Replica}; finish {f.FinishReason}";
    }
}
