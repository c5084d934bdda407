using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Agents.Serialization;

/*
 * Exceptions travel back to callers with their type, message and stack:
 *
 *   StartObject
 *     0: type name      the registered alias, else the full type name (for RemoteException, the
 *                       name it carries, so an exception relayed through several silos keeps it)
 *     1: message
 *     2: stack trace    the thrower's StackTrace (which includes any remote part it already had)
 *     3: inner exception, in this same layout
 *     4: members        the [Id] members of a [GenerateSerializer] exception, as an object body
 *     5: HResult
 *   EndObject
 *
 * The reader rebuilds an exception of the named type only if that name is registered here (common
 * BCL exceptions, Agents exceptions, [GenerateSerializer] exception types); it never loads a type
 * by name. Anything else becomes a RemoteException keeping the name, message and stack. The remote
 * stack is attached with ExceptionDispatchInfo.SetRemoteStackTrace, so once the caller throws the
 * exception its StackTrace shows the remote frames, then the local ones.
 */

/// <summary>Writes and reads exceptions, and holds the exception types that may be rebuilt from the wire.</summary>
public static class ExceptionCodec
{
    private static readonly ConcurrentDictionary<string, ExceptionEntry> ByName = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Type, ExceptionEntry> ByType = new();

    static ExceptionCodec()
    {
        Register<Exception>("System.Exception", (m, i) => new Exception(m, i));
        Register<SystemException>("System.SystemException", (m, i) => new SystemException(m, i));
        Register<ArgumentException>("System.ArgumentException", (m, i) => new ArgumentException(m, i));
        Register<ArgumentNullException>("System.ArgumentNullException", (m, i) => new ArgumentNullException(m, i));
        Register<ArgumentOutOfRangeException>("System.ArgumentOutOfRangeException", (m, i) => new ArgumentOutOfRangeException(m, i));
        Register<InvalidOperationException>("System.InvalidOperationException", (m, i) => new InvalidOperationException(m, i));
        Register<NotSupportedException>("System.NotSupportedException", (m, i) => new NotSupportedException(m, i));
        Register<NotImplementedException>("System.NotImplementedException", (m, i) => new NotImplementedException(m, i));
        Register<FormatException>("System.FormatException", (m, i) => new FormatException(m, i));
        Register<InvalidCastException>("System.InvalidCastException", (m, i) => new InvalidCastException(m, i));
        Register<NullReferenceException>("System.NullReferenceException", (m, i) => new NullReferenceException(m, i));
        Register<IndexOutOfRangeException>("System.IndexOutOfRangeException", (m, i) => new IndexOutOfRangeException(m, i));
        Register<ArithmeticException>("System.ArithmeticException", (m, i) => new ArithmeticException(m, i));
        Register<DivideByZeroException>("System.DivideByZeroException", (m, i) => new DivideByZeroException(m, i));
        Register<OverflowException>("System.OverflowException", (m, i) => new OverflowException(m, i));
        Register<TimeoutException>("System.TimeoutException", (m, i) => new TimeoutException(m, i));
        Register<UnauthorizedAccessException>("System.UnauthorizedAccessException", (m, i) => new UnauthorizedAccessException(m, i));
        Register<ObjectDisposedException>("System.ObjectDisposedException", (m, i) => new ObjectDisposedException(m, i));
        Register<OperationCanceledException>("System.OperationCanceledException", (m, i) => new OperationCanceledException(m, i));
        Register<TaskCanceledException>("System.Threading.Tasks.TaskCanceledException", (m, i) => new TaskCanceledException(m, i));
        Register<AggregateException>("System.AggregateException", (m, i) => i is null ? new AggregateException(m) : new AggregateException(m, i));
        Register<KeyNotFoundException>("System.Collections.Generic.KeyNotFoundException", (m, i) => new KeyNotFoundException(m, i));
        Register<IOException>("System.IO.IOException", (m, i) => new IOException(m, i));
        Register<AgentsException>("Agents.AgentsException", (m, i) => new AgentsException(m, i));
        Register<DeadlockException>("Agents.DeadlockException", (m, i) => new DeadlockException(m, i));
        Register<SiloUnavailableException>("Agents.SiloUnavailableException", (m, i) => new SiloUnavailableException(m, i));
        Register<GrainTypeNotFoundException>("Agents.GrainTypeNotFoundException", (m, i) => new GrainTypeNotFoundException(m, i));
        Register<InconsistentStateException>("Agents.InconsistentStateException", (m, i) => new InconsistentStateException(m, i));
        Register<GrainStateException>("Agents.GrainStateException", (m, i) => new GrainStateException(m, i));
        Register<SerializationException>("Agents.SerializationException", (m, i) => new SerializationException(m, i));
    }

    /// <summary>Allows exceptions of exactly <typeparamref name="T"/> to be rebuilt from the wire, with <paramref name="create"/>(message, inner).</summary>
    public static void Register<T>(string name, Func<string, Exception?, T> create)
        where T : Exception =>
        Add(new ExceptionEntry(typeof(T), name, create, null, null));

    /// <summary>Like <see cref="Register{T}(string, Func{string, Exception, T})"/>, for a type with [Id] members of its own. Generated.</summary>
    public static void Register<T>(string name, Func<string, Exception?, T> create, MemberWriter<T> writeMembers, MemberReader<T> readMembers)
        where T : Exception
    {
        ArgumentNullException.ThrowIfNull(writeMembers);
        ArgumentNullException.ThrowIfNull(readMembers);
        Add(new ExceptionEntry(
            typeof(T),
            name,
            create,
            (ref WireWriter writer, Exception value) => writeMembers(ref writer, (T)value),
            (ref WireReader reader, Exception value) => readMembers(ref reader, (T)value)));
    }

    /// <summary>Whether an exception named <paramref name="name"/> on the wire is rebuilt as its own type.</summary>
    public static bool IsAllowed(string name) => ByName.ContainsKey(name);

    public static void WriteField(ref WireWriter writer, uint fieldId, Exception? exception)
    {
        if (exception is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        var entry = ByType.GetValueOrDefault(exception.GetType());
        var name = exception is RemoteException remote ? remote.RemoteTypeName : entry?.Name ?? exception.GetType().FullName ?? exception.GetType().Name;
        writer.WriteStartObject(fieldId);
        writer.WriteString(0, name);
        writer.WriteString(1, exception.Message);
        writer.WriteString(2, exception.StackTrace);
        if (exception.InnerException is { } inner)
        {
            WriteField(ref writer, 3, inner);
        }

        if (entry?.WriteMembers is { } writeMembers)
        {
            writer.WriteStartObject(4);
            writeMembers(ref writer, exception);
            writer.WriteEndObject();
        }

        writer.WriteInt32(5, exception.HResult);
        writer.WriteEndObject();
    }

    /// <summary>Reads an exception: its own type when allowed, a <see cref="RemoteException"/> otherwise.</summary>
    public static Exception? ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null;
        }

        reader.EnterObject(field);
        string? name = null;
        string? message = null;
        string? stack = null;
        Exception? inner = null;
        Exception? result = null;
        int? hresult = null;
        while (reader.ReadFieldHeader(out var item))
        {
            switch (item.Id)
            {
                case 0:
                    name = reader.ReadString(item);
                    break;
                case 1:
                    message = reader.ReadString(item);
                    break;
                case 2:
                    stack = reader.ReadString(item);
                    break;
                case 3:
                    inner = ReadValue(ref reader, item);
                    break;
                case 4 when result is null && name is not null && ByName.TryGetValue(name, out var entry) && entry.ReadMembers is { } readMembers:
                    // The members need the instance, so it is built from what came before them (our writer sends 0-3 first).
                    result = entry.Create(message ?? string.Empty, inner);
                    reader.EnterObject(item);
                    readMembers(ref reader, result);
                    break;
                case 5:
                    hresult = reader.ReadInt32(item);
                    break;
                default:
                    reader.SkipField(item);
                    break;
            }
        }

        name ??= "System.Exception";
        message ??= string.Empty;
        if (result is null)
        {
            result = ByName.TryGetValue(name, out var entry)
                ? entry.Create(message, inner)
                : new RemoteException(name, message, stack, inner);
        }

        if (hresult is { } value && result is not RemoteException)
        {
            result.HResult = value;
        }

        if (!string.IsNullOrEmpty(stack))
        {
            ExceptionDispatchInfo.SetRemoteStackTrace(result, stack);
        }

        return result;
    }

    private static void Add(ExceptionEntry entry)
    {
        ArgumentException.ThrowIfNullOrEmpty(entry.Name);
        ArgumentNullException.ThrowIfNull(entry.Create);
        ByName[entry.Name] = entry;
        ByType[entry.Type] = entry;
    }

    private delegate void ExceptionMemberWriter(ref WireWriter writer, Exception value);

    private delegate void ExceptionMemberReader(ref WireReader reader, Exception value);

    private sealed record ExceptionEntry(
        Type Type,
        string Name,
        Func<string, Exception?, Exception> Create,
        ExceptionMemberWriter? WriteMembers,
        ExceptionMemberReader? ReadMembers);
}
