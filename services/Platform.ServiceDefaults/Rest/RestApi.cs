using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Models;

namespace Platform.ServiceDefaults.Rest;

/// <summary>
/// REST for every service: each unary RPC with a <c>google.api.http</c> option in protos/ is also a JSON route under
/// /api/v1 (gRPC JSON transcoding: the same service code, validation, errors, authentication and rate limits). With
/// Platform:OpenApi (default on) the Http endpoint serves the routes' OpenAPI document at /openapi/v1.json and a
/// browsable reference (Swagger UI, assets from its package: nothing is fetched) at /openapi. docs/REST.md lists them.
/// </summary>
public static class RestApi
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/openapi";

    /// <summary>
    /// JSON as proto3 maps it (camelCase names, enums by name); an error is a google.rpc.Status whose details (the
    /// field violations, the resource not found, ...) are written out, so the registry knows their types.
    /// </summary>
    public static void Configure(GrpcJsonTranscodingOptions options) =>
        options.TypeRegistry = TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor);

    public static bool OpenApiEnabled(IConfiguration configuration) =>
        configuration.GetValue("Platform:OpenApi", true);

    /// <summary>The OpenAPI document generator for the transcoded routes (when Platform:OpenApi is on).</summary>
    public static WebApplicationBuilder AddPlatformOpenApi(this WebApplicationBuilder builder)
    {
        if (!OpenApiEnabled(builder.Configuration)) return builder;
        builder.Services.AddGrpcSwagger();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Platform REST API",
                Version = "v1",
                Description = "Training cost, inference capacity and accelerator emulation: the gRPC services' "
                    + "unary methods as JSON routes (gRPC JSON transcoding). Errors are google.rpc.Status objects. "
                    + "With authentication on, send an API key (x-api-key header) or a bearer token.",
            });
            // Messages of the same name in two packages (training's GetJobResponse and jobs') stay apart.
            o.CustomSchemaIds(SchemaId);
            // Only the transcoded routes: health, metrics and the page are not part of the API.
            o.DocInclusionPredicate((_, api) => api.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true);
            string xml = Path.Combine(AppContext.BaseDirectory, "Platform.Contracts.xml");
            if (File.Exists(xml)) o.IncludeGrpcXmlComments(xml, includeControllerXmlComments: true);
            var key = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "x-api-key",
                Description = "An API key (Auth:ApiKeys), when Auth:Enabled is true.",
                Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = "apiKey" },
            };
            o.AddSecurityDefinition("apiKey", key);
            o.AddSecurityRequirement(new OpenApiSecurityRequirement { [key] = [] });
        });
        return builder;
    }

    /// <summary>"training.v1.GetJobResponse" for Platform.Contracts.Training.V1.GetJobResponse.</summary>
    private static string SchemaId(Type type)
    {
        const string prefix = "Platform.Contracts.";
        string ns = type.Namespace ?? "";
        string local = (type.FullName ?? type.Name)[(ns.Length == 0 ? 0 : ns.Length + 1)..]
            .Replace("+Types+", ".", StringComparison.Ordinal).Replace('+', '.');
        if (ns.StartsWith(prefix, StringComparison.Ordinal)) ns = ns[prefix.Length..].ToLowerInvariant();
        return ns.Length == 0 ? local : $"{ns}.{local}";
    }

    /// <summary>/openapi/v1.json and the reference page at /openapi (when Platform:OpenApi is on).</summary>
    public static WebApplication UsePlatformOpenApi(this WebApplication app)
    {
        if (!OpenApiEnabled(app.Configuration)) return app;
        // Only requests under /openapi go through Swagger's middleware: the rest (gRPC streams among them) skip its
        // per-request path matching.
        app.UseWhen(c => c.Request.Path.StartsWithSegments(ReferencePath, StringComparison.OrdinalIgnoreCase), b =>
        {
            b.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
            b.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint(DocumentPath, "Platform REST API v1");
                o.RoutePrefix = ReferencePath.TrimStart('/');
                o.DocumentTitle = "Platform REST API";
            });
        });
        return app;
    }
}
