using System.Buffers;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>Helpers that write raw wire input, as a peer (or an attacker) would.</summary>
internal static class WireTestKit
{
    public delegate void WriteAction(ref WireWriter writer);

    public delegate T ReadFunc<T>(ref WireReader reader);

    public static byte[] Write(WriteAction write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new WireWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    public static T Read<T>(byte[] bytes, ReadFunc<T> read, SerializerOptions? options = null)
    {
        var reader = new WireReader(bytes, options);
        return read(ref reader);
    }

    public static T RoundTrip<T>(T value)
    {
        TestManifest.EnsureLoaded();
        return Serializer.Deserialize<T>(Serializer.SerializeToArray(value));
    }
}
