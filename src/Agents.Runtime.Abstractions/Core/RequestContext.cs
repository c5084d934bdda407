using System.Collections.Immutable;
using Agents.Invocation;

namespace Agents;

/// <summary>
/// Ambient key/values that flow with calls: set an entry before calling a grain and the callee
/// (and everything it calls) sees it. Use it for trace context, tenant, correlation ids. Values
/// should be small and immutable. Flows through awaits like any <see cref="AsyncLocal{T}"/>.
/// </summary>
public static class RequestContext
{
    private static readonly AsyncLocal<CallContextData?> Current = new();

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public static object? Get(string key) =>
        Current.Value?.Items is { } items && items.TryGetValue(key, out var value) ? value : null;

    /// <summary>Sets <paramref name="key"/> for this flow and the calls it makes.</summary>
    public static void Set(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var data = Current.Value;
        var items = (data?.Items ?? ImmutableDictionary<string, object>.Empty).SetItem(key, value);
        Current.Value = new CallContextData(items, data?.Chain);
    }

    /// <summary>Removes <paramref name="key"/>; returns whether it was present.</summary>
    public static bool Remove(string key)
    {
        var data = Current.Value;
        if (data?.Items is not { } items || !items.ContainsKey(key))
        {
            return false;
        }

        Current.Value = new CallContextData(items.Remove(key), data.Chain);
        return true;
    }

    /// <summary>Removes every entry.</summary>
    public static void Clear()
    {
        var data = Current.Value;
        if (data?.Items is not null)
        {
            Current.Value = data.Chain is null ? null : new CallContextData(null, data.Chain);
        }
    }

    /// <summary>The current entries.</summary>
    public static IReadOnlyDictionary<string, object> Entries =>
        (IReadOnlyDictionary<string, object>?)Current.Value?.Items ?? ImmutableDictionary<string, object>.Empty;

    /// <summary>The whole flowing context; the runtime captures it into calls.</summary>
    internal static CallContextData? CurrentData
    {
        get => Current.Value;
        set
        {
            if (!ReferenceEquals(Current.Value, value))
            {
                Current.Value = value;
            }
        }
    }
}
