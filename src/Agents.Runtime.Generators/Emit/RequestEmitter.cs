using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Emit;

/// <summary>
/// Emits the request class of one grain method (docs/codegen.md): a sealed
/// <c>GrainRequest&lt;TResult&gt;</c> holding the arguments as fields, its method descriptor,
/// and the overrides the runtime calls. It is nested in the proxy, which is its only user.
/// </summary>
internal static class RequestEmitter
{
    private const string Invocation = "global::Agents.Invocation.";
    private const string Serialization = "global::Agents.Serialization.";

    public static void Emit(SourceWriter writer, MethodModel method, bool hasInternalsAccess)
    {
        var fields = method.Parameters;
        var arguments = fields.Where(p => !p.IsCancellationToken).ToList();
        var cancellation = fields.FirstOrDefault(p => p.IsCancellationToken);

        writer.Line($"/// <summary>A call to <c>{Xml(method.DeclaringInterfaceTypeOf)}.{method.Name.TrimStart('@')}</c>.</summary>");
        writer.Line(GeneratedCode.Attribute);
        writer.Open($"public sealed class {method.RequestName} : {Invocation}GrainRequest<{method.ResultType}>");

        writer.Line($"public static readonly {Invocation}GrainMethodDescriptor Descriptor = new {Invocation}GrainMethodDescriptor(");
        writer.Line($"    typeof({method.DeclaringInterfaceTypeOf}),");
        writer.Line($"    {Hex(method.InterfaceId)},");
        writer.Line($"    {Identifiers.Literal(method.Name.TrimStart('@'))},");
        writer.Line($"    {Hex(method.MethodId)},");
        writer.Line($"    {Options(method.Options)},");
        writer.Line($"    {Timeout(method.TimeoutTicks)},");
        writer.Line($"    static () => {Invocation}GrainRequestPool<{method.RequestName}>.Rent());");
        var codecs = CodecFields.Collect(arguments.Select(a => a.Codec).Append(method.ResultCodec));
        if (!codecs.IsEmpty)
        {
            writer.Line();
            codecs.Declare(writer);
        }

        writer.Line();

        foreach (var field in fields)
        {
            writer.Line($"public {field.Type} {field.FieldName} = default!;");
        }

        if (fields.Count > 0)
        {
            writer.Line();
        }

        writer.Line($"public override {Invocation}GrainMethodDescriptor Method => Descriptor;");
        if (arguments.Count > 0)
        {
            writer.Line();
            writer.Line($"public override int ArgumentCount => {arguments.Count.ToString(CultureInfo.InvariantCulture)};");
            writer.Line();
            writer.Line("public override object? GetArgument(int index) => index switch");
            writer.Line("{");
            for (var i = 0; i < arguments.Count; i++)
            {
                writer.Line($"    {i.ToString(CultureInfo.InvariantCulture)} => {arguments[i].FieldName},");
            }

            writer.Line("    _ => base.GetArgument(index),");
            writer.Line("};");
        }

        if (cancellation is not null)
        {
            writer.Line();
            writer.Line($"public override global::System.Threading.CancellationToken CancellationToken => {cancellation.FieldName};");
        }

        var call = $"(({method.DeclaringInterfaceType})grain).{method.Name}({string.Join(", ", fields.Select(f => f.FieldName))})";
        writer.Line();
        writer.Line($"protected override void InvokeOn(object grain) => OnInvoked({call});");

        if (fields.Count > 0)
        {
            writer.Line();
            writer.Open("protected override void ClearArguments()");
            foreach (var field in fields)
            {
                writer.Line($"{field.FieldName} = default!;");
            }

            writer.Close();
        }

        writer.Line();
        writer.Line($"protected override void ReturnToPool() => {Invocation}GrainRequestPool<{method.RequestName}>.Return(this);");

        EmitCopying(writer, method, hasInternalsAccess);
        EmitSerialization(writer, method, arguments, codecs);
        EmitAwaitable(writer, method);
        writer.Close();
    }

    /// <summary>Arguments as fields 0..n-1 and the result as a field, with codecs chosen at compile time.</summary>
    private static void EmitSerialization(SourceWriter writer, MethodModel method, System.Collections.Generic.List<ParameterModel> arguments, CodecFields codecs)
    {
        if (arguments.Count == 0 && method.ResultCodec is null)
        {
            return;
        }

        // One codec serves nullable and non-nullable arguments alike (StringCodec also writes string?).
        writer.Line();
        writer.Line("#nullable disable warnings");
        if (arguments.Count > 0)
        {
            writer.Open($"public override void WriteArguments(ref {Serialization}WireWriter writer)");
            for (var i = 0; i < arguments.Count; i++)
            {
                writer.Line($"{codecs.Use(arguments[i].Codec!)}.WriteField(ref writer, {i.ToString(CultureInfo.InvariantCulture)}u, {arguments[i].FieldName});");
            }

            writer.Line("writer.WriteEndObject();");
            writer.Close();
            writer.Line();
            writer.Open($"public override void ReadArguments(ref {Serialization}WireReader reader)");
            writer.Open("while (reader.ReadFieldHeader(out var field))");
            writer.Open("switch (field.Id)");
            for (var i = 0; i < arguments.Count; i++)
            {
                writer.Line($"case {i.ToString(CultureInfo.InvariantCulture)}u:");
                writer.Line($"    {arguments[i].FieldName} = {codecs.Use(arguments[i].Codec!)}.ReadValue(ref reader, field);");
                writer.Line("    break;");
            }

            writer.Line("default:");
            writer.Line("    reader.SkipField(field);");
            writer.Line("    break;");
            writer.Close();
            writer.Close();
            writer.Close();
        }

        if (method.ResultCodec is { } result)
        {
            if (arguments.Count > 0)
            {
                writer.Line();
            }

            writer.Line($"protected override void WriteResult(ref {Serialization}WireWriter writer, uint fieldId, {method.ResultType} result) => {codecs.Use(result)}.WriteField(ref writer, fieldId, result);");
            writer.Line();
            writer.Line($"protected override {method.ResultType} ReadResult(ref {Serialization}WireReader reader, {Serialization}WireField field) => {codecs.Use(result)}.ReadValue(ref reader, field);");
        }

        writer.Line("#nullable enable warnings");
    }

    private static void EmitCopying(SourceWriter writer, MethodModel method, bool hasInternalsAccess)
    {
        var copied = method.Parameters.Where(p => p.Copy is not null).ToList();
        if (copied.Count > 0)
        {
            // C# requires 'protected internal' when overriding it with access to the base assembly's internals.
            var modifiers = hasInternalsAccess ? "protected internal" : "protected";
            writer.Line();
            writer.Open($"{modifiers} override void CopyArguments()");
            foreach (var parameter in copied)
            {
                writer.Line($"{parameter.FieldName} = {parameter.Copy!.Replace(CopyClassifier.Placeholder, parameter.FieldName)};");
            }

            writer.Close();
        }

        if (method.ResultCopy is not null)
        {
            writer.Line();
            writer.Line($"protected override {method.ResultType} CopyResult({method.ResultType} result) => {method.ResultCopy.Replace(CopyClassifier.Placeholder, "result")};");
        }
    }

    private static void EmitAwaitable(SourceWriter writer, MethodModel method)
    {
        if (method.IsOneWay)
        {
            return;
        }

        var (type, name) = method.ReturnKind switch
        {
            ReturnKind.Task => ("global::System.Threading.Tasks.Task", "AsVoidTask"),
            ReturnKind.TaskOfT => ($"global::System.Threading.Tasks.Task<{method.ResultType}>", "AsTask"),
            ReturnKind.ValueTask => ("global::System.Threading.Tasks.ValueTask", "AsVoidValueTask"),
            _ => ($"global::System.Threading.Tasks.ValueTask<{method.ResultType}>", "AsValueTask"),
        };

        // The proxy is not a GrainRequest, so it cannot call the protected awaitable; this forwards it.
        writer.Line();
        writer.Line($"internal new {type} {name}() => base.{name}();");
    }

    public static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture) + "u";

    private static string Options(MethodOptions options)
    {
        if (options == MethodOptions.None)
        {
            return Invocation + "GrainMethodOptions.None";
        }

        var names = new[] { MethodOptions.OneWay, MethodOptions.ReadOnly, MethodOptions.AlwaysInterleave }
            .Where(o => (options & o) != 0)
            .Select(o => Invocation + "GrainMethodOptions." + o);
        return string.Join(" | ", names);
    }

    private static string Timeout(long? ticks) =>
        ticks is null ? "null" : "global::System.TimeSpan.FromTicks(" + ticks.Value.ToString(CultureInfo.InvariantCulture) + "L)";

    public static string Xml(string text) => text.Replace("global::", string.Empty).Replace("<", "&lt;").Replace(">", "&gt;");
}
