using System.Diagnostics;

namespace Platform.IntegrationTests;

/// <summary>
/// A PostgreSQL cluster of one test's own (initdb into a temporary folder, pg_ctl on a free loopback port, trust
/// authentication for user "platform"), which the test may stop and start again on the same port — never the shared
/// server other tests use. Needs Debian's PostgreSQL (/usr/lib/postgresql/*/bin, as scripts/postgres.sh installs it);
/// run as root, the server runs as the postgres user. Without it the test fails saying so.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgres;

    public int Port { get; }

    /// <summary>The cluster's "postgres" database as user "platform".</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=platform;Database=postgres";

    private PrivatePostgres(string bin, string dir, bool asPostgres, int port)
    {
        _bin = bin;
        _dir = dir;
        _asPostgres = asPostgres;
        Port = port;
    }

    /// <summary>Creates the cluster and starts the server.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        string bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : null)
                .LastOrDefault() ?? ""
            : "";
        if (bin == "")
            throw new InvalidOperationException(
                "No PostgreSQL binaries in /usr/lib/postgresql/*/bin: install Debian's postgresql "
                + "(scripts/apt-install.sh postgresql) for the database outage tests");
        bool root = Environment.UserName == "root";
        string dir = Directory.CreateTempSubdirectory("platform-pg-").FullName;
        var pg = new PrivatePostgres(bin, dir, root, HostProcess.FreePort());
        if (root) await pg.RunAsync("chown", ["postgres", dir], asPostgres: false);
        await pg.RunAsync(Path.Combine(bin, "initdb"), ["-D", dir, "-A", "trust", "-U", "platform"]);
        await pg.StartServerAsync();
        return pg;
    }

    /// <summary>Starts the server (again) on the same port and waits until it accepts connections.</summary>
    public Task StartServerAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"),
        ["-D", _dir, "-l", Path.Combine(_dir, "server.log"), "-o", $"-p {Port} -k {_dir} -h 127.0.0.1", "-w",
            "start"]);

    /// <summary>Stops the server: fast shutdown (open sessions are disconnected), waiting until it is down.</summary>
    public Task StopServerAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _dir, "-m", "fast", "-w", "stop"]);

    /// <summary>
    /// Freezes the server (SIGSTOP to the postmaster and its backends): connections open at the TCP level but nothing
    /// answers, as when the database host hangs or the network drops packets.
    /// </summary>
    public Task FreezeAsync() => SignalAsync("-STOP", frozen: true);

    /// <summary>Lets a frozen server run on (SIGCONT).</summary>
    public Task ThawAsync() => SignalAsync("-CONT", frozen: false);

    private bool _frozen;

    private async Task SignalAsync(string signal, bool frozen)
    {
        string pidFile = Path.Combine(_dir, "postmaster.pid");
        int postmaster = int.Parse(File.ReadLines(pidFile).First().Trim());
        var pids = new List<string> { postmaster.ToString() };
        foreach (string pid in Directory.GetDirectories("/proc").Select(Path.GetFileName).OfType<string>()
                     .Where(p => p.All(char.IsAsciiDigit)))
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { continue; } // the process has gone
            // "pid (name) state ppid ...": the parent is the second field after the name.
            if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == postmaster.ToString()) pids.Add(pid);
        }
        await RunAsync("kill", [signal, .. pids], asPostgres: false);
        _frozen = frozen;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_frozen) await ThawAsync();
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _dir, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException) { } // already stopped
        Directory.Delete(_dir, recursive: true);
    }

    private Task RunAsync(string file, IReadOnlyList<string> args) => RunAsync(file, args, _asPostgres);

    private async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (asPostgres)
            foreach (string a in new[] { "-u", "postgres", "--", file }) psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0)
        {
            string log = Path.Combine(_dir, "server.log");
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {p.ExitCode}: {await stdout}"
                + $"{await stderr}{(File.Exists(log) ? "\n" + File.ReadAllText(log) : "")}");
        }
    }

}
