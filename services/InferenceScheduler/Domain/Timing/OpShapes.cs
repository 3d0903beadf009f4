using InferenceScheduler.Domain.Serving;

namespace InferenceScheduler.Domain.Timing;

/// <summary>An operation to time, in the emulator's terms but free of transport types.</summary>
public abstract record OpShape(NumberFormat Format);
public sealed record GemmShape(long M, long N, long K, NumberFormat Format) : OpShape(Format);
public sealed record GroupedGemmShape(long[] MPerGroup, long N, long K, NumberFormat Format) : OpShape(Format);
public sealed record AttentionShape(long Batch, long QueryLen, long KvLen, long Heads, long KvHeads, long HeadDimQk, long HeadDimV, bool Causal, NumberFormat Format) : OpShape(Format);
public enum ElementwiseOpKind { RmsNorm, SwiGlu, Rope, MoeGating }
public sealed record ElementwiseShape(ElementwiseOpKind Kind, long Elements, NumberFormat Format) : OpShape(Format);
public enum CollectiveOpKind { AllReduce, AllToAll, SendRecv }
public sealed record CollectiveShape(CollectiveOpKind Kind, long Bytes, int Ranks, int RanksPerNode) : OpShape(NumberFormat.Bf16);
