using System.Text.RegularExpressions;
using static Platform.Deploy.Tests.Tooling;

namespace Platform.Deploy.Tests;

/// <summary>The image and docker-compose.yml: numeric non-root user, health check, no credentials in git.</summary>
public sealed partial class ContainerFilesTests
{
    private static string Dockerfile => File.ReadAllText(Path.Combine(Root, "deploy", "docker", "Dockerfile"));

    [GeneratedRegex(@"^\s*USER\s+(\S+)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex UserInstruction();

    [Fact]
    public void The_image_runs_as_a_numeric_non_root_user()
    {
        var users = UserInstruction().Matches(Dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(users);
        string last = users[^1];
        string[] parts = last.Split(':');
        Assert.True(parts.All(p => long.TryParse(p, out _)),
            $"USER {last}: Kubernetes can verify runAsNonRoot only for a numeric uid (and gid)");
        Assert.NotEqual(0, long.Parse(parts[0]));
    }

    [Fact]
    public void The_image_has_a_health_check_and_OCI_labels()
    {
        Assert.Matches(@"(?m)^HEALTHCHECK .*--healthcheck", Dockerfile.Replace("\\\n", " "));
        foreach (string label in new[] { "title", "description", "source", "version", "revision", "licenses" })
            Assert.Contains($"org.opencontainers.image.{label}=", Dockerfile);
        Assert.Contains("ARG VERSION", Dockerfile);
        Assert.Contains("ARG REVISION", Dockerfile);
    }

    [GeneratedRegex(@"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}$")]
    private static partial Regex VariableReference();

    [GeneratedRegex("(?i)pass|secret|token|user")]
    private static partial Regex CredentialName();

    [Fact]
    public void Compose_takes_credentials_only_from_the_environment()
    {
        string text = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        Assert.DoesNotMatch(@"amqps?://[^\s/:@]+:[^\s/@]+@", text);
        var compose = LoadAll(text).Single();
        var services = Map(compose, "services");
        Assert.Contains("rabbitmq", services.Keys);
        foreach (var (name, service) in services)
        {
            var environment = Map(service, "environment");
            foreach (var (key, value) in environment)
                if (CredentialName().IsMatch(key))
                    Assert.True(value is string s && VariableReference().IsMatch(s),
                        $"docker-compose.yml: {name} sets {key} to a literal; use ${{VARIABLE}} from .env");
            foreach (var item in List(service, "environment").OfType<string>())
                Assert.False(CredentialName().IsMatch(item.Split('=')[0]) && !item.Contains("${"),
                    $"docker-compose.yml: {name} sets {item.Split('=')[0]} to a literal");
        }
        foreach (string role in new[] { "emulator", "training", "inference" })
        {
            Assert.True(Str(services[role], "read_only") == "true", $"docker-compose.yml: {role} is not read_only");
            Assert.Contains("/tmp", List(services[role], "tmpfs").OfType<string>());
        }
        Assert.NotNull(At(services["rabbitmq"], "healthcheck"));
        // State lives in PostgreSQL, shared by every role container, migrated once before the roles start.
        Assert.NotNull(At(services["postgres"], "healthcheck"));
        Assert.Contains("--migrate", List(services["migrate"], "command").OfType<string>());
        Assert.Matches(@"ConnectionStrings__Platform:[^\n]*\n?[^\n]*Password=\$\{", text);
        Assert.DoesNotMatch(@"Password=(?!\$\{)", text);
    }

    [Fact]
    public void The_env_file_is_git_ignored_and_an_example_is_committed()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".gitignore")).Select(l => l.Trim());
        Assert.True(ignored.Any(l => l is ".env" or "/.env"), ".gitignore must list .env");
        string example = File.ReadAllText(Path.Combine(Root, ".env.example"));
        Assert.Contains("RABBITMQ_DEFAULT_USER=", example);
        Assert.Contains("RABBITMQ_DEFAULT_PASS=", example);
        var (code, tracked, _) = Run("git", "ls-files", "--", ".env");
        Assert.True(code != 0 || tracked.Trim().Length == 0, ".env is committed; remove it (git rm --cached .env)");
    }
}
