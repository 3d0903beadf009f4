using System.Buffers;
using System.Text;
using System.Text.Json;

namespace HardwareEmulator.Domain.Profiling;

/// <summary>
/// Chrome trace-event JSON of a profiled forward pass: one complete ("X") event per op, timestamps and durations
/// in microseconds of modelled device time, one process per pipeline stage, compute and communication on separate
/// threads. Perfetto (ui.perfetto.dev) and chrome://tracing open it.
/// </summary>
internal static class ChromeTrace
{
    public static string Write(DeviceSpec device, ProfileRequest r, IReadOnlyList<ProfiledOp> embedding,
        IReadOnlyList<(string Kind, List<ProfiledOp> Ops)> kinds, IReadOnlyList<ProfiledOp> stageHop,
        IReadOnlyList<ProfiledOp> head)
    {
        var a = r.Model;
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ns");
            w.WriteStartObject("otherData");
            w.WriteString("device", device.Id);
            w.WriteString("model", a.Name);
            w.WriteString("phase", r.Phase.ToString().ToLowerInvariant());
            w.WriteNumber("batch", r.Batch);
            w.WriteNumber("sequence_length", r.SequenceLength);
            w.WriteString("parallelism", $"tp={r.TensorParallel} ep={r.ExpertParallel} pp={r.PipelineParallel}");
            w.WriteEndObject();
            w.WriteStartArray("traceEvents");
            int stages = r.PipelineParallel;
            long perStage = (a.NumLayers + stages - 1) / stages;
            for (int s = 0; s < stages; s++)
            {
                Meta(w, "process_name", s, 0, $"stage {s} ({device.Id})");
                Meta(w, "thread_name", s, 1, "compute");
                Meta(w, "thread_name", s, 2, "communication");
            }
            double ts = 0;
            foreach (var op in embedding) ts = Event(w, op, 0, -1, ts);
            for (long layer = 0; layer < a.NumLayers; layer++)
            {
                string kind = a.IsMoeLayer(layer) ? "moe" : "dense";
                var ops = kinds.FirstOrDefault(k => k.Kind == kind).Ops ?? kinds[0].Ops;
                int stage = (int)(layer / perStage);
                if (layer > 0 && layer % perStage == 0)
                    foreach (var op in stageHop) ts = Event(w, op, stage - 1, layer, ts);
                foreach (var op in ops) ts = Event(w, op, stage, layer, ts);
            }
            foreach (var op in head) ts = Event(w, op, stages - 1, -1, ts);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Meta(Utf8JsonWriter w, string name, int pid, int tid, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static double Event(Utf8JsonWriter w, ProfiledOp op, int pid, long layer, double ts)
    {
        double dur = op.Time.DeviceSeconds * 1e6;
        w.WriteStartObject();
        w.WriteString("name", op.Name);
        w.WriteString("cat", op.OpKind);
        w.WriteString("ph", "X");
        w.WriteNumber("ts", Math.Round(ts, 4));
        w.WriteNumber("dur", Math.Round(dur, 4));
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", op.OpKind == "collective" ? 2 : 1);
        w.WriteStartObject("args");
        if (layer >= 0) w.WriteNumber("layer", layer);
        w.WriteString("layer_kind", op.LayerKind);
        w.WriteString("shape", op.Shape);
        w.WriteString("bound", op.Time.Bound.ToString().ToUpperInvariant());
        w.WriteNumber("tflops", Math.Round(op.Time.AchievedTflops, 3));
        w.WriteNumber("gbps", Math.Round(op.Time.AchievedGBps, 3));
        w.WriteNumber("efficiency", Math.Round(op.Time.Efficiency, 4));
        w.WriteEndObject();
        w.WriteEndObject();
        return ts + dur;
    }
}
