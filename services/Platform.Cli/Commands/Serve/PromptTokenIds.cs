using System.Globalization;
using Platform.Cli.Infrastructure;

namespace Platform.Cli.Commands.Serve;

/// <summary>
/// A prompt given as token ids (--prompt-token-ids 1,2,3 or --prompt-token-ids-file FILE), checked here as the
/// server checks GenerateRequest.prompt_token_ids: at least one id, at most <see cref="MaxIds"/>, each a
/// non-negative 32-bit integer.
/// </summary>
public static class PromptTokenIds
{
    /// <summary>The server's limit on prompt_token_ids (docs/SERVING.md).</summary>
    public const int MaxIds = 1 << 20;

    /// <summary>Largest file read: a million ids of ten digits, each with a separator, and some slack.</summary>
    public const long MaxFileBytes = 16L << 20;

    private static readonly char[] Separators = [',', ' ', '\t', '\r', '\n'];

    /// <summary>The ids of a comma (or whitespace) separated list.</summary>
    public static int[] FromList(string flag, string value) => Ids(flag, value);

    /// <summary>The ids in a file, separated by whitespace (commas are accepted too).</summary>
    public static int[] FromFile(string flag, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new CliUsageException($"{flag}: no file '{Connection.Clip(path)}'");
        if (file.Length > MaxFileBytes)
            throw new CliUsageException($"{flag}: '{Connection.Clip(path)}' has {file.Length:N0} bytes; " +
                $"a token-id file has at most {MaxFileBytes:N0} bytes ({MaxIds:N0} ids)");
        return Ids(flag, File.ReadAllText(path));
    }

    private static int[] Ids(string flag, string text)
    {
        var ids = new List<int>();
        int position = 0;
        foreach (var item in text.Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            position++;
            if (ids.Count == MaxIds)
                throw new CliUsageException($"{flag}: more than {MaxIds:N0} token ids; a prompt has at most " +
                    $"{MaxIds:N0}");
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw new CliUsageException($"{flag}: token id {position} is '{Connection.Clip(item)}'; token " +
                    $"ids are integers from 0 to {int.MaxValue}");
            ids.Add(id);
        }
        if (ids.Count == 0) throw new CliUsageException($"{flag}: no token ids (e.g. 128000,9906,1917)");
        return [.. ids];
    }
}
