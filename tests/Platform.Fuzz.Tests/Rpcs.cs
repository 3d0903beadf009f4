using Google.Protobuf;
using Google.Protobuf.Reflection;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Jobs.V1;
using Platform.Contracts.Training.V1;

namespace Platform.Fuzz.Tests;

/// <summary>One RPC of the platform as raw bytes: its descriptor and valid sample requests.</summary>
public sealed record Rpc(MethodDescriptor Method, IReadOnlyList<IMessage> Samples)
{
    public string FullName => $"{Method.Service.FullName}/{Method.Name}";

    public Method<byte[], byte[]> Raw(MethodType type = MethodType.Unary) =>
        new(type, Method.Service.FullName, Method.Name, Bytes, Bytes);

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    public override string ToString() => FullName;
}

/// <summary>
/// The platform's RPCs, read from the generated descriptors (a new RPC is picked up without a change here), with
/// valid sample requests in proto3 JSON: a unary RPC without a sample fails the suites, naming it.
/// </summary>
public static class Rpcs
{
    public static readonly IReadOnlyList<ServiceDescriptor> Services =
    [
        EmulatorReflection.Descriptor.FindTypeByName<ServiceDescriptor>("EmulatorService"),
        TrainingReflection.Descriptor.FindTypeByName<ServiceDescriptor>("TrainingCostService"),
        InferenceReflection.Descriptor.FindTypeByName<ServiceDescriptor>("InferenceSchedulerService"),
        JobsReflection.Descriptor.FindTypeByName<ServiceDescriptor>("JobService"),
    ];

    /// <summary>Every unary RPC with its samples parsed (none when the table lacks it).</summary>
    public static IReadOnlyList<Rpc> Unary() =>
    [
        .. Services.SelectMany(s => s.Methods)
            .Where(m => !m.IsClientStreaming && !m.IsServerStreaming)
            .Select(m => new Rpc(m, SamplesOf(m))),
    ];

    public static IReadOnlyList<IMessage> SamplesOf(MethodDescriptor m) =>
        Json.TryGetValue($"{m.Service.FullName}/{m.Name}", out var json)
            ? [.. json.Select(j => (IMessage)JsonParser.Default.Parse(j, m.InputType))]
            : [];

    private const string Run =
        """
        "model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":"4096",
        "cluster":{"accelerator":"h800","count":"64","scaleOutGbps":50},"precision":"PRECISION_BF16",
        "pricePerAcceleratorHourUsd":2.0,"globalBatchTokens":"4194304",
        "parallelism":{"tensorParallel":8,"pipelineParallel":1,"dataParallel":8,"microBatchSize":1,
          "contextParallel":1,"expertParallel":1,"zeroStage":1,"virtualStages":1,"recomputeNumLayers":0,
          "recompute":"RECOMPUTE_MODE_SELECTIVE","sequenceParallel":true,
          "recomputeModules":["RECOMPUTE_MODULE_CORE_ATTENTION","RECOMPUTE_MODULE_NORMS"]},
        "reliability":{"mtbfHoursPerAccelerator":50000,"restartHours":0.5,"checkpointWriteGbpsPerAccelerator":2,
          "checkpointIntervalHours":1,"evaluationFraction":0.02,"productionOverheadFraction":0.1},"dropout":true,
        "energy":{"acceleratorWatts":700,"serverOverhead":1.75,"pue":1.1,"gridKgCo2PerKwh":0.4}
        """;

    private const string SearchRun =
        """
        "model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":"4096",
        "cluster":{"accelerator":"h800","count":"16"}
        """;

    private const string Architecture =
        """
        {"name":"tiny","modelType":"llama","hiddenSize":"1024","numHiddenLayers":"8","numAttentionHeads":"16",
         "numKeyValueHeads":"4","headDim":"64","intermediateSize":"4096","vocabSize":"32000",
         "maxPositionEmbeddings":"8192","slidingWindow":"0"}
        """;

    private const string MoeArchitecture =
        """
        {"name":"tiny-moe","modelType":"deepseek_v3","hiddenSize":"1024","numHiddenLayers":"4",
         "numAttentionHeads":"16","numKeyValueHeads":"16","headDim":"64","intermediateSize":"4096",
         "vocabSize":"32000","maxPositionEmbeddings":"8192","numNextnPredictLayers":"1",
         "moe":{"nRoutedExperts":"16","numExpertsPerTok":"2","nSharedExperts":"1","moeIntermediateSize":"512",
           "firstKDenseReplace":"1","nGroup":"4","topkGroup":"2"},
         "mla":{"qLoraRank":"256","kvLoraRank":"128","qkNopeHeadDim":"64","qkRopeHeadDim":"32","vHeadDim":"64"}}
        """;

    private const string Simulation =
        """
        "model":{"preset":"llama-3.1-8b"},
        "deployment":{"accelerator":"h800","replicas":1,"tensorParallel":1,"pipelineParallel":1,"expertParallel":1,
          "dataParallel":1,"maxNumSeqs":64,"maxNumBatchedTokens":"8192","longPrefillTokenThreshold":"0",
          "gpuMemoryUtilization":0.9,"blockSize":16,"expertImbalance":1.0,"acceleratorHourUsd":2,
          "priorityClasses":1,"communicationSms":0},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":5,"requests":"40","durationSeconds":0,
          "seed":"1","promptTokens":{"fixed":"512","max":"8192"},
          "outputTokens":{"uniform":{"min":"16","max":"64"}},"burstiness":1,
          "prefixSharing":{"groups":2,"sharedFraction":0.5}},"rateMultiplier":1,"maxRequests":"40"},
        "slo":{"ttftMs":2000,"tpotMs":100,"e2eMs":30000},
        "timeModel":{"constant":{"prefillSecondsPerToken":0.0001,"decodeSecondsPerStep":0.02,
          "stepOverheadSeconds":0.001}},
        "timelineIntervalSeconds":1
        """;

    /// <summary>Valid requests per RPC ("package.Service/Method"), proto3 JSON.</summary>
    private const string CapacityPlan =
        """
            {"model":{"preset":"llama-3.1-8b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":5,
             "requests":"40","seed":"1","promptTokens":{"fixed":"512"},"outputTokens":{"fixed":"32"}}},
             "targetRequestsPerSecond":10,"slo":{"ttftMs":2000,"tpotMs":100},"sloAttainment":0.9,
             "candidates":{"accelerators":["h800"],"tensorParallel":[1,2],"pipelineParallel":[1],
              "maxNumSeqs":[64],"maxNumBatchedTokens":["8192"]},"maxAccelerators":4,
             "acceleratorHourUsd":{"h800":2},"deployment":{"gpuMemoryUtilization":0.9},
             "timeModel":{"constant":{"prefillSecondsPerToken":0.0001,"decodeSecondsPerStep":0.02,
              "stepOverheadSeconds":0.001}}}
        """;

    public static readonly IReadOnlyDictionary<string, string[]> Json = new Dictionary<string, string[]>
    {
        ["platform.emulator.v1.EmulatorService/ListDevices"] = ["""{"vendor":"nvidia"}"""],
        ["platform.emulator.v1.EmulatorService/GetDevice"] = ["""{"id":"h800"}"""],
        ["platform.emulator.v1.EmulatorService/EstimateOps"] =
        [
            """
            {"device":"h800","ops":[
              {"name":"qkv","gemm":{"m":"4096","n":"6144","k":"4096","batch":"1"},"dtype":"DTYPE_BF16"},
              {"name":"moe","groupedGemm":{"mPerGroup":["128","256"],"n":"1024","k":"512"},"dtype":"DTYPE_BF16"},
              {"name":"attn","attention":{"batch":"1","queryLen":"2048","kvLen":"2048","numHeads":"32",
                "numKvHeads":"8","headDimQk":"128","headDimV":"128","causal":true},"dtype":"DTYPE_BF16"},
              {"name":"silu","elementwise":{"kind":"ELEMENTWISE_KIND_SILU","elements":"1000000"},"dtype":"DTYPE_BF16"},
              {"name":"ar","collective":{"kind":"COLLECTIVE_KIND_ALL_REDUCE","bytes":"1048576","ranks":8,
                "ranksPerNode":8},"dtype":"DTYPE_BF16"}]}
            """,
        ],
        ["platform.emulator.v1.EmulatorService/RegisterDevice"] =
        [
            """
            {"device":{"id":"fuzz-accel","name":"Fuzz accelerator","vendor":"test","year":2024,
              "peakTflops":{"fp64":60,"tf32":490,"bf16":990,"fp16":990,"fp8":1980,"int8":1980,"fp32":60},
              "hbmGb":80,"hbmTbps":3.35,"scaleUpGbps":400,"scaleOutGbps":50,"tdpWatts":700,"computeUnits":132,
              "l2Mb":50,"scaleUpLatencyUs":3,"scaleOutLatencyUs":10,"scaleUpDomain":8,"priceLowUsd":1.5,
              "priceMidUsd":2,"priceListUsd":4,"matmulEfficiencyBf16":0.7,"matmulEfficiencyFp8":0.6,
              "memoryEfficiency":0.8,"l2Tbps":10,"scaleUpEfficiency":0.8,"scaleOutEfficiency":0.8}}
            """,
        ],
        ["platform.emulator.v1.EmulatorService/RunKernel"] =
        [
            """
            {"device":"h800","kernel":{"gemm":{"m":"2","n":"2","k":"3"}},"dtype":"DTYPE_FP32",
             "inputs":[{"shape":["2","3"],"values":[1,2,3,4,5,6]},{"shape":["3","2"],"values":[7,8,9,10,11,12]}]}
            """,
            """
            {"device":"h800","kernel":{"norm":{"kind":"NORM_KIND_RMSNORM","rows":"2","cols":"4","epsilon":1e-6}},
             "dtype":"DTYPE_BF16","execute":true,"seed":"7"}
            """,
            """
            {"device":"h800","kernel":{"rope":{"tokens":"4","heads":"2","headDim":"8","theta":10000,
              "positionOffset":"0"}},"dtype":"DTYPE_BF16","seed":"1"}
            """,
            """
            {"device":"h800","kernel":{"moeGating":{"tokens":"4","experts":"8","topK":"2","nGroup":"2",
              "topkGroup":"1","sigmoidScoring":true,"routedScalingFactor":2.5}},"dtype":"DTYPE_FP32","seed":"3"}
            """,
        ],
        ["platform.emulator.v1.EmulatorService/ProfileModel"] =
        [
            """
            {"device":"h800","model":{"preset":"llama-3.1-8b"},"phase":"PHASE_DECODE","batch":"8",
             "sequenceLength":"1024","tensorParallel":1,"expertParallel":1,"pipelineParallel":1,"dtype":"DTYPE_BF16"}
            """,
        ],
        ["platform.training.v1.TrainingCostService/ListModelPresets"] = ["{}"],
        ["platform.training.v1.TrainingCostService/GetModelPreset"] = ["""{"id":"llama-3.1-8b"}"""],
        ["platform.training.v1.TrainingCostService/CountFlops"] =
        [
            """{"model":{"preset":"llama-3.1-8b"},"sequenceLength":"4096","recompute":"RECOMPUTE_MODE_FULL"}""",
            "{\"model\":{\"architecture\":" + Architecture + "},\"sequenceLength\":\"2048\"}",
            "{\"model\":{\"architecture\":" + MoeArchitecture + "},\"sequenceLength\":\"2048\"}",
        ],
        // The run's fields at the top level (the original shape) and wrapped as run.
        ["platform.training.v1.TrainingCostService/EstimateTrainingRun"] =
            ["{" + Run + "}", "{\"run\":{" + Run + "}}"],
        ["platform.training.v1.TrainingCostService/PlanParallelism"] = ["{\"run\":{" + SearchRun + "},\"topK\":2}"],
        ["platform.training.v1.TrainingCostService/CompareAccelerators"] =
            ["{\"run\":{" + Run + "},\"accelerators\":[\"h800\",\"h100-sxm\"]}"],
        ["platform.training.v1.TrainingCostService/ComputeOptimal"] =
            ["""{"computeBudgetFlops":5.76e23}""", """{"parameters":7e10}"""],
        ["platform.training.v1.TrainingCostService/ProjectCost"] =
        [
            """
            {"costUsd":1000000,"years":5,"hardwareDoublingYears":2.5,"algorithmicHalvingYears":1,"pointsPerYear":4}
            """,
            "{\"run\":{" + Run + "},\"years\":3,\"hardwareDoublingYears\":2,\"algorithmicHalvingYears\":1.5}",
        ],
        ["platform.training.v1.TrainingCostService/SubmitEstimateJob"] = ["{\"run\":{" + Run + "}}"],
        ["platform.training.v1.TrainingCostService/SubmitPlanJob"] = ["{\"run\":{" + SearchRun + "},\"topK\":1}"],
        ["platform.training.v1.TrainingCostService/GetJob"] = ["""{"jobId":"3f2b6c1e-8a4d-4b7e-9a51-2f6d0c7e5b10"}"""],
        ["platform.jobs.v1.JobService/GetJob"] = ["""{"jobId":"3f2b6c1e-8a4d-4b7e-9a51-2f6d0c7e5b10"}"""],
        ["platform.jobs.v1.JobService/ListJobs"] =
            ["{}", """{"kind":"plan","state":"JOB_STATE_QUEUED","pageSize":2}"""],
        ["platform.jobs.v1.JobService/CancelJob"] =
            ["""{"jobId":"3f2b6c1e-8a4d-4b7e-9a51-2f6d0c7e5b10","reason":"fuzz"}"""],
        ["platform.inference.v1.InferenceSchedulerService/ListTraces"] = ["{}"],
        ["platform.inference.v1.InferenceSchedulerService/SimulateWorkload"] = ["{" + Simulation + "}"],
        ["platform.inference.v1.InferenceSchedulerService/PlanCapacity"] = [CapacityPlan],
        ["platform.inference.v1.InferenceSchedulerService/SubmitCapacityPlan"] = ["{\"plan\":" + CapacityPlan + "}"],
        ["platform.inference.v1.InferenceSchedulerService/CreateDeployment"] =
        [
            """
            {"name":"llama-8b-h100","model":{"preset":"llama-3.1-8b"},
             "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":1}
            """,
        ],
        ["platform.inference.v1.InferenceSchedulerService/ListDeployments"] = ["{}"],
        ["platform.inference.v1.InferenceSchedulerService/GetDeployment"] = ["{\"name\":\"no-such-deployment\"}"],
        ["platform.inference.v1.InferenceSchedulerService/DeleteDeployment"] = ["{\"name\":\"no-such-deployment\"}"],
        ["platform.inference.v1.InferenceSchedulerService/SubmitSimulationJob"] =
            ["{\"simulation\":{" + Simulation + "}}"],
    };
}
