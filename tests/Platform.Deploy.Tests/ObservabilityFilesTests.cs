using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Modeling.Telemetry;
using static Platform.Deploy.Tests.Tooling;

namespace Platform.Deploy.Tests;

/// <summary>
/// docker-compose.yml as Compose reads it (no Docker engine here: the YAML is checked as data, and by
/// `docker-compose config` where it is installed), and the observability profile's files under deploy/observability.
/// </summary>
public sealed partial class ObservabilityFilesTests
{
    private const string Profile = "observability";
    private static readonly string[] ObservabilityServices = ["otel-collector", "jaeger", "prometheus", "grafana"];
    private static readonly string[] Roles = ["emulator", "training", "inference"];

    private static string ComposeText => File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
    private static Dictionary<string, object?> Services => Map(LoadAll(ComposeText).Single(), "services");

    [Fact]
    public void The_observability_services_run_only_in_their_profile_and_the_platform_in_every_one()
    {
        var services = Services;
        foreach (string name in ObservabilityServices)
        {
            Assert.True(services.ContainsKey(name), $"docker-compose.yml has no {name} service");
            Assert.Equal([Profile], List(services[name], "profiles").OfType<string>());
            // UIs and APIs from this machine only.
            foreach (string port in List(services[name], "ports").OfType<string>())
                Assert.StartsWith("127.0.0.1:", port);
        }
        foreach (string name in Roles.Concat(["rabbitmq", "postgres", "migrate"]))
            Assert.Empty(List(services[name], "profiles"));
    }

    [Fact]
    public void Every_dependency_waits_on_a_condition_its_target_can_meet()
    {
        var services = Services;
        foreach (var (name, service) in services)
        {
            foreach (var (target, spec) in Map(service, "depends_on"))
            {
                Assert.True(services.ContainsKey(target), $"{name} depends on an unknown service {target}");
                string? condition = Str(spec, "condition");
                Assert.Contains(condition,
                    new[] { "service_healthy", "service_started", "service_completed_successfully" });
                if (condition == "service_healthy")
                    Assert.True(HasHealthCheck(services[target]),
                        $"{name} waits for {target} to be healthy, but {target} has no health check");
                // A service of the default set must not wait for one that only a profile starts.
                if (List(service, "profiles").Count == 0)
                    Assert.Empty(List(services[target], "profiles"));
            }
        }
        foreach (string name in new[] { "prometheus", "grafana", "rabbitmq", "postgres" })
            Assert.NotNull(At(services[name], "healthcheck.test"));
    }

    [Fact]
    public void Every_required_variable_is_in_the_env_file_template_and_the_roles_send_otlp_when_asked()
    {
        string example = File.ReadAllText(Path.Combine(Root, ".env.example"));
        foreach (Match m in RequiredVariable().Matches(ComposeText))
            Assert.Matches($"(?m)^{m.Groups[1].Value}=", example);
        Assert.Matches(@"GF_SECURITY_ADMIN_PASSWORD: *\$\{GRAFANA_ADMIN_PASSWORD:\?", ComposeText);
        foreach (string role in Roles)
        {
            string? otlp = Str(Services[role], "environment.Platform__Telemetry__OtlpEndpoint");
            Assert.Equal("${PLATFORM_OTLP_ENDPOINT:-}", otlp);
        }
        string makefile = File.ReadAllText(Path.Combine(Root, "Makefile"));
        Assert.Matches("COMPOSE_PROFILES=observability PLATFORM_OTLP_ENDPOINT=http://otel-collector:4317", makefile);
    }

    [Fact]
    public void Mounted_configuration_exists_and_wires_collector_jaeger_prometheus_and_grafana()
    {
        var services = Services;
        foreach (var (name, service) in services)
            foreach (string volume in List(service, "volumes").OfType<string>().Where(v => v.StartsWith("./")))
            {
                string local = volume.Split(':')[0];
                Assert.True(File.Exists(Path.Combine(Root, local)) || Directory.Exists(Path.Combine(Root, local)),
                    $"{name} mounts {local}, which is not in the repository");
            }
        var collector = LoadAll(Read("otel-collector.yaml")).Single();
        Assert.Equal("0.0.0.0:4317", Str(collector, "receivers.otlp.protocols.grpc.endpoint"));
        Assert.Contains("otlp/jaeger", List(collector, "service.pipelines.traces.exporters").OfType<string>());
        Assert.StartsWith("jaeger:", Str(collector, "exporters.otlp/jaeger.endpoint"));

        var prometheus = LoadAll(Read("prometheus.yml")).Single();
        var targets = List(prometheus, "scrape_configs").Where(j => Str(j, "job_name") == "platform")
            .SelectMany(j => List(j, "static_configs")).SelectMany(s => List(s, "targets")).OfType<string>();
        Assert.Equal(Roles.Select(r => $"{r}:5081").Order(), targets.Order());

        var sources = LoadAll(Read("grafana/provisioning/datasources/datasources.yaml")).Single();
        Assert.Contains("http://prometheus:9090", List(sources, "datasources").Select(d => Str(d, "url")));
        var providers = LoadAll(Read("grafana/provisioning/dashboards/dashboards.yaml")).Single();
        Assert.Equal("/var/lib/grafana/dashboards", Str(List(providers, "providers")[0], "options.path"));
        Assert.Contains(List(services["grafana"], "volumes").OfType<string>(),
            v => v.EndsWith(":/var/lib/grafana/dashboards:ro"));
    }

    [Fact]
    public void The_dashboard_charts_only_metrics_the_platform_exports()
    {
        using var doc = JsonDocument.Parse(Read("grafana/dashboards/platform.json"));
        var exprs = doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!).ToList();
        var exported = ExportedSeries();
        var charted = exprs.SelectMany(e => PlatformSeries().Matches(e).Select(m => m.Value)).ToHashSet();
        foreach (string wanted in new[]
                 {
                     "platform_rpc_server_duration_seconds", "platform_jobs", "platform_jobs_transitions_total",
                     "platform_bus_queue_lag_seconds", "platform_bus_consume_retries_total",
                     "platform_bus_consume_faults_total", "platform_inference_simulated_requests_total",
                     "platform_emulator_kernel_gflops", "platform_emulator_modelled_tflops",
                     "platform_db_command_duration_seconds",
                 })
            Assert.Contains(charted, c => c == wanted || c.StartsWith(wanted + "_"));
        foreach (string series in charted)
            Assert.True(exported.Contains(series),
                $"the dashboard charts {series}, which the platform does not export");
    }

    [SkippableFact]
    public void Docker_compose_accepts_the_file_with_the_profile_on()
    {
        string compose = RequireTool("docker-compose", "DOCKER_COMPOSE", "validates docker-compose.yml");
        var (code, _, err) = Run(compose, "--env-file", ".env.example", "-f", "docker-compose.yml", "--profile",
            Profile, "config", "-q");
        Assert.True(code == 0, $"docker-compose config: {err}");
    }

    /// <summary>The Prometheus series of the meter "Platform" (with _bucket, _count, _sum of histograms).</summary>
    private static HashSet<string> ExportedSeries()
    {
        var names = new HashSet<string>();
        var instruments = typeof(PlatformMetrics).GetFields().Select(f => f.GetValue(null)).OfType<Instrument>()
            .Select(i => (i.Name, i.Unit, Kind: i.GetType().Name)).Append(("platform.jobs", "{job}", "Gauge"));
        foreach (var (name, unit, kind) in instruments)
        {
            string n = name.Replace('.', '_') + (unit == "s" ? "_seconds" : "");
            if (kind.StartsWith("Counter")) names.Add(n + "_total");
            else if (kind.StartsWith("Histogram")) names.UnionWith([n + "_bucket", n + "_count", n + "_sum"]);
            else names.Add(n);
        }
        return names;
    }

    /// <summary>Its own healthcheck, or the platform image's HEALTHCHECK (a service built from its Dockerfile).
    /// </summary>
    private static bool HasHealthCheck(object? service)
    {
        if (Str(service, "healthcheck.disable") == "true") return false;
        if (At(service, "healthcheck.test") is not null) return true;
        return Str(service, "build.dockerfile") is { } dockerfile
               && File.ReadAllText(Path.Combine(Root, dockerfile)).Contains("\nHEALTHCHECK ");
    }

    private static string Read(string path) => File.ReadAllText(Path.Combine(Root, "deploy", Profile, path));

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*):\?")]
    private static partial Regex RequiredVariable();

    [GeneratedRegex(@"platform_[a-z_]+")]
    private static partial Regex PlatformSeries();
}
