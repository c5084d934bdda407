namespace Agents.Serialization;

/// <summary>
/// Limits and context for reading and writing. Limits protect a process from hostile or corrupt
/// input: every declared length and count is checked against them (and against the bytes that
/// remain) before anything is allocated. Create one per runtime and share it; it is immutable.
/// </summary>
public sealed class SerializerOptions
{
    /// <summary>The default limits, without a grain factory (grain references cannot be read).</summary>
    public static SerializerOptions Default { get; } = new();

    /// <summary>The largest length-prefixed payload (a string's UTF-8 bytes, a byte array) accepted. Default 64 MiB.</summary>
    public int MaxLength { get; init; } = 64 * 1024 * 1024;

    /// <summary>The largest element count a collection may declare. Default 16 Mi elements.</summary>
    public int MaxCollectionCount { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// How deeply objects may nest, on writing and reading. Writing a cyclic graph fails at this depth
    /// instead of overflowing the stack; reading hostile input cannot recurse deeper. Default 128.
    /// </summary>
    public int MaxDepth { get; init; } = 128;

    /// <summary>Creates grain references read from the wire; null when the reader has no runtime.</summary>
    public IGrainFactory? GrainFactory { get; init; }
}
