using Google.Rpc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Modeling.Errors;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

public sealed class ErrorMappingInterceptorTests
{
    private static readonly ErrorMappingInterceptor Interceptor = new(NullLogger<ErrorMappingInterceptor>.Instance);

    private static async Task<RpcException> Call(Exception thrown)
    {
        return await Assert.ThrowsAsync<RpcException>(() => Interceptor.UnaryServerHandler<string, string>(
            "request", new TestCallContext(), (_, _) => throw thrown));
    }

    [Fact]
    public async Task Invalid_field_becomes_invalid_argument_with_a_bad_request_violation()
    {
        var e = await Call(new InvalidFieldException("cluster.count", "must be positive (got 0)"));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("cluster.count", violation.Field);
        Assert.Equal("must be positive (got 0)", violation.Description);
    }

    [Fact]
    public async Task Messages_never_grow_with_the_caller_s_input()
    {
        string huge = new('x', 20_000);
        var notFound = await Call(new NotFoundException("id", "device", huge));
        Assert.True(notFound.Status.Detail.Length < 200, notFound.Status.Detail);
        Assert.Contains("(20,000 characters)", notFound.Status.Detail);
        Assert.True(notFound.GetRpcStatus()!.GetDetail<ResourceInfo>()!.ResourceName.Length < 200);

        var many = Enumerable.Range(0, 500).Select(i => new FieldViolation($"ops[{i}].gemm.k", huge)).ToArray();
        var invalid = await Call(new InvalidFieldException(many));
        Assert.True(invalid.Status.Detail.Length <= ErrorMappingInterceptor.MaxMessageChars);
        var violations = invalid.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Equal(50, violations.Count);
        Assert.All(violations, v => Assert.True(v.Description.Length <= 512));
    }

    [Fact]
    public async Task Several_invalid_fields_become_one_violation_each_in_order()
    {
        var e = await Call(new InvalidFieldException([
            new FieldViolation("run.training_tokens", "is required and must be positive"),
            new FieldViolation("run.cluster.count", "must be positive (got 0)"),
        ]));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violations = e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Equal(["run.training_tokens", "run.cluster.count"], violations.Select(v => v.Field));
        Assert.Equal("must be positive (got 0)", violations[1].Description);
        Assert.Equal("run.training_tokens (run.trainingTokens): is required and must be positive; "
            + "run.cluster.count: must be positive (got 0)", e.Status.Detail);
    }

    [Fact]
    public async Task Unknown_name_becomes_not_found_with_resource_info()
    {
        var e = await Call(new NotFoundException("device", "device", "h900"));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ResourceInfo>()!;
        Assert.Equal("h900", info.ResourceName);
        Assert.Contains("device", e.Status.Detail);
    }

    [Fact]
    public async Task Unmet_precondition_becomes_failed_precondition()
    {
        var e = await Call(new PreconditionFailedException("deployment", "needs 141 GB, 80 GB available"));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal("deployment", e.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations[0].Subject);
    }

    [Fact]
    public async Task Limit_becomes_resource_exhausted()
    {
        var e = await Call(new LimitExceededException("inputs", "too many elements", 2e9, 1e8));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("inputs", e.GetRpcStatus()!.GetDetail<QuotaFailure>()!.Violations[0].Subject);
    }

    [Fact]
    public async Task Unexpected_exception_is_internal_without_its_text()
    {
        var e = await Call(new InvalidOperationException("secret stack detail"));
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.DoesNotContain("secret", e.Status.Detail);
    }

    [Fact]
    public async Task Streaming_handlers_map_errors_too()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Interceptor.ServerStreamingServerHandler<string, string>(
            "request", null!, new TestCallContext(),
            (_, _, _) => throw new InvalidFieldException("workload.trace", "is empty")));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task A_write_after_the_caller_went_away_ends_cancelled_without_an_error_log()
    {
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        var log = new ErrorCountingLogger();
        var e = await Assert.ThrowsAsync<RpcException>(() => new ErrorMappingInterceptor(log)
            .ServerStreamingServerHandler<string, string>("request", null!, new TestCallContext(gone.Token),
                (_, _, _) => throw new InvalidOperationException(
                    "Can't write the message because the request is complete.")));
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Equal(0, log.Errors);
        // The same exception while the caller is still there is a fault of the server.
        var fault = await Assert.ThrowsAsync<RpcException>(() => new ErrorMappingInterceptor(log)
            .ServerStreamingServerHandler<string, string>("request", null!, new TestCallContext(),
                (_, _, _) => throw new InvalidOperationException("broken")));
        Assert.Equal(StatusCode.Internal, fault.StatusCode);
        Assert.Equal(1, log.Errors);
    }

    private sealed class ErrorCountingLogger : ILogger<ErrorMappingInterceptor>
    {
        public int Errors;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) Errors++;
        }
    }

    [Fact]
    public async Task Rpc_exceptions_pass_through_unchanged()
    {
        var original = new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "emulator down"));
        var e = await Call(original);
        Assert.Same(original, e);
    }
}
