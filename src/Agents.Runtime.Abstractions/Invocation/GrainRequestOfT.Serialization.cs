using Agents.Serialization;

namespace Agents.Invocation;

/// <summary>The response side of a remote call: the result and exception on the wire.</summary>
public abstract partial class GrainRequest<TResult>
{
    public sealed override void WriteResponse(ref WireWriter writer)
    {
        if (InvocationException is { } exception)
        {
            ExceptionCodec.WriteField(ref writer, ResponseExceptionField, exception);
        }
        else if (typeof(TResult) != typeof(NoResult))
        {
            WriteResult(ref writer, ResponseResultField, _result);
        }

        writer.WriteEndObject();
    }

    public sealed override void ReadResponse(ref WireReader reader)
    {
        var result = default(TResult)!;
        Exception? exception = null;
        while (reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case ResponseResultField:
                    result = ReadResult(ref reader, field);
                    break;
                case ResponseExceptionField:
                    exception = ExceptionCodec.ReadValue(ref reader, field);
                    break;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        // Only set once the whole response was read, so a malformed one leaves the outcome untouched.
        _result = result;
        InvocationException = exception;
    }

    /// <summary>Writes the result as field <paramref name="fieldId"/>. Generated with the result type's codec; this default looks it up.</summary>
    protected virtual void WriteResult(ref WireWriter writer, uint fieldId, TResult result) =>
        TypeManifest.GetCodec<TResult>().WriteField(ref writer, fieldId, result);

    /// <summary>Reads the result from a field whose header was just read. Generated with the result type's codec; this default looks it up.</summary>
    protected virtual TResult ReadResult(ref WireReader reader, WireField field) =>
        TypeManifest.GetCodec<TResult>().ReadValue(ref reader, field);
}
