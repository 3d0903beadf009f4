using System.Globalization;
using System.Text.RegularExpressions;
using InferenceScheduler.Application.Validation;
using InferenceScheduler.Domain.Live;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Application.Live;

/// <summary>A running live deployment: its engine and what it was created from.</summary>
public sealed record LiveDeploymentEntry(string Name, string ModelName, CreateDeploymentRequest Request,
    LiveEngine Engine, string Encoding, long MaxModelLen, IReadOnlyList<string> Notes, long CreatedUnixSeconds);

/// <summary>
/// This host's live deployments. A deployment is planned exactly as SimulateWorkload plans its deployment (model,
/// layout, memory, step-time model from the emulator's profile or the request's constant model) and then runs a
/// <see cref="LiveEngine"/>. Limits, checked before anything starts: <see cref="MaxDeployments"/> per host,
/// <see cref="MaxReplicas"/> per deployment, names as <see cref="NamePattern"/>, time scale in
/// [<see cref="MinTimeScale"/>, <see cref="MaxTimeScale"/>], <see cref="MaxRequestsInFlight"/> per deployment.
/// Each deployment's scheduler runs in the process that created it (its owner); the deployment is recorded in the
/// <see cref="IDeploymentStore"/> with the owner's advertised address, so every replica lists it and forwards its
/// requests to the owner (the .Store part).
/// </summary>
public sealed partial class LiveDeployments(SimulationPlanner planner, LiveMetrics metrics, IDeploymentStore store,
    LiveOwnership owner, ILogger<LiveDeployments> log) : IDisposable
{
    public const int MaxDeployments = 16;
    public const int MaxReplicas = 16;
    public const int MaxRequestsInFlight = 4096;

    /// <summary>Priority of the replica threads of the deployments created here (Platform:Live).</summary>
    public ReplicaThreadPriority ReplicaThreadPriority { get; init; }
    public const double MinTimeScale = 0.001, MaxTimeScale = 1000;
    public const string NamePattern = "^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LiveDeploymentEntry> _byName = new(StringComparer.Ordinal);
    private int _starting;

    [GeneratedRegex(NamePattern)]
    private static partial Regex NameRegex();

    /// <summary>Checks a name (the field <paramref name="field"/>); the message never repeats it.</summary>
    public static void CheckName(string name, string field)
    {
        if (string.IsNullOrEmpty(name)) throw new InvalidFieldException(field, "is required");
        if (name.Length > 128 || !NameRegex().IsMatch(name))
            throw new InvalidFieldException(field,
                "must be 1 to 128 characters: letters, digits and . _ - : / (starting with a letter or digit)");
    }

    /// <summary>Creates the deployment, or returns the one of that name when it was created with the same settings
    /// (<c>created</c> false).</summary>
    public async Task<(DeploymentLocation Deployment, bool Created)> CreateAsync(CreateDeploymentRequest request,
        CancellationToken ct)
    {
        var req = request.Clone();
        CheckName(req.Name, "name");
        if (req.TimeScale == 0) req.TimeScale = 1;
        if (!(req.TimeScale >= MinTimeScale && req.TimeScale <= MaxTimeScale))
            throw new InvalidFieldException("time_scale",
                $"must be between {MinTimeScale} and {MaxTimeScale} (1 = real time, 0.1 = ten times faster)");
        if (req.Deployment?.Disaggregation is not null)
            throw new InvalidFieldException("deployment.disaggregation",
                "live serving runs colocated deployments: remove disaggregation");
        var sim = new SimulateWorkloadRequest
        {
            Model = req.Model, Deployment = req.Deployment, TimeModel = req.TimeModel,
            Workload = new Workload
            {
                Synthetic = new SyntheticWorkload
                {
                    Arrival = Arrival.Constant, RatePerSecond = 1, Requests = 1,
                    PromptTokens = new LengthDistribution { Fixed = 1 },
                    OutputTokens = new LengthDistribution { Fixed = 1 },
                },
            },
        };
        InferenceValidators.Simulate.ThrowIfInvalid(sim);
        if (req.Deployment!.Replicas > MaxReplicas)
            throw new LimitExceededException("deployment.replicas",
                $"a live deployment runs at most {MaxReplicas} replicas", req.Deployment.Replicas, MaxReplicas);
        lock (_gate)
            if (_byName.TryGetValue(req.Name, out var existing)) return (Local(Same(existing, req)), false);
        var stored = store.Find(req.Name);
        if (stored is not null && !owner.IsGone(stored)) return (SameStored(stored, req), false);
        lock (_gate)
        {
            if (_byName.TryGetValue(req.Name, out var existing)) return (Local(Same(existing, req)), false);
            if (_byName.Count + _starting >= MaxDeployments)
                throw new LimitExceededException("name",
                    $"this host runs at most {MaxDeployments} live deployments; delete one first",
                    _byName.Count + 1, MaxDeployments);
            _starting++;
        }
        try
        {
            var model = ModelSpecMapper.Resolve(req.Model, "model");
            var plan = await planner.PlanAsync(sim, null, ct);
            if (plan.Setup.Prefill.Instances > MaxReplicas)
                throw new LimitExceededException("deployment.data_parallel",
                    $"a live deployment runs at most {MaxReplicas} engine instances (replicas x data parallel)",
                    plan.Setup.Prefill.Instances, MaxReplicas);
            string name = req.Name;
            var engine = new LiveEngine(plan.Setup, req.TimeScale, MaxRequestsInFlight, metrics.ObserverFor(name),
                ReplicaThreadPriority);
            long maxModelLen =
                model.MaxPositionEmbeddings > 0 ? model.MaxPositionEmbeddings : engine.KvTokensPerReplica;
            var entry = new LiveDeploymentEntry(name, model.Name.Length > 0 ? model.Name : ModelLabel(req), req,
                engine, PromptTokenizer.EncodingFor(model.ModelType), maxModelLen,
                [.. plan.Notes.Where(n => !n.StartsWith("no SLO", StringComparison.Ordinal))],
                DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            lock (_gate)
            {
                if (_byName.TryGetValue(name, out var raced))
                {
                    engine.Dispose();
                    return (Local(Same(raced, req)), false);
                }
                _byName[name] = entry;
            }
            StoredDeployment? other;
            try
            {
                other = Record(entry, stored);
            }
            catch
            {
                // Not recorded (the store did not answer): not started either.
                lock (_gate) _byName.Remove(name);
                engine.Dispose();
                throw;
            }
            if (other is not null)
            {
                lock (_gate) _byName.Remove(name);
                engine.Dispose();
                return (SameStored(other, req), false);
            }
            metrics.Track(name, engine);
            log.LogInformation(
                "Live deployment {Deployment} started: {Replicas} replica(s), time scale {TimeScale}, owner {Owner}, "
                + "replica threads {Priority} (nice {Nice})", name, engine.Replicas, req.TimeScale, owner.Address,
                ReplicaThreadPriority, engine.ReplicaThreadNice?.ToString(CultureInfo.InvariantCulture) ?? "n/a");
            return (Local(entry), true);
        }
        finally
        {
            lock (_gate) _starting--;
        }
    }

    /// <summary>This process's deployment of that name, if it runs it.</summary>
    public bool TryGetLocal(string name, out LiveDeploymentEntry? entry)
    {
        lock (_gate) return _byName.TryGetValue(name, out entry);
    }

    /// <summary>This process's deployments.</summary>
    public IReadOnlyList<LiveDeploymentEntry> ListLocal()
    {
        lock (_gate) return [.. _byName.Values.OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <summary>Stops this process's deployment and removes it from the store.</summary>
    public void DeleteLocal(LiveDeploymentEntry entry)
    {
        lock (_gate)
        {
            if (!_byName.Remove(entry.Name)) return;
        }
        metrics.Forget(entry.Name);
        entry.Engine.Dispose();
        log.LogInformation("Live deployment {Deployment} deleted", entry.Name);
        try
        {
            store.Remove(entry.Name, owner.Instance);
        }
        catch (DependencyUnavailableException e)
        {
            // Stopped here all the same; other replicas see the row's owner gone once its heartbeat is old.
            log.LogWarning("Live deployment {Deployment} stays in the store: {Reason}", entry.Name, e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var e in ListLocal()) e.Engine.Dispose();
    }

    private static LiveDeploymentEntry Same(LiveDeploymentEntry existing, CreateDeploymentRequest req) =>
        existing.Request.Equals(req)
            ? existing
            : throw new PreconditionFailedException("name",
                "a live deployment of this name exists with other settings; delete it first or choose another name");

    private static string ModelLabel(CreateDeploymentRequest req) =>
        req.Model.SourceCase == Platform.Contracts.Common.V1.ModelSpec.SourceOneofCase.Preset ? req.Model.Preset : "";
}
