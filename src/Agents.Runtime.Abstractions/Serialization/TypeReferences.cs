using System.Text;

namespace Agents.Serialization;

/*
 * A type reference, as a Typed field carries it:
 *
 *   reference = head, then `arity` references (the type arguments, or an array's element type)
 *   head      = VarInt(n << 4 | named << 3 | arity)
 *               named = 0: n is a well-known id (WellKnownTypes)
 *               named = 1: n UTF-8 bytes of a registered alias follow
 *
 * Arity travels in the head so that a reader can skip a reference, arguments and all, without
 * resolving any name. Resolution goes only through TypeManifest; an unknown id or alias is a
 * SerializationException naming it.
 */

/// <summary>Encodes, reads and skips type references.</summary>
internal static class TypeReferences
{
    public const int MaxArity = 7;

    /// <summary>Longest alias accepted on the wire; longer names are rejected before decoding.</summary>
    public const int MaxNameBytes = 1024;

    public static byte[] EncodeWellKnown(int id, int arity) => EncodeHead(((uint)id << 4) | (uint)arity, []);

    public static byte[] EncodeNamed(string alias, int arity)
    {
        var name = Encoding.UTF8.GetBytes(alias);
        if (name.Length > MaxNameBytes)
        {
            throw new ArgumentException($"The alias '{alias}' is longer than {MaxNameBytes} UTF-8 bytes.", nameof(alias));
        }

        return EncodeHead(((uint)name.Length << 4) | 8u | (uint)arity, name);
    }

    public static byte[] Concat(byte[] head, TypeEntry[] arguments)
    {
        var length = head.Length;
        foreach (var argument in arguments)
        {
            length += argument.Reference.Length;
        }

        var result = new byte[length];
        head.CopyTo(result, 0);
        var offset = head.Length;
        foreach (var argument in arguments)
        {
            argument.Reference.CopyTo(result, offset);
            offset += argument.Reference.Length;
        }

        return result;
    }

    /// <summary>Reads a reference and resolves it through the allow-list.</summary>
    public static TypeEntry Read(ref WireReader reader)
    {
        reader.EnterNesting();
        var head = reader.ReadVarUInt32();
        var arity = (int)(head & 7);
        var n = head >> 4;
        TypeEntry? entry;
        if ((head & 8) != 0)
        {
            if (n > MaxNameBytes)
            {
                SerializationErrors.Malformed($"a type name is longer than {MaxNameBytes} bytes");
            }

            entry = FindByName(reader.ReadRawBytes((int)n));
        }
        else
        {
            entry = TypeManifest.FindWellKnown(n);
            if (entry is null)
            {
                SerializationErrors.TypeNotAllowed($"#{n} (a well-known type id this process does not know)");
            }
        }

        if (entry.Arity != arity)
        {
            SerializationErrors.Malformed($"type '{entry.Name}' is referenced with {arity} type arguments instead of {entry.Arity}");
        }

        if (arity > 0)
        {
            var arguments = new TypeEntry[arity];
            for (var i = 0; i < arity; i++)
            {
                arguments[i] = Read(ref reader);
            }

            entry = TypeManifest.Construct(entry, arguments);
        }

        reader.ExitNesting();
        return entry;
    }

    /// <summary>Out of line, so the decoding buffer is off the stack before type arguments recurse.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static TypeEntry FindByName(ReadOnlySpan<byte> bytes)
    {
        Span<char> name = stackalloc char[MaxNameBytes];
        var length = Encoding.UTF8.GetChars(bytes, name);
        var entry = TypeManifest.FindAlias(name[..length]);
        if (entry is null)
        {
            SerializationErrors.TypeNotAllowed(name[..length].ToString());
        }

        return entry;
    }

    /// <summary>Skips a reference without resolving it.</summary>
    public static void Skip(ref WireReader reader)
    {
        reader.EnterNesting();
        var head = reader.ReadVarUInt32();
        if ((head & 8) != 0)
        {
            if ((head >> 4) > MaxNameBytes)
            {
                SerializationErrors.Malformed($"a type name is longer than {MaxNameBytes} bytes");
            }

            reader.ReadRawBytes((int)(head >> 4));
        }

        for (var i = 0; i < (int)(head & 7); i++)
        {
            Skip(ref reader);
        }

        reader.ExitNesting();
    }

    private static byte[] EncodeHead(uint head, byte[] name)
    {
        Span<byte> buffer = stackalloc byte[5];
        var length = 0;
        while (head >= 0x80)
        {
            buffer[length++] = (byte)(head | 0x80);
            head >>= 7;
        }

        buffer[length++] = (byte)head;
        var result = new byte[length + name.Length];
        buffer[..length].CopyTo(result);
        name.CopyTo(result, length);
        return result;
    }
}
