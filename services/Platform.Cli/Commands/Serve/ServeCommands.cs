using Platform.Cli.Infrastructure;
using Platform.Contracts.Inference.V1;
using Spectre.Console;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Serve;

/// <summary>platform serve create: starts a live deployment on virtual accelerators (CreateDeployment).</summary>
public sealed class ServeCreateCommand(CliEnvironment env) : PlatformCommand<ServeCreateSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(ServeCreateSettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, ServeCreateSettings s, CancellationToken ct)
    {
        var r = await Client(c).CreateDeploymentAsync(s.Request(), c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        o.Write(ServeShowCommand.Grid(r.Deployment));
        o.Line($"Chat with it: [bold]platform serve chat {E(r.Deployment.Name)} \"Hello\"[/]");
        return ExitCodes.Ok;
    }

    internal static InferenceSchedulerService.InferenceSchedulerServiceClient Client(Connection c) => new(c.Invoker);
}

/// <summary>platform serve list: this host's live deployments with their live figures.</summary>
public sealed class ServeListCommand(CliEnvironment env) : PlatformCommand<GlobalSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, GlobalSettings s, CancellationToken ct)
    {
        var r = await ServeCreateCommand.Client(c).ListDeploymentsAsync(new ListDeploymentsRequest(), c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        if (r.Deployments.Count == 0)
        {
            o.Line("No live deployments on this host; start one with [bold]platform serve create NAME[/].");
            return ExitCodes.Ok;
        }
        var t = Table("name", "model", "layout", "#time scale", "#waiting", "#running", "#KV use", "#tok/s",
            "#completed");
        foreach (var d in r.Deployments)
        {
            var st = d.Stats ?? new LiveDeploymentStats();
            t.AddRow(E(d.Name), E(d.Model), E(Layout(d.Deployment)), Num(d.TimeScale, 3), st.Waiting.ToString(),
                st.Running.ToString(), Pct(st.KvCacheUsage), Num(st.GenerationTokensPerSecond, 1),
                st.CompletedRequests.ToString("N0"));
        }
        o.Write(t);
        return ExitCodes.Ok;
    }

    /// <summary>"2 x h100-sxm TP1 PP1".</summary>
    public static string Layout(Deployment? d) => d is null ? "" :
        $"{Math.Max(1, d.Replicas)} x {d.Accelerator} TP{Math.Max(1, d.TensorParallel)}" +
        (d.PipelineParallel > 1 ? $" PP{d.PipelineParallel}" : "") +
        (d.DataParallel > 1 ? $" DP{d.DataParallel}" : "") + (d.ExpertParallel > 1 ? $" EP{d.ExpertParallel}" : "");
}

/// <summary>platform serve show NAME: one live deployment (GetDeployment).</summary>
public sealed class ServeShowCommand(CliEnvironment env) : PlatformCommand<DeploymentNameSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(DeploymentNameSettings s) =>
        [new("NAME", NameKind.Deployment, s.Name)];

    protected override async Task<int> RunAsync(Connection c, DeploymentNameSettings s, CancellationToken ct)
    {
        var r = await ServeCreateCommand.Client(c).GetDeploymentAsync(new GetDeploymentRequest { Name = s.Name },
            c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        o.Write(Grid(r.Deployment));
        return ExitCodes.Ok;
    }

    internal static Grid Grid(LiveDeployment d)
    {
        var g = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => g.AddRow(new Markup($"[bold]{E(k)}[/]"), new Markup(E(v)));
        var st = d.Stats ?? new LiveDeploymentStats();
        Row("name", d.Name);
        Row("model", $"{d.Model} (tokenizer {d.Tokenizer}, context {d.MaxModelLen:N0} tokens)");
        Row("layout", ServeListCommand.Layout(d.Deployment));
        Row("time scale", $"{d.TimeScale:0.###} wall s per modelled s");
        Row("KV cache", $"{d.KvCacheTokensPerReplica:N0} tokens per replica; in use {Pct(st.KvCacheUsage)}");
        Row("requests", $"{st.Waiting} waiting, {st.Running} running (at most {d.MaxRequestsInFlight:N0} in " +
            $"flight); {st.CompletedRequests:N0} completed, {st.CancelledRequests:N0} cancelled, " +
            $"{st.Preemptions:N0} preemptions");
        Row("tokens", $"{st.PromptTokens:N0} prompt, {st.GenerationTokens:N0} generated; " +
            $"{Num(st.GenerationTokensPerSecond, 1)} tok/s over the last 10 s; prefix hits " +
            Pct(st.PrefixCacheHitRate));
        Row("steps", $"{st.Steps:N0}; late-step p99 {Num(st.LateStepP99Ms, 2)} ms");
        foreach (string n in d.Notes.Take(8)) Row("note", n);
        return g;
    }
}

/// <summary>platform serve delete NAME: stops a live deployment (DeleteDeployment).</summary>
public sealed class ServeDeleteCommand(CliEnvironment env) : PlatformCommand<DeploymentNameSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(DeploymentNameSettings s) =>
        [new("NAME", NameKind.Deployment, s.Name)];

    protected override async Task<int> RunAsync(Connection c, DeploymentNameSettings s, CancellationToken ct)
    {
        var r = await ServeCreateCommand.Client(c).DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = s.Name },
            c.Options(ct));
        var o = Output(s);
        if (o.Json) o.WriteJson(r);
        else o.Line($"deleted {E(s.Name)}");
        return ExitCodes.Ok;
    }
}
