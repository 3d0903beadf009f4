using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Jobs.V1;
using CommonJobState = Platform.Contracts.Common.V1.JobState;

namespace Platform.Benchmarks.Inference;

/// <summary>
/// `capacity-fleet [workers...]`: one capacity plan job (SubmitCapacityPlan) on RabbitMQ (RABBITMQ_URL, default the
/// local broker) with 1 and then 3 `inference,emulator` host processes it starts itself (the Release host:
/// services/Platform.Host/bin/Release), sharing one SQLite file and a queue prefix of their own. Prints each run's wall
/// time from submit to result, probes (layouts) and simulations per second, and which processes ran the probes;
/// fails if the tables differ.
/// </summary>
internal static class CapacityFleetBenchmark
{
    // 16 layouts: four accelerators × TP 1, 2, 4, 8; the Azure conversation trace at 22 requests/s.
    private const string Plan =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"trace":"azure-conv-2023"},"targetRequestsPerSecond":22,
        "slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm","a100-80gb","h20","h800"],"tensorParallel":[1,2,4,8]},
        "maxAccelerators":64}
        """;

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        var counts = args.Length > 0 ? args.Select(int.Parse).ToArray() : [1, 3];
        string broker = Environment.GetEnvironmentVariable("RABBITMQ_URL") ?? "amqp://guest:guest@127.0.0.1:5672/";
        Console.WriteLine($"# capacity plan on the inference fleet: 16 layouts, azure-conv-2023 at 22 req/s; " +
                          $"{Environment.ProcessorCount} core(s) on this machine shared by every process");
        PlanCapacityResponse? first = null;
        int rc = 0;
        foreach (int n in counts)
        {
            string db = Path.Combine(Path.GetTempPath(), $"platform-fleet-bench-{Guid.NewGuid():N}.db");
            var settings = new Dictionary<string, string>
            {
                ["RabbitMq__Host"] = broker, ["Platform__QueuePrefix"] = $"b{Guid.NewGuid():N}"[..9],
                ["Platform__AutoDeleteQueues"] = "true", ["ConnectionStrings__Platform"] = $"Data Source={db}",
                ["Platform__Database__Provider"] = "sqlite",
            };
            var hosts = new List<Host>();
            try
            {
                for (int i = 0; i < n; i++) hosts.Add(await Host.StartAsync(settings));
                using var channel = GrpcChannel.ForAddress(hosts[0].Url);
                var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(channel);
                var jobs = new JobService.JobServiceClient(channel);
                var sw = Stopwatch.StartNew();
                string id = await SubmitAsync(client);
                Job job;
                while (true)
                {
                    job = (await jobs.GetJobAsync(new GetJobRequest { JobId = id })).Job;
                    if (job.State is CommonJobState.Succeeded or CommonJobState.Failed or CommonJobState.Cancelled)
                        break;
                    await Task.Delay(50);
                }
                double wall = sw.Elapsed.TotalSeconds;
                if (job.State != CommonJobState.Succeeded)
                {
                    Console.WriteLine($"{n} process(es): job {job.State}: {job.Error?.Reason}");
                    return 1;
                }
                var plan = job.CapacityPlan;
                var perHost = hosts.Select(h => CountProbes(h.Output, id)).ToList();
                Console.WriteLine($"{n} process(es): wall {wall:F1} s, {plan.CandidateLayouts} probes " +
                                  $"({plan.CandidateLayouts / wall:F2} probes/s), {plan.Simulations} simulations " +
                                  $"({plan.Simulations / wall:F1}/s); probes per process " +
                                  $"{string.Join(",", perHost)}; " +
                                  $"cheapest {plan.Options.FirstOrDefault()?.Layout} " +
                                  $"x{plan.Options.FirstOrDefault()?.Deployment.Replicas}");
                var table = plan.Clone();
                table.WallSeconds = 0;
                table.Notes.Clear();
                if (first is null) first = table;
                else if (!first.Equals(table))
                {
                    Console.WriteLine("  the table differs from the first run's");
                    rc = 1;
                }
            }
            finally
            {
                foreach (var h in hosts) h.Dispose();
                foreach (string f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
            }
        }
        if (rc == 0 && counts.Length > 1) Console.WriteLine("tables identical across runs");
        return rc;
    }

    /// <summary>Submits the plan; a publish that timed out on a loaded machine (Unavailable) is tried again.</summary>
    private static async Task<string> SubmitAsync(InferenceSchedulerService.InferenceSchedulerServiceClient client)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return (await client.SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest
                {
                    Plan = JsonParser.Default.Parse<PlanCapacityRequest>(Plan),
                })).JobId;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < 5)
            {
                await Task.Delay(2000);
            }
        }
    }

    private static int CountProbes(string output, string id) =>
        output.Split('\n').Count(l => l.Contains($"of job {id} done", StringComparison.Ordinal)
                                      && l.Contains("Capacity probe", StringComparison.Ordinal));

    /// <summary>One host process (roles inference,emulator) on free loopback ports.</summary>
    private sealed class Host : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        public string Url { get; }
        public string Output { get { lock (_output) return _output.ToString(); } }

        private Host(IDictionary<string, string> settings)
        {
            Url = $"http://127.0.0.1:{FreePort()}";
            string dir = HostDirectory();
            var psi = new ProcessStartInfo("dotnet", [Path.Combine(dir, "Platform.Host.dll")])
            {
                WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            psi.Environment["Platform__Roles"] = "inference,emulator";
            psi.Environment["Kestrel__Endpoints__Grpc__Url"] = Url;
            psi.Environment["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{FreePort()}";
            psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
            foreach (var (k, v) in settings) psi.Environment[k] = v;
            _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the host");
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        private void Append(string? line)
        {
            if (line is not null) lock (_output) _output.AppendLine(line);
        }

        public static async Task<Host> StartAsync(IDictionary<string, string> settings)
        {
            var host = new Host(settings);
            using var channel = GrpcChannel.ForAddress(host.Url);
            var health = new Health.HealthClient(channel);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                if (host._process.HasExited) break;
                try
                {
                    var r = await health.CheckAsync(new HealthCheckRequest { Service = "readiness" },
                        deadline: DateTime.UtcNow.AddSeconds(2));
                    if (r.Status == HealthCheckResponse.Types.ServingStatus.Serving) return host;
                }
                catch (RpcException) { }
                await Task.Delay(250);
            }
            string output = host.Output;
            host.Dispose();
            throw new InvalidOperationException($"the host did not become ready:\n{output}");
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private static string HostDirectory()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
            string host = Path.Combine(dir?.FullName ?? ".", "services", "Platform.Host", "bin", "Release", "net10.0");
            return File.Exists(Path.Combine(host, "Platform.Host.dll"))
                ? host
                : throw new InvalidOperationException($"build the host first: no Platform.Host.dll in {host}");
        }
    }
}
