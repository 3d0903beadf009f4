using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;

namespace Platform.Cli.Infrastructure;

/// <summary>
/// The deployment flags a command declares (<c>--device</c>, <c>--replicas</c>, <c>--tp</c>, ...), each command with
/// its own defaults; <see cref="DeploymentFlagsExtensions.ToDeployment"/> turns them into the one
/// <see cref="Deployment"/> message.
/// </summary>
public interface IDeploymentFlags
{
    string Device { get; }
    int Replicas { get; }
    int Tp { get; }
    int Pp { get; }
    int? Ep { get; }
    int? Dp { get; }
    int? MaxNumSeqs { get; }
    string? WeightDtype { get; }
    string? KvDtype { get; }
    double? Price { get; }
}

public static class DeploymentFlagsExtensions
{
    /// <summary>The deployment the flags describe; unset optional flags leave the server's defaults.</summary>
    public static Deployment ToDeployment(this IDeploymentFlags f)
    {
        var d = new Deployment
        {
            Accelerator = f.Device, Replicas = f.Replicas, TensorParallel = f.Tp, PipelineParallel = f.Pp,
            ExpertParallel = f.Ep ?? 0, DataParallel = f.Dp ?? 0, MaxNumSeqs = f.MaxNumSeqs ?? 0,
            AcceleratorHourUsd = f.Price ?? 0,
        };
        if (f.WeightDtype is not null) d.WeightDtype = Parse.Enum<Dtype>("--weight-dtype", f.WeightDtype);
        if (f.KvDtype is not null) d.KvCacheDtype = Parse.Enum<Dtype>("--kv-dtype", f.KvDtype);
        return d;
    }
}
