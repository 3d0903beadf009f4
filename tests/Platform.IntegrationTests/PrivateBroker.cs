using System.Diagnostics;
using Testcontainers.RabbitMq;

namespace Platform.IntegrationTests;

/// <summary>
/// A RabbitMQ broker of the fault tests' own, which they stop and start (the shared broker of the other tests is never
/// touched): a private node of Debian's rabbitmq-server (own node name, ports and folders in a temporary directory,
/// no plugins), or with PLATFORM_TEST_BROKER=testcontainers (or no rabbitmq-server but a Docker daemon) a
/// Testcontainers container. Without either the tests fail saying so; they never skip.
/// </summary>
public sealed class PrivateBroker : IAsyncLifetime
{
    private static readonly string[] BinaryFolders = ["/usr/lib/rabbitmq/bin", "/usr/sbin"];
    private RabbitMqContainer? _container;
    private string? _folder;
    private string? _binaries;

    /// <summary>The node name (native node only), e.g. fault-1a2b3c4d@localhost.</summary>
    public string Node { get; } = $"fault-{Guid.NewGuid():N}"[..14] + "@localhost";

    /// <summary>amqp:// URI of the broker.</summary>
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        bool containers = Environment.GetEnvironmentVariable("PLATFORM_TEST_BROKER") == "testcontainers";
        _binaries = BinaryFolders.FirstOrDefault(d => File.Exists(Path.Combine(d, "rabbitmq-server")));
        if (!containers && _binaries is not null)
        {
            await StartNodeAsync();
            return;
        }
        if (containers || File.Exists("/var/run/docker.sock"))
        {
            _container = new RabbitMqBuilder("rabbitmq:3.13-alpine").Build();
            await _container.StartAsync();
            Url = _container.GetConnectionString();
            return;
        }
        throw new InvalidOperationException(
            "The broker fault tests need a RabbitMQ they may stop: install rabbitmq-server (Debian: apt-get install "
            + "rabbitmq-server; its binaries in /usr/lib/rabbitmq/bin or /usr/sbin) or run a Docker daemon "
            + "(PLATFORM_TEST_BROKER=testcontainers).");
    }

    private async Task StartNodeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("platform-fault-broker-").FullName;
        File.WriteAllText(Path.Combine(_folder, "enabled_plugins"), "[]."); // no management plugin
        int amqpPort = HostProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["RABBITMQ_NODENAME"] = Node,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = amqpPort.ToString(),
            ["RABBITMQ_DIST_PORT"] = HostProcess.FreePort().ToString(),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_folder, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_folder, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(_folder, "rabbit.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_folder, "enabled_plugins"),
        };
        // The detached node keeps what it inherits: no pipes to it (its log goes to the folder).
        await RunAsync("rabbitmq-server", ["-detached"], env, capture: false);
        // `wait` follows the pid file until the node has booted (await_startup needs the node already up).
        await RabbitmqctlAsync("wait", Path.Combine(_folder, "rabbit.pid"), "--timeout", "90");
        await RabbitmqctlAsync("await_startup");
        Url = $"amqp://guest:guest@127.0.0.1:{amqpPort}/";
    }

    /// <summary>Stops the broker application (every connection drops; durable queues and their messages stay).
    /// </summary>
    public Task StopAppAsync() => _container is not null ? ExecAsync("stop_app") : RabbitmqctlAsync("stop_app");

    /// <summary>Starts the broker application again and waits until it accepts connections.</summary>
    public async Task StartAppAsync()
    {
        if (_container is not null)
        {
            await ExecAsync("start_app");
            await ExecAsync("await_startup");
            return;
        }
        await RabbitmqctlAsync("start_app");
        await RabbitmqctlAsync("await_startup");
    }

    /// <summary>Queues on the broker with their ready message counts (rabbitmqctl list_queues).</summary>
    public async Task<IReadOnlyDictionary<string, long>> ListQueuesAsync()
    {
        string output = _container is not null
            ? await ExecAsync("list_queues", "-q", "name", "messages_ready")
            : await RabbitmqctlAsync("list_queues", "-q", "name", "messages_ready");
        var queues = new Dictionary<string, long>();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string line in lines)
        {
            string[] parts = line.Split('\t', ' ');
            if (parts.Length >= 2 && long.TryParse(parts[^1], out long n)) queues[parts[0]] = n;
        }
        return queues;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
        if (_folder is null) return;
        try
        {
            await RabbitmqctlAsync("stop");
        }
        catch (InvalidOperationException)
        {
            // Not answering: end the node's own process (its pid file), nothing else.
            string pidFile = Path.Combine(_folder, "rabbit.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid))
                try { Process.GetProcessById(pid).Kill(); }
                catch (ArgumentException) { } // already gone
        }
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<string> ExecAsync(params string[] args)
    {
        var r = await _container!.ExecAsync(["rabbitmqctl", .. args]);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)}: {r.Stderr}{r.Stdout}");
        return r.Stdout;
    }

    private Task<string> RabbitmqctlAsync(params string[] args) => RunAsync("rabbitmqctl", ["-n", Node, .. args]);

    private async Task<string> RunAsync(string tool, string[] args, IDictionary<string, string>? env = null,
        bool capture = true)
    {
        var psi = new ProcessStartInfo(Path.Combine(_binaries!, tool), args)
        {
            RedirectStandardOutput = capture, RedirectStandardError = capture, UseShellExecute = false,
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = capture ? p.StandardOutput.ReadToEndAsync() : Task.FromResult("");
        var stderr = capture ? p.StandardError.ReadToEndAsync() : Task.FromResult("");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0)
            throw new InvalidOperationException(
                $"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

}
