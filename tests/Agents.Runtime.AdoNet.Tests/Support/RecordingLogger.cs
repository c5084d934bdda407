using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Agents.AdoNet.Tests.Support;

/// <summary>Keeps every log entry, at every level, so tests can use log events as evidence.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(EventId EventId, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> Values)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        Entries.Enqueue((eventId, logLevel, formatter(state, exception), values));
    }
}
