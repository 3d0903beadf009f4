using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;
using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Mapping;

/// <summary>
/// ListDevices paging: page sizes and the opaque page token, base64url of the last device's place in the listing
/// order ("d1:" + 'b' for built-in or 'c' for custom + ':' + id). The token names a position, not an offset, so a
/// device registered while a caller pages through never shifts a page.
/// </summary>
public static partial class DevicePageToken
{
    /// <summary>Devices per page when the request says 0.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Most devices per page; larger requests are treated as this.</summary>
    public const int MaxPageSize = 1000;

    private const string Prefix = "d1:";
    private const int MaxTokenLength = 128;

    /// <summary>The page size a request's page_size (validated non-negative) stands for.</summary>
    public static int PageSize(int requested) =>
        requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    /// <summary>The token of the page after <paramref name="last"/>; empty when there is none.</summary>
    public static string Encode(DeviceCursor? last) =>
        last is null ? ""
            : Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Prefix}{(last.BuiltIn ? 'b' : 'c')}:{last.Id}"));

    /// <summary>The position a token names; null for an empty token, false when it is not a token of ours.</summary>
    public static bool TryDecode(string? token, out DeviceCursor? after)
    {
        after = null;
        if (string.IsNullOrEmpty(token)) return true;
        if (token.Length > MaxTokenLength) return false;
        byte[] bytes;
        try { bytes = Base64Url.DecodeFromChars(token); }
        catch (FormatException) { return false; }
        string text;
        try { text = new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { return false; }
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < Prefix.Length + 2
            || text[Prefix.Length] is not ('b' or 'c') || text[Prefix.Length + 1] != ':')
            return false;
        string id = text[(Prefix.Length + 2)..];
        if (!Id().IsMatch(id)) return false;
        after = new DeviceCursor(text[Prefix.Length] == 'b', id);
        return true;
    }

    /// <summary>The position a validated token names (null for the first page).</summary>
    public static DeviceCursor? Decode(string? token) =>
        TryDecode(token, out var after) ? after
            : throw new InvalidFieldException("page_token", "is not a page token this server issued");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex Id();
}
