using System.Text.RegularExpressions;
using k8s;
using static Platform.Deploy.Tests.Tooling;

namespace Platform.Deploy.Tests;

/// <summary>
/// The rules every rendered kustomization (the base and each overlay) keeps: hardened pods, one KEDA ScaledObject
/// per target, no credentials, a PDB, gRPC probes and resource bounds per Deployment, default-deny networking.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    public static TheoryData<string> Dirs() => new(Kustomizations());

    private static List<Dictionary<string, object?>> Objects(string dir) => LoadAll(Render(dir));

    private static IEnumerable<Dictionary<string, object?>> Kind(List<Dictionary<string, object?>> all, string kind) =>
        all.Where(o => Str(o, "kind") == kind);

    private static IEnumerable<Dictionary<string, object?>> Workloads(List<Dictionary<string, object?>> all) =>
        all.Where(o => Str(o, "kind") is "Deployment" or "StatefulSet" or "DaemonSet" or "Job" or "CronJob");

    private static Dictionary<string, object?> PodSpec(Dictionary<string, object?> workload) =>
        Str(workload, "kind") == "CronJob"
            ? Map(workload, "spec.jobTemplate.spec.template.spec")
            : Map(workload, "spec.template.spec");

    private static IEnumerable<Dictionary<string, object?>> Containers(Dictionary<string, object?> pod) =>
        List(pod, "containers").Concat(List(pod, "initContainers")).OfType<Dictionary<string, object?>>();

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Renders_objects_with_known_kinds_and_fields(string dir)
    {
        string text = Render(dir);
        var docs = Regex.Split(text, @"^---\s*$", RegexOptions.Multiline).Where(d => d.Trim().Length > 0).ToList();
        Assert.NotEmpty(docs);
        foreach (string doc in docs)
        {
            var obj = LoadAll(doc).Single();
            // KubernetesClient knows the built-in kinds; strict loading fails on a field the API does not have.
            // KEDA's custom resources are checked against their schema by scripts/validate-k8s.mjs.
            if (Str(obj, "apiVersion")!.StartsWith("keda.sh/", StringComparison.Ordinal)) continue;
            var ex = Record.Exception(() => KubernetesYaml.LoadAllFromString(doc, null, strict: true));
            Assert.True(ex is null, $"{dir}: {Name(obj)} does not load strictly: {ex?.Message}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Every_pod_runs_as_a_numeric_non_root_user_with_a_read_only_root(string dir)
    {
        var workloads = Workloads(Objects(dir)).ToList();
        Assert.NotEmpty(workloads);
        foreach (var w in workloads)
        {
            var pod = PodSpec(w);
            foreach (var c in Containers(pod))
            {
                string where = $"{dir}: {Name(w)} container {Str(c, "name")}";
                string? user = Str(c, "securityContext.runAsUser") ?? Str(pod, "securityContext.runAsUser");
                Assert.True(long.TryParse(user, out long uid) && uid != 0,
                    $"{where}: runAsUser must be a number other than 0 (is '{user}')");
                string? nonRoot = Str(c, "securityContext.runAsNonRoot") ?? Str(pod, "securityContext.runAsNonRoot");
                Assert.True(nonRoot == "true", $"{where}: runAsNonRoot must be true");
                Assert.True(Str(c, "securityContext.readOnlyRootFilesystem") == "true",
                    $"{where}: readOnlyRootFilesystem must be true");
                Assert.True(Str(c, "securityContext.allowPrivilegeEscalation") == "false",
                    $"{where}: allowPrivilegeEscalation must be false");
                Assert.True(List(c, "securityContext.capabilities.drop").Contains("ALL"),
                    $"{where}: capabilities must drop ALL");
                string? seccomp = Str(c, "securityContext.seccompProfile.type")
                    ?? Str(pod, "securityContext.seccompProfile.type");
                Assert.True(seccomp == "RuntimeDefault", $"{where}: seccompProfile must be RuntimeDefault");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Each_scale_target_has_exactly_one_ScaledObject_and_no_second_autoscaler(string dir)
    {
        var all = Objects(dir);
        var scaled = Kind(all, "ScaledObject").ToList();
        Assert.NotEmpty(scaled);
        var byTarget = scaled.GroupBy(s => (Str(s, "spec.scaleTargetRef.kind") ?? "Deployment",
            Str(s, "spec.scaleTargetRef.name")));
        foreach (var g in byTarget)
            Assert.True(g.Count() == 1,
                $"{dir}: {g.Key.Item1}/{g.Key.Item2} has {g.Count()} ScaledObjects"
                + $" ({string.Join(", ", g.Select(Name))});"
                + " KEDA allows one: put several triggers in it");
        foreach (var s in scaled)
        {
            string target = Str(s, "spec.scaleTargetRef.name")!;
            Assert.True(Kind(all, "Deployment").Any(d => Str(d, "metadata.name") == target),
                $"{dir}: {Name(s)} targets a Deployment '{target}' that is not in the manifests");
        }
        foreach (var hpa in Kind(all, "HorizontalPodAutoscaler"))
        {
            string? target = Str(hpa, "spec.scaleTargetRef.name");
            Assert.False(scaled.Any(s => Str(s, "spec.scaleTargetRef.name") == target),
                $"{dir}: {Name(hpa)} and a ScaledObject both scale '{target}'");
        }
    }

    [GeneratedRegex(@"amqps?://[^\s/:@""']+:[^\s/@""']+@")]
    private static partial Regex UriWithCredentials();

    [GeneratedRegex("(?i)pass|secret|token|username|credential|api[-_]?key")]
    private static partial Regex SecretLookingName();

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void No_credentials_are_written_in_the_manifests(string dir)
    {
        string text = Render(dir);
        Assert.False(UriWithCredentials().IsMatch(text), $"{dir}: an amqp:// URI with credentials is in the manifests");
        var all = Objects(dir);
        Assert.Empty(Kind(all, "Secret").Select(Name));
        foreach (var w in Workloads(all))
            foreach (var c in Containers(PodSpec(w)))
                foreach (var env in List(c, "env").OfType<Dictionary<string, object?>>())
                {
                    string name = Str(env, "name") ?? "";
                    Assert.False(SecretLookingName().IsMatch(name) && At(env, "value") is not null,
                        $"{dir}: {Name(w)} sets {name} to a literal value; take it from a Secret (valueFrom)");
                }
        foreach (var cm in Kind(all, "ConfigMap"))
            foreach (string key in Map(cm, "data").Keys)
                Assert.False(SecretLookingName().IsMatch(key), $"{dir}: {Name(cm)} holds '{key}'; put it in a Secret");
        foreach (var s in Kind(all, "ScaledObject"))
            foreach (var t in List(s, "spec.triggers").OfType<Dictionary<string, object?>>())
            {
                if (Str(t, "type") is "cpu" or "memory") continue;
                Assert.False(string.IsNullOrEmpty(Str(t, "authenticationRef.name")),
                    $"{dir}: {Name(s)} trigger {Str(t, "metadata.queueName")} has no authenticationRef");
                foreach (string key in new[] { "host", "password", "username", "connectionString" })
                    Assert.False(Map(t, "metadata").ContainsKey(key),
                        $"{dir}: {Name(s)} trigger sets '{key}' inline;"
                        + " a TriggerAuthentication takes it from a Secret");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Every_Deployment_has_a_PDB_gRPC_probes_requests_and_limits(string dir)
    {
        var all = Objects(dir);
        var pdbs = Kind(all, "PodDisruptionBudget").ToList();
        foreach (var d in Kind(all, "Deployment"))
        {
            var labels = Map(d, "spec.template.metadata.labels");
            Assert.True(pdbs.Any(p =>
                {
                    var sel = Map(p, "spec.selector.matchLabels");
                    return sel.Count > 0 && sel.All(kv => labels.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value));
                }), $"{dir}: {Name(d)} has no PodDisruptionBudget selecting its pods");
            foreach (var c in Containers(PodSpec(d)))
            {
                string where = $"{dir}: {Name(d)} container {Str(c, "name")}";
                // Init containers (the database migration) run to completion; Kubernetes allows them no probes.
                bool init = List(PodSpec(d), "initContainers").Contains(c);
                Assert.True(init || Str(c, "livenessProbe.grpc.port") == "5080"
                    && Str(c, "livenessProbe.grpc.service") == "liveness",
                    $"{where}: livenessProbe must be grpc port 5080 service liveness");
                Assert.True(init || Str(c, "readinessProbe.grpc.port") == "5080"
                    && Str(c, "readinessProbe.grpc.service") == "readiness",
                    $"{where}: readinessProbe must be grpc port 5080 service readiness");
                Assert.True(init || At(c, "startupProbe") is not null, $"{where}: no startupProbe");
                Assert.True(!init || At(c, "livenessProbe") is null, $"{where}: an init container takes no probes");
                foreach (string bound in new[] { "requests", "limits" })
                    foreach (string res in new[] { "cpu", "memory" })
                        Assert.True(Str(c, $"resources.{bound}.{res}") is not null, $"{where}: no {bound}.{res}");
                string image = Str(c, "image") ?? "";
                Assert.True(image.Contains('@') || (image.LastIndexOf(':') > image.LastIndexOf('/')
                    && !image.EndsWith(":latest", StringComparison.Ordinal)),
                    $"{where}: image '{image}' must have a pinned tag (not latest) or a digest");
                Assert.True(Str(c, "imagePullPolicy") == "IfNotPresent",
                    $"{where}: imagePullPolicy must be IfNotPresent");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Every_role_keeps_its_state_in_the_shared_database_named_by_a_Secret(string dir)
    {
        var all = Objects(dir);
        Assert.Contains(Kind(all, "StatefulSet"), w => Str(w, "metadata.name") == "postgres");
        foreach (var d in Kind(all, "Deployment"))
            foreach (var c in Containers(PodSpec(d)))
            {
                var connection = List(c, "env").OfType<Dictionary<string, object?>>()
                    .SingleOrDefault(e => Str(e, "name") == "ConnectionStrings__Platform");
                Assert.True(connection is not null && Str(connection, "valueFrom.secretKeyRef.name") is not null,
                    $"{dir}: {Name(d)} container {Str(c, "name")} takes no ConnectionStrings__Platform from a Secret");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Every_role_requires_credentials_and_takes_its_keys_from_the_platform_auth_Secret(string dir)
    {
        var all = Objects(dir);
        var config = Map(Kind(all, "ConfigMap").Single(c => Str(c, "metadata.name") == "platform-config"), "data");
        Assert.Equal("true", config.GetValueOrDefault("Auth__Enabled")?.ToString());
        Assert.True(double.Parse(config.GetValueOrDefault("RateLimit__PermitsPerSecond")?.ToString() ?? "0",
            System.Globalization.CultureInfo.InvariantCulture) > 0, $"{dir}: no per-client rate limit");
        foreach (var d in Kind(all, "Deployment"))
        {
            var main = Containers(PodSpec(d)).First();
            Assert.True(List(main, "envFrom").OfType<Dictionary<string, object?>>()
                    .Any(e => Str(e, "secretRef.name") == "platform-auth"),
                $"{dir}: {Name(d)} takes no API key hashes from the Secret platform-auth");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void NetworkPolicies_deny_by_default_and_allow_DNS(string dir)
    {
        var policies = Kind(Objects(dir), "NetworkPolicy").ToList();
        Assert.True(policies.Any(p => Map(p, "spec.podSelector").Count == 0
            && List(p, "spec.policyTypes").Contains("Ingress") && List(p, "spec.policyTypes").Contains("Egress")
            && At(p, "spec.ingress") is null && At(p, "spec.egress") is null),
            $"{dir}: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");
        Assert.True(policies.Any(p => List(p, "spec.egress").OfType<Dictionary<string, object?>>()
            .Any(rule => List(rule, "ports").OfType<Dictionary<string, object?>>()
                .Any(port => Str(port, "port") == "53"))),
            $"{dir}: no NetworkPolicy allows DNS egress (port 53)");
    }

    [SkippableTheory]
    [MemberData(nameof(Dirs))]
    public void Workers_without_a_queue_scaler_have_a_cpu_HPA(string dir)
    {
        var all = Objects(dir);
        foreach (var d in Kind(all, "Deployment"))
        {
            string name = Str(d, "metadata.name")!;
            bool keda = Kind(all, "ScaledObject").Any(s => Str(s, "spec.scaleTargetRef.name") == name);
            bool hpa = Kind(all, "HorizontalPodAutoscaler").Any(h => Str(h, "spec.scaleTargetRef.name") == name);
            Assert.True(keda || hpa, $"{dir}: Deployment/{name} has neither a ScaledObject nor an HPA");
        }
    }

    [SkippableFact]
    public void Schema_validation_script_passes()
    {
        string node = RequireTool("node", "NODE", "scripts/validate-k8s.mjs runs on Node.js");
        RequireTool("kubectl", "KUBECTL", "scripts/validate-k8s.mjs renders with kubectl kustomize");
        if (!Directory.Exists(Path.Combine(Root, "node_modules", "kubernetes-models")))
        {
            string message = "node_modules lacks kubernetes-models: run npm ci";
            if (InCi) Assert.Fail(message);
            Skip.If(true, message);
        }
        var (code, output, err) = Run(node, "scripts/validate-k8s.mjs");
        Assert.True(code == 0, $"node scripts/validate-k8s.mjs exited {code}:\n{err}\n{output}");
        Assert.Contains("objects valid", output);
    }
}
