using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Platform.Deploy.Tests;

/// <summary>The repository, the tools the deployment checks run (kubectl, node) and YAML as plain objects.</summary>
public static class Tooling
{
    public static string Root { get; } = FindRoot();

    /// <summary>True in CI (CI=true, as .ci/run sets it): a missing tool fails there instead of skipping.</summary>
    public static bool InCi
    {
        get
        {
            string? ci = Environment.GetEnvironmentVariable("CI");
            return !string.IsNullOrEmpty(ci) && !ci.Equals("false", StringComparison.OrdinalIgnoreCase) && ci != "0";
        }
    }

    /// <summary>The kustomize base and every overlay under deploy/k8s/overlays, relative to the root.</summary>
    public static IReadOnlyList<string> Kustomizations()
    {
        var dirs = new List<string> { "deploy/k8s/base" };
        string overlays = Path.Combine(Root, "deploy", "k8s", "overlays");
        if (Directory.Exists(overlays))
            dirs.AddRange(Directory.GetDirectories(overlays)
                .Where(d => !Path.GetFileName(d).StartsWith('.'))
                .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
                .Select(d => $"deploy/k8s/overlays/{Path.GetFileName(d)}")
                .Order(StringComparer.Ordinal));
        return dirs;
    }

    /// <summary>
    /// Path of a tool on PATH (or in the environment variable <paramref name="overrideVariable"/>). Missing: the
    /// test fails in CI, which must install it, and is skipped with the reason elsewhere.
    /// </summary>
    public static string RequireTool(string name, string overrideVariable, string why)
    {
        string? path = Environment.GetEnvironmentVariable(overrideVariable);
        if (string.IsNullOrEmpty(path))
            path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        if (path is not null && File.Exists(path)) return path;
        string message = $"{name} is not installed ({why}); .ci/run installs it";
        if (InCi) Assert.Fail($"{message}, but it is missing in CI");
        Skip.If(true, message);
        return name;
    }

    /// <summary>Runs a program in the repository root; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} took longer than 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static readonly Dictionary<string, string> Rendered = [];

    /// <summary>`kubectl kustomize DIR` (cached per directory for the test run).</summary>
    public static string Render(string dir)
    {
        lock (Rendered)
        {
            if (Rendered.TryGetValue(dir, out string? cached)) return cached;
            string kubectl = RequireTool("kubectl", "KUBECTL", "the manifests are rendered with kubectl kustomize");
            var (code, output, err) = Run(kubectl, "kustomize", Path.Combine(Root, dir));
            Assert.True(code == 0, $"kubectl kustomize {dir} failed ({code}): {err}");
            Rendered[dir] = output;
            return output;
        }
    }

    /// <summary>Every YAML document of a text, as dictionaries, lists and scalar strings.</summary>
    public static List<Dictionary<string, object?>> LoadAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => ToObject(d.RootNode))
            .OfType<Dictionary<string, object?>>().ToList();
    }

    public static object? ToObject(YamlNode node) => node switch
    {
        YamlMappingNode m => ToMap(m),
        YamlSequenceNode s => s.Children.Select(ToObject).ToList(),
        YamlScalarNode sc => sc.Value,
        _ => null,
    };

    /// <summary>A mapping, with YAML merge keys (`&lt;&lt;: *anchor`) applied: its own keys win.</summary>
    private static Dictionary<string, object?> ToMap(YamlMappingNode m)
    {
        var map = new Dictionary<string, object?>();
        foreach (var (key, value) in m.Children)
        {
            string name = ((YamlScalarNode)key).Value ?? "";
            if (name != "<<") map[name] = ToObject(value);
        }
        var merged = m.Children.Where(kv => ((YamlScalarNode)kv.Key).Value == "<<").Select(kv => kv.Value)
            .SelectMany(v => v is YamlSequenceNode seq ? seq.Children : [v]).OfType<YamlMappingNode>();
        foreach (var source in merged)
            foreach (var (name, value) in ToMap(source))
                map.TryAdd(name, value);
        return map;
    }

    /// <summary>The value at a dotted path of nested dictionaries, or null.</summary>
    public static object? At(object? node, string path)
    {
        foreach (string part in path.Split('.'))
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(part, out node)) return null;
        }
        return node;
    }

    public static string? Str(object? node, string path) => At(node, path) as string;

    public static List<object?> List(object? node, string path) => At(node, path) as List<object?> ?? [];

    public static Dictionary<string, object?> Map(object? node, string path) =>
        At(node, path) as Dictionary<string, object?> ?? [];

    public static string Name(Dictionary<string, object?> obj) => $"{Str(obj, "kind")}/{Str(obj, "metadata.name")}";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }
}
