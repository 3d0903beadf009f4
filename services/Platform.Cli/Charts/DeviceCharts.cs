using ScottPlot;

namespace Platform.Cli.Charts;

/// <summary>A device's roofline: peak compute and memory bandwidth.</summary>
public sealed record RooflineDevice(string Name, double PeakTflops, double HbmTbps);

/// <summary>A kernel placed on a roofline: FLOPs per byte moved and the TFLOPS it reached.</summary>
public sealed record KernelPoint(string Name, double FlopsPerByte, double AchievedTflops);

/// <summary>A device's headline figures.</summary>
public sealed record DevicePoint(string Id, double Bf16Tflops, double HbmTbps, double HbmGb);

public static class DeviceCharts
{
    /// <summary>Attainable TFLOPS = min(peak, intensity x bandwidth), log-log, with the kernels on it.</summary>
    public static Plot Roofline(IReadOnlyList<RooflineDevice> devices, IReadOnlyList<KernelPoint> kernels,
        string title)
    {
        var plt = new Plot();
        double lo = -1, hi = 4;
        foreach (var k in kernels.Where(k => k.FlopsPerByte > 0))
        {
            lo = Math.Min(lo, Math.Floor(Math.Log10(k.FlopsPerByte)));
            hi = Math.Max(hi, Math.Ceiling(Math.Log10(k.FlopsPerByte)));
        }
        for (int i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            var xs = Enumerable.Range(0, 101).Select(j => lo + (hi - lo) * j / 100.0).ToArray();
            var ys = xs.Select(x => Math.Log10(Math.Max(Math.Min(d.PeakTflops, Math.Pow(10, x) * d.HbmTbps),
                1e-6))).ToArray();
            var s = plt.Add.Scatter(xs, ys);
            s.MarkerSize = 0;
            s.LineWidth = 2;
            s.Color = ChartFile.Colour(i);
            s.LegendText = $"{d.Name}: {d.PeakTflops:0} TFLOPS, {d.HbmTbps:0.##} TB/s";
        }
        for (int i = 0; i < kernels.Count; i++)
        {
            var k = kernels[i];
            if (k.FlopsPerByte <= 0 || k.AchievedTflops <= 0) continue;
            double x = Math.Log10(k.FlopsPerByte), y = Math.Log10(k.AchievedTflops);
            var m = plt.Add.Marker(x, y);
            m.Size = 10;
            m.Color = ChartFile.Colour(devices.Count + i);
            m.LegendText = $"{k.Name}: {k.AchievedTflops:0.#} TFLOPS";
            plt.Add.Text(k.Name, x, y).LabelFontSize = 10;
        }
        ChartFile.LogAxis(plt.Axes.Bottom);
        ChartFile.LogAxis(plt.Axes.Left);
        plt.XLabel("arithmetic intensity (FLOPs per byte of HBM traffic, log)");
        plt.YLabel("TFLOPS (log)");
        plt.Title(title);
        plt.ShowLegend(Alignment.LowerRight);
        return plt;
    }

    /// <summary>Devices by BF16 peak against HBM bandwidth (each device a labelled point).</summary>
    public static Plot Peaks(IReadOnlyList<DevicePoint> devices)
    {
        var plt = new Plot();
        foreach (var (d, i) in devices.Select((d, i) => (d, i)))
        {
            var m = plt.Add.Marker(d.HbmTbps, d.Bf16Tflops);
            m.Size = (float)Math.Clamp(d.HbmGb / 12, 5, 24);
            m.Color = ChartFile.Colour(i);
            plt.Add.Text(d.Id, d.HbmTbps, d.Bf16Tflops).LabelFontSize = 10;
        }
        plt.XLabel("HBM bandwidth (TB/s)");
        plt.YLabel("dense BF16 peak (TFLOPS)");
        plt.Title("Accelerator catalog (marker size: HBM capacity)");
        return plt;
    }
}
