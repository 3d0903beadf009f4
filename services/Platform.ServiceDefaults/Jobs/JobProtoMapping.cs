using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Jobs.V1;
using PlanParallelismResponse = Platform.Contracts.Training.V1.PlanParallelismResponse;
using ProtoTrainingEstimate = Platform.Contracts.Training.V1.TrainingEstimate;
using Platform.Jobs;
using Platform.Modeling.Errors;
using CommonJobState = Platform.Contracts.Common.V1.JobState;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>Jobs on the wire (platform.jobs.v1): the job message, states, ids and ListJobs page tokens.</summary>
public static class JobProtoMapping
{
    /// <summary>Jobs per page when the request says 0.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Most jobs per page; larger requests are treated as this.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Longest cancellation reason kept with a job.</summary>
    public const int MaxReasonLength = 1024;

    private const string TokenPrefix = "j1:";

    public static Job ToProto(JobSnapshot j)
    {
        var job = new Job
        {
            JobId = j.Id.ToString(),
            Kind = j.Kind,
            State = ToProto(j.Status),
            Progress = j.Progress,
            Message = j.Message,
            CreatedAt = Timestamp.FromDateTimeOffset(j.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(j.UpdatedAt),
            FinishedAt = j.FinishedAt is { } f ? Timestamp.FromDateTimeOffset(f) : null,
        };
        if (j.Status is JobStatus.Failed or JobStatus.Cancelled)
            job.Error = new JobError
            {
                Code = StatusName(j.ErrorCode ?? (j.ErrorField is null ? "Internal" : "InvalidArgument")),
                Field = j.ErrorField ?? "", Reason = j.ErrorReason ?? j.Message,
            };
        switch (j.Result)
        {
            case ProtoTrainingEstimate e: job.TrainingEstimate = e; break;
            case PlanParallelismResponse p: job.TrainingPlan = p; break;
            case KernelBatchResult k: job.KernelBatch = k; break;
            case Platform.Contracts.Inference.V1.PlanCapacityResponse c: job.CapacityPlan = c; break;
            case Platform.Contracts.Inference.V1.SimulateWorkloadResponse s: job.Simulation = s; break;
        }
        return job;
    }

    public static CommonJobState ToProto(JobStatus s) => s switch
    {
        JobStatus.Queued => CommonJobState.Queued,
        JobStatus.Running => CommonJobState.Running,
        JobStatus.Succeeded => CommonJobState.Succeeded,
        JobStatus.Cancelled => CommonJobState.Cancelled,
        _ => CommonJobState.Failed,
    };

    public static JobStatus? ToDomain(CommonJobState s) => s switch
    {
        CommonJobState.Unspecified => null,
        CommonJobState.Queued => JobStatus.Queued,
        CommonJobState.Running => JobStatus.Running,
        CommonJobState.Succeeded => JobStatus.Succeeded,
        CommonJobState.Failed => JobStatus.Failed,
        CommonJobState.Cancelled => JobStatus.Cancelled,
        _ => throw new InvalidFieldException("state", $"{(int)s} is not a job state"),
    };

    /// <summary>A job id from a request, or InvalidArgument naming <paramref name="field"/>.</summary>
    public static Guid ParseJobId(string id, string field = "job_id")
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required");
        return Guid.TryParse(id, out var g)
            ? g
            : throw new InvalidFieldException(field, $"'{PlatformException.Quote(id)}' is not a job id");
    }

    /// <summary>"InvalidArgument" → "INVALID_ARGUMENT" (the gRPC status code's canonical name).</summary>
    public static string StatusName(string code)
    {
        var sb = new StringBuilder(code.Length + 4);
        for (int i = 0; i < code.Length; i++)
        {
            if (i > 0 && char.IsUpper(code[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(code[i]));
        }
        return sb.ToString();
    }

    /// <summary>The page size a request's page_size (validated non-negative) stands for.</summary>
    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    /// <summary>The token of the page after <paramref name="last"/> (base64url of its creation time and id).</summary>
    public static string EncodePageToken(JobSnapshot last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{TokenPrefix}{last.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{last.Id:N}"));

    /// <summary>The position a page token names (null for the first page), or InvalidArgument naming page_token.
    /// </summary>
    public static (DateTimeOffset, Guid)? DecodePageToken(string token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        var invalid = new InvalidFieldException("page_token", "is not a page token this server issued");
        if (token.Length > 128) throw invalid;
        string text;
        try { text = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(token)); }
        catch (Exception e) when (e is FormatException or DecoderFallbackException) { throw invalid; }
        var parts = text.StartsWith(TokenPrefix, StringComparison.Ordinal) ? text[TokenPrefix.Length..].Split(':') : [];
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks || !Guid.TryParseExact(parts[1], "N", out var id))
            throw invalid;
        return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
    }
}
