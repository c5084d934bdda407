using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// Open read connections, each with its SELECT prepared once. WAL lets readers run beside the
/// writer and each other, so a read never waits for a batch to commit. Idle connections are
/// capped; a burst beyond the cap opens extra connections that are closed when returned.
/// </summary>
internal sealed class SqliteReaderPool(SqliteConnectionFactory factory, string readSql, int maxIdle) : IDisposable
{
    private readonly ConcurrentBag<Reader> _idle = [];
    private int _idleCount;
    private volatile bool _disposed;

    public Reader Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _idleCount);
            return reader;
        }

        return new Reader(factory.OpenReader(), readSql);
    }

    /// <summary>Returns a reader; pass <paramref name="broken"/> after a failure so a suspect connection is not reused.</summary>
    public void Return(Reader reader, bool broken = false)
    {
        if (broken || _disposed)
        {
            reader.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _idleCount) > maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            reader.Dispose();
            return;
        }

        _idle.Add(reader);

        // Dispose may have drained the bag between the check above and the Add.
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>A read connection and its prepared SELECT; used by one thread at a time.</summary>
    internal sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;

        public Reader(SqliteConnection connection, string readSql)
        {
            _connection = connection;
            Command = connection.CreateCommand();
            Command.CommandText = readSql;
            Type = Command.Parameters.Add("@type", SqliteType.Text);
            Key = Command.Parameters.Add("@key", SqliteType.Text);
            Name = Command.Parameters.Add("@name", SqliteType.Text);
            Command.Prepare();
        }

        public SqliteCommand Command { get; }

        public SqliteParameter Type { get; }

        public SqliteParameter Key { get; }

        public SqliteParameter Name { get; }

        public void Dispose()
        {
            Command.Dispose();
            _connection.Dispose();
        }
    }
}
