using System.Collections;

namespace Platform.Modeling.Ops;

/// <summary>
/// Rows per group of a grouped GEMM, compared by value (so op shapes holding it stay usable as cache keys). Uniform
/// groups are stored as (count, rows) and never expanded; explicit lists (from a caller's OpSpec) are copied.
/// </summary>
public sealed class GroupRows : IReadOnlyList<long>, IEquatable<GroupRows>
{
    private readonly long[]? _rows;
    private readonly long _uniform;

    private GroupRows(int count, long uniform, long[]? rows) { Count = count; _uniform = uniform; _rows = rows; }

    /// <summary><paramref name="groups"/> groups of <paramref name="rows"/> rows each.</summary>
    public static GroupRows Uniform(long groups, long rows) =>
        new((int)Math.Clamp(groups, 0, int.MaxValue), Math.Max(0, rows), null);

    /// <summary>Groups with the given rows each.</summary>
    public static GroupRows Of(IEnumerable<long> rows)
    {
        var copy = rows.ToArray();
        return copy.Length > 0 && copy.All(r => r == copy[0]) ? Uniform(copy.Length, copy[0])
            : new(copy.Length, 0, copy);
    }

    public int Count { get; }
    public long this[int index] =>
        (uint)index < (uint)Count ? _rows?[index] ?? _uniform : throw new ArgumentOutOfRangeException(nameof(index));
    public long Total => _rows?.Sum() ?? Count * _uniform;
    public long Max => _rows is { Length: > 0 } ? _rows.Max() : _uniform;

    public string Describe() => _rows is null ? $"{_uniform}" : $"{_rows.Min()}..{_rows.Max()}";

    public IEnumerator<long> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(GroupRows? other) =>
        other is not null && Count == other.Count
            && (_rows is null && other._rows is null ? _uniform == other._uniform : this.SequenceEqual(other));

    public override bool Equals(object? obj) => Equals(obj as GroupRows);

    public override int GetHashCode()
    {
        if (_rows is null) return HashCode.Combine(Count, _uniform);
        var h = new HashCode();
        foreach (long r in _rows) h.Add(r);
        return h.ToHashCode();
    }

    public override string ToString() => $"{Count} x {Describe()}";
}
