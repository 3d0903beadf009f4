using System.Globalization;
using Google.Protobuf;
using Spectre.Console;

namespace Platform.Cli.Infrastructure;

/// <summary>Tables for people, proto3 JSON for scripts.</summary>
public sealed class Output(CliEnvironment env, bool json)
{
    private static readonly JsonFormatter Formatter =
        new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public bool Json { get; } = json;
    public IAnsiConsole Console => env.Console;

    /// <summary>The message as proto3 JSON on one line.</summary>
    public static string ToJson(IMessage message) => Formatter.Format(message);

    public void WriteJson(IMessage message) => env.Out.WriteLine(ToJson(message));

    public void Write(Spectre.Console.Rendering.IRenderable r) => env.Console.Write(r);

    public void Line(string text) => env.Console.MarkupLine(text);

    /// <summary>A table with these column headers; numeric columns (header starting with '#') right-aligned.</summary>
    public static Table Table(params string[] headers)
    {
        var t = new Table().Border(TableBorder.Rounded);
        foreach (string h in headers)
        {
            var c = new TableColumn(Markup.Escape(h.TrimStart('#')));
            if (h.StartsWith('#')) c.RightAligned();
            t.AddColumn(c);
        }
        return t;
    }

    public static string Num(double v, int decimals = 2) => v.ToString("N" + decimals, CultureInfo.InvariantCulture);
    public static string Sci(double v) => v.ToString("0.###e+0", CultureInfo.InvariantCulture);
    public static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
    public static string Usd(double v) => v >= 1e6
        ? "$" + (v / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + "M"
        : "$" + v.ToString("N2", CultureInfo.InvariantCulture);
    public static string E(string s) => Markup.Escape(s);

    /// <summary>Writes a chart file and says where.</summary>
    public void Saved(string path) => env.Error.WriteLine($"chart: {path}");
}
