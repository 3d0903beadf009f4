using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace Platform.Architecture.Tests;

/// <summary>
/// The domain is a compiled boundary: the modeling library and each service's domain project know nothing of
/// gRPC, protobuf, MassTransit or ASP.NET Core; transport adapters sit in the service projects beside them.
/// </summary>
public sealed partial class DomainBoundaryTests
{
    private static readonly string[] Transport =
        ["Grpc", "Google.Protobuf", "Google.Rpc", "MassTransit", "Microsoft.AspNetCore", "Platform.Contracts"];

    /// <summary>Each domain project: its assembly and its folder.</summary>
    public static TheoryData<string, string> Domains() => new()
    {
        { "Platform.Modeling", "services/Platform.Modeling" },
        { "Platform.Jobs", "services/Platform.Jobs" },
        { "TrainingCost.Domain", "services/TrainingCost.Domain" },
        { "InferenceScheduler.Domain", "services/InferenceScheduler.Domain" },
        { "HardwareEmulator.Domain", "services/HardwareEmulator.Domain" },
        { "HardwareEmulator.Kernels", "services/HardwareEmulator.Kernels" },
    };

    /// <summary>Persistence libraries: the database adapters live in services/Platform.Persistence.</summary>
    private static readonly string[] Infrastructure =
        ["Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Npgsql"];

    private static Assembly Load(string name) => Assembly.Load(name);

    [Theory]
    [MemberData(nameof(Domains))]
    public void Domain_types_depend_on_no_database_library(string assembly, string _)
    {
        var result = Types.InAssembly(Load(assembly)).ShouldNot().HaveDependencyOnAny(Infrastructure).GetResult();
        Assert.True(result.IsSuccessful,
            $"{assembly} types depend on a database library: {string.Join(", ", result.FailingTypeNames ?? [])}");
        var references = Load(assembly).GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, r => Infrastructure.Any(t => r.StartsWith(t, StringComparison.Ordinal)));
        Assert.DoesNotContain(references, r => r == "Platform.Persistence");
    }

    [Theory]
    [MemberData(nameof(Domains))]
    public void Domain_types_depend_on_no_transport(string assembly, string _)
    {
        var result = Types.InAssembly(Load(assembly)).ShouldNot().HaveDependencyOnAny(Transport).GetResult();
        Assert.True(result.IsSuccessful,
            $"{assembly} types depend on transport: {string.Join(", ", result.FailingTypeNames ?? [])}");
        var references = Load(assembly).GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, r => Transport.Any(t => r.StartsWith(t, StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Domains))]
    public void Domain_sources_and_projects_name_no_transport(string assembly, string folder)
    {
        string dir = Path.Combine(RepoRoot(), folder);
        foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f)))
            foreach (var line in File.ReadLines(file))
                Assert.False(TransportUsing().IsMatch(line),
                    $"{Path.GetRelativePath(RepoRoot(), file)}: '{line.Trim()}' "
                    + "— domain code must not use transport types");
        string project = File.ReadAllText(Path.Combine(dir, assembly + ".csproj"));
        Assert.DoesNotContain("PackageReference", project);
        Assert.DoesNotContain("Microsoft.AspNetCore.App", project);
        foreach (var adapter in new[] { "Platform.Contracts", "Platform.ServiceDefaults", "Platform.EmulatorClient" })
            Assert.DoesNotContain(adapter + ".csproj", project);
    }

    [Theory]
    [InlineData("TrainingCost", "TrainingCost.Messaging", "TrainingCost.Grpc")]
    [InlineData("InferenceScheduler", "InferenceScheduler.Messaging", "InferenceScheduler.Grpc")]
    [InlineData("HardwareEmulator", "HardwareEmulator.Messaging", "HardwareEmulator.Grpc")]
    public void Bus_consumers_call_the_application_layer_not_the_grpc_adapters(string assembly, string consumers,
        string grpc)
    {
        var result = Types.InAssembly(Load(assembly)).That().ResideInNamespace(consumers)
            .ShouldNot().HaveDependencyOn(grpc).GetResult();
        Assert.True(result.IsSuccessful,
            $"consumers depending on gRPC adapters: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Theory]
    [InlineData("TrainingCost")]
    [InlineData("InferenceScheduler")]
    public void Only_the_emulator_client_talks_to_the_emulator(string assembly)
    {
        var result = Types.InAssembly(Load(assembly))
            .ShouldNot().HaveDependencyOn("Platform.Contracts.Emulator.V1.EmulatorService").GetResult();
        Assert.True(result.IsSuccessful,
            $"{assembly} calls the emulator directly: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void One_op_vocabulary_every_op_type_lives_in_the_modeling_library()
    {
        string[] assemblies = ["Platform.Modeling", "Platform.Contracts", "Platform.EmulatorClient", "TrainingCost",
            "TrainingCost.Domain",
            "InferenceScheduler", "InferenceScheduler.Domain", "HardwareEmulator", "HardwareEmulator.Domain"];
        var opTypes = assemblies.SelectMany(a => Load(a).GetTypes())
            .Where(t => OpTypeName().IsMatch(t.Name) && !t.Name.Contains('<'))
            .Where(t => t.Namespace is not null
                && !t.Namespace.StartsWith("Platform.Contracts.Emulator.V1", StringComparison.Ordinal)) // wire messages
            .Select(t => t.FullName!)
            .ToList();
        Assert.All(opTypes, t => Assert.StartsWith("Platform.Modeling.Ops.", t));
        Assert.Contains("Platform.Modeling.Ops.GemmShape", opTypes);
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above the test's folder");
    }

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?"
        + @"(Grpc|Google\.Protobuf|Google\.Rpc|MassTransit|Microsoft\.AspNetCore|Platform\.Contracts)\b")]
    private static partial Regex TransportUsing();

    [GeneratedRegex(@"(Gemm|Attention|Collective|Elementwise)(Op|OpSpec|Shape)$")]
    private static partial Regex OpTypeName();
}
