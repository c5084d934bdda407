using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agents.Storage;

/// <summary>
/// Turns grain state into bytes and back for storage providers. The bytes are UTF-8 text when a
/// provider stores them in a text or JSON column.
/// </summary>
public interface IGrainStateSerializer
{
    /// <summary>Encodes <paramref name="state"/>.</summary>
    ReadOnlyMemory<byte> Serialize<T>(T state);

    /// <summary>Decodes a value produced by <see cref="Serialize{T}"/>; throws if the data is not a <typeparamref name="T"/>.</summary>
    T? Deserialize<T>(ReadOnlySpan<byte> data);
}

/// <summary>
/// The default <see cref="IGrainStateSerializer"/>: System.Text.Json with web defaults (camelCase
/// names, case-insensitive reads), public fields included, enums as names and non-ASCII text left
/// unescaped. Stored rows are meant to be read by people, so the output favours clarity over size.
/// </summary>
public sealed class JsonGrainStateSerializer(JsonSerializerOptions options) : IGrainStateSerializer
{
    public JsonGrainStateSerializer()
        : this(CreateDefaultOptions())
    {
    }

    /// <summary>A shared instance with the default options.</summary>
    public static JsonGrainStateSerializer Default { get; } = new();

    /// <summary>The options in use; frozen after first use by System.Text.Json.</summary>
    public JsonSerializerOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Options a caller can start from when customising the serializer.</summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.Web)
    {
        IncludeFields = true,
        // State is inspected in database rows: keep "é" and "<" as written rather than \u escapes.
        // The payload is never embedded in HTML, so the relaxed encoder is safe here.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public ReadOnlyMemory<byte> Serialize<T>(T state) => JsonSerializer.SerializeToUtf8Bytes(state, Options);

    public T? Deserialize<T>(ReadOnlySpan<byte> data) => JsonSerializer.Deserialize<T>(data, Options);
}
