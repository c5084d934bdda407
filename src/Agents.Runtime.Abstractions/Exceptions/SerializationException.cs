namespace Agents;

/// <summary>
/// A value could not be written to or read from the wire: the input is malformed or truncated, a
/// declared length or count exceeds the input or a configured limit, a type is not on the
/// allow-list, or a type has no codec. The message names the type or field at fault.
/// </summary>
public sealed class SerializationException : AgentsException
{
    public SerializationException()
    {
    }

    public SerializationException(string message)
        : base(message)
    {
    }

    public SerializationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
