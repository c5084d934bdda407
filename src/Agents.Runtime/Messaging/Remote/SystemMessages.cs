using System.Buffers;
using Agents.Runtime.GrainDirectory;
using Agents.Serialization;

namespace Agents.Runtime.Messaging.Remote;

/// <summary>The silos' own remote operations (System frames).</summary>
internal enum SystemOperation : uint
{
    /// <summary>Are you alive? (membership probes). No payload.</summary>
    Ping = 1,

    /// <summary>Register an activation in the directory partition the receiver owns; the reply is the winning address.</summary>
    DirectoryRegister = 2,

    /// <summary>Where is this grain's activation? The reply carries its address, or none.</summary>
    DirectoryLookup = 3,

    /// <summary>Remove an activation's entry (only if it still names that activation).</summary>
    DirectoryUnregister = 4,

    /// <summary>This grain's reminders changed in the table: the receiver, which ticks them, reads them again. No reply payload.</summary>
    RemindersChanged = 5,
}

/// <summary>What a system request or reply carries: a grain, an activation address, a number (a ping's reply: the silo's activation count), or nothing.</summary>
internal readonly record struct SystemPayload(GrainId Grain = default, GrainAddress? Address = null, long Value = 0)
{
    public static readonly SystemPayload None = default;
}

/// <summary>The answer to a system request: a payload, or the error the receiver reported.</summary>
internal readonly record struct SystemReply(SystemPayload Payload, string? Error);

/// <summary>Encoding of system frames (layout in RemoteMessages.cs).</summary>
internal static class SystemMessages
{
    private const uint CorrelationField = 0;
    private const uint OperationField = 1;
    private const uint PayloadField = 2;
    private const uint ErrorField = 3;

    public static byte[] Write(long correlationId, SystemOperation operation, SystemPayload payload, string? error = null)
    {
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new WireWriter(output);
        writer.WriteUInt64(CorrelationField, (ulong)correlationId);
        writer.WriteUInt32(OperationField, (uint)operation);
        if (error is null)
        {
            writer.WriteStartObject(PayloadField);
            if (!payload.Grain.IsDefault)
            {
                GrainIdCodec.Instance.WriteField(ref writer, 0, payload.Grain);
            }

            if (payload.Address is { } address)
            {
                writer.WriteStartObject(1);
                GrainIdCodec.Instance.WriteField(ref writer, 0, address.GrainId);
                writer.WriteString(1, address.Silo.ToString());
                writer.WriteGuid(2, address.ActivationId);
                writer.WriteEndObject();
            }

            if (payload.Value != 0)
            {
                writer.WriteInt64(2, payload.Value);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString(ErrorField, error);
        }

        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    public static (long CorrelationId, SystemOperation Operation, SystemReply Reply) Read(in ReadOnlySequence<byte> body)
    {
        using var bytes = new ContiguousBytes(body);
        var reader = new WireReader(bytes.Span);
        long correlation = 0;
        SystemOperation operation = 0;
        SystemPayload payload = default;
        string? error = null;
        while (!reader.IsAtEnd && reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case CorrelationField:
                    correlation = (long)reader.ReadUInt64(field);
                    break;
                case OperationField:
                    operation = (SystemOperation)reader.ReadUInt32(field);
                    break;
                case PayloadField:
                    payload = ReadPayload(ref reader, field);
                    break;
                case ErrorField:
                    error = reader.ReadString(field);
                    break;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        return (correlation, operation, new SystemReply(payload, error));
    }

    private static SystemPayload ReadPayload(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        GrainId grain = default;
        GrainAddress? address = null;
        long value = 0;
        while (reader.ReadFieldHeader(out var member))
        {
            switch (member.Id)
            {
                case 0:
                    grain = GrainIdCodec.Instance.ReadValue(ref reader, member);
                    break;
                case 1:
                    address = ReadAddress(ref reader, member);
                    break;
                case 2:
                    value = reader.ReadInt64(member);
                    break;
                default:
                    reader.SkipField(member);
                    break;
            }
        }

        return new SystemPayload(grain, address, value);
    }

    private static GrainAddress ReadAddress(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        GrainId grain = default;
        string? silo = null;
        Guid activation = default;
        while (reader.ReadFieldHeader(out var member))
        {
            switch (member.Id)
            {
                case 0:
                    grain = GrainIdCodec.Instance.ReadValue(ref reader, member);
                    break;
                case 1:
                    silo = reader.ReadString(member);
                    break;
                case 2:
                    activation = reader.ReadGuid(member);
                    break;
                default:
                    reader.SkipField(member);
                    break;
            }
        }

        if (grain.IsDefault || silo is null || !SiloAddress.TryParse(silo, out var address))
        {
            throw new SerializationException($"A directory entry is incomplete or names no valid silo ('{silo}').");
        }

        return new GrainAddress(grain, address, activation);
    }
}
