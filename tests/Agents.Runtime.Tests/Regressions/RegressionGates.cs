using System.Collections.Concurrent;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Named one-shot gates shared by the review tests and their grains. Completion runs continuations
/// synchronously (no RunContinuationsAsynchronously), so a test that completes a gate a grain method
/// returned directly runs the runtime's completion path on its own thread.
/// </summary>
public static class RegressionGates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> Gates = new(StringComparer.Ordinal);

    public static TaskCompletionSource<string> Get(string key) => Gates.GetOrAdd(key, static _ => new TaskCompletionSource<string>());

    public static bool Exists(string key) => Gates.ContainsKey(key);

    public static void Open(string key, string value = "open") => Get(key).TrySetResult(value);
}
