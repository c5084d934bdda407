namespace Agents;

/// <summary>
/// An exception thrown by a grain in another process whose type this process does not allow to be
/// instantiated from the wire (it is not a registered exception type). It keeps what the remote
/// exception said: its type name, message and stack trace, and its inner exception.
/// </summary>
public sealed class RemoteException : AgentsException
{
    public RemoteException()
    {
    }

    public RemoteException(string message)
        : base(message)
    {
    }

    public RemoteException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RemoteException(string remoteTypeName, string message, string? remoteStackTrace, Exception? innerException)
        : base(message, innerException)
    {
        RemoteTypeName = remoteTypeName;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception's type in the process that threw it.</summary>
    public string RemoteTypeName { get; } = string.Empty;

    /// <summary>The stack trace in the process that threw it, if it had one.</summary>
    public string? RemoteStackTrace { get; }

    public override string ToString() =>
        $"{GetType().FullName} ({RemoteTypeName}): {Message}{(InnerException is null ? string.Empty : " ---> " + InnerException)}{Environment.NewLine}{StackTrace}";
}
