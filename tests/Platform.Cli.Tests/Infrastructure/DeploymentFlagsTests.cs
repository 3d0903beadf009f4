using Platform.Cli.Commands.Infer;
using Platform.Cli.Commands.Serve;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;

namespace Platform.Cli.Tests.Infrastructure;

/// <summary>The deployment flags mean the same in <c>serve create</c> and in <c>infer simulate</c>.</summary>
public sealed class DeploymentFlagsTests
{
    [Fact]
    public void Serve_create_and_infer_simulate_build_the_same_deployment_from_the_same_flags()
    {
        var live = new ServeCreateSettings
        {
            Name = "r1", Device = "h20", Replicas = 2, Tp = 8, Pp = 2, Ep = 16, Dp = 2, MaxNumSeqs = 64,
            WeightDtype = "fp8-e4m3", KvDtype = "fp8-e4m3", Price = 1.85,
        };
        var simulated = new DeploymentSettings
        {
            Device = "h20", Replicas = 2, Tp = 8, Pp = 2, Ep = 16, Dp = 2, MaxNumSeqs = 64,
            WeightDtype = "fp8-e4m3", KvDtype = "fp8-e4m3", Price = 1.85,
        };

        var d = live.Request().Deployment;
        Assert.Equal(simulated.Deployment(), d);
        Assert.Equal(("h20", 2, 8, 2, 16, 2, 64), (d.Accelerator, d.Replicas, d.TensorParallel, d.PipelineParallel,
            d.ExpertParallel, d.DataParallel, d.MaxNumSeqs));
        Assert.Equal((Dtype.Fp8E4M3, Dtype.Fp8E4M3, 1.85), (d.WeightDtype, d.KvCacheDtype, d.AcceleratorHourUsd));
    }

    [Fact]
    public void Unset_optional_flags_leave_the_servers_defaults()
    {
        var d = new ServeCreateSettings { Name = "llama" }.Request().Deployment;
        Assert.Equal(("h100-sxm", 1, 1, 1), (d.Accelerator, d.Replicas, d.TensorParallel, d.PipelineParallel));
        Assert.Equal((0, 0, 0, 0.0), (d.ExpertParallel, d.DataParallel, d.MaxNumSeqs, d.AcceleratorHourUsd));
        Assert.Equal((Dtype.Unspecified, Dtype.Unspecified), (d.WeightDtype, d.KvCacheDtype));
    }

    [Fact]
    public void A_misspelt_dtype_is_a_usage_error_naming_its_flag()
    {
        var e = Assert.Throws<CliUsageException>(() => new DeploymentSettings { KvDtype = "fp9" }.Deployment());
        Assert.Contains("--kv-dtype", e.Message);
    }
}
