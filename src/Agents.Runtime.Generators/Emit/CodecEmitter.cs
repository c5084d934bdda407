using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Emit;

/// <summary>
/// Emits the assembly's codec class: one nested codec class per generated codec (docs/codegen.md,
/// "Codecs"). Each writes its [Id] members as fields and reads them back by id, skipping ids it
/// does not know, so the two sides of a call may run different versions of a type.
/// </summary>
internal static class CodecEmitter
{
    private const string S = "global::Agents.Serialization.";
    private const string CompilerServices = "global::System.Runtime.CompilerServices.";

    public static string ClassName(CompilationModel compilation) => "global::Agents.Generated." + compilation.AssemblyIdentifier + "Codecs";

    /// <summary>The codecs that get a class (enums use the built-in codec, abstract types none).</summary>
    public static bool HasClass(CodecModel codec) => codec.Kind is CodecKind.Class or CodecKind.Struct or CodecKind.Exception;

    public static string Emit(CompilationModel compilation, IReadOnlyList<CodecModel> codecs)
    {
        var writer = new SourceWriter().FileHeader();

        // One codec serves nullable and non-nullable members alike (StringCodec is an IFieldCodec<string>
        // and also writes string? members), so nullability warnings here would only be noise.
        writer.Line("#nullable disable warnings");
        writer.Line();
        writer.Open("namespace Agents.Generated");
        writer.Line("/// <summary>Wire codecs of this assembly's [GenerateSerializer] types and of the records its grain methods send.</summary>");
        writer.Line(GeneratedCode.Attribute);
        writer.Open($"internal static class {compilation.AssemblyIdentifier}Codecs");
        var first = true;
        foreach (var codec in codecs.Where(HasClass))
        {
            if (!first)
            {
                writer.Line();
            }

            first = false;
            EmitCodec(writer, codec);
        }

        writer.Close();
        writer.Close();
        return writer.ToString();
    }

    private static void EmitCodec(SourceWriter writer, CodecModel codec)
    {
        var type = codec.Type;
        var isStruct = codec.Kind == CodecKind.Struct;
        var byRef = isStruct ? "ref " : string.Empty;
        var fields = CodecFields.Collect(codec.Members.Select(m => m.Codec));
        writer.Line($"/// <summary>Codec of <c>{RequestEmitter.Xml(type)}</c>.</summary>");
        var implements = codec.Kind == CodecKind.Exception ? string.Empty : $" : {S}IFieldCodec<{type}>";
        writer.Open($"public sealed class {codec.ClassName}{implements}");
        writer.Line($"public static readonly {codec.ClassName} Instance = new {codec.ClassName}();");
        fields.Declare(writer);
        writer.Line();

        if (codec.Kind == CodecKind.Exception)
        {
            var arguments = codec.ExceptionConstructor == ExceptionConstructor.MessageAndInner ? "message, innerException" : "message";
            writer.Line($"public static {type} Create(string message, global::System.Exception? innerException) => new {type}({arguments});");
        }
        else
        {
            EmitWriteField(writer, codec, isStruct);
            writer.Line();
            EmitReadValue(writer, codec, isStruct);
        }

        var accessors = new List<string>();
        writer.Line();
        writer.Open($"public static void WriteMembers(ref {S}WireWriter writer, {byRef}{type} value)");
        foreach (var member in codec.Members)
        {
            var get = member.DirectGet ? "value." + member.Name : $"{Accessor(codec, member, accessors, isStruct)}({byRef}value)";
            writer.Line($"{fields.Use(member.Codec)}.WriteField(ref writer, {Id(member.Id)}, {get});");
        }

        writer.Close();
        writer.Line();
        writer.Open($"public static void ReadMembers(ref {S}WireReader reader, {byRef}{type} value)");
        writer.Open("while (reader.ReadFieldHeader(out var field))");
        writer.Open("switch (field.Id)");
        foreach (var member in codec.Members)
        {
            var target = member.DirectSet ? "value." + member.Name : $"{Accessor(codec, member, accessors, isStruct)}({byRef}value)";
            writer.Line($"case {Id(member.Id)}:");
            writer.Line($"    {target} = {fields.Use(member.Codec)}.ReadValue(ref reader, field);");
            writer.Line("    break;");
        }

        writer.Line("default:");
        writer.Line("    reader.SkipField(field);");
        writer.Line("    break;");
        writer.Close();
        writer.Close();
        writer.Close();

        if (codec.Construction == CodecConstruction.ConstructorAccessor && codec.Kind == CodecKind.Class)
        {
            accessors.Add($"[{CompilerServices}UnsafeAccessor({CompilerServices}UnsafeAccessorKind.Constructor)]");
            accessors.Add($"private static extern {type} Construct();");
        }

        for (var i = 0; i < accessors.Count; i += 2)
        {
            writer.Line();
            writer.Line(accessors[i]);
            writer.Line(accessors[i + 1]);
        }

        writer.Close();
    }

    private static void EmitWriteField(SourceWriter writer, CodecModel codec, bool isStruct)
    {
        writer.Open($"public void WriteField(ref {S}WireWriter writer, uint fieldId, {codec.Type} value)");
        if (!isStruct)
        {
            writer.Open("if (value is null)");
            writer.Line("writer.WriteNull(fieldId);");
            writer.Line("return;");
            writer.Close();
            if (!codec.IsSealed)
            {
                writer.Line();
                writer.Open($"if (value.GetType() != typeof({codec.Type}))");
                writer.Line("// A derived type is written with its own codec, by its alias, which must be registered.");
                writer.Line($"{S}PolymorphicCodec.WriteTyped(ref writer, fieldId, value);");
                writer.Line("return;");
                writer.Close();
            }

            writer.Line();
        }

        writer.Line("writer.WriteStartObject(fieldId);");
        writer.Line(isStruct ? "WriteMembers(ref writer, ref value);" : "WriteMembers(ref writer, value);");
        writer.Line("writer.WriteEndObject();");
        writer.Close();
    }

    private static void EmitReadValue(SourceWriter writer, CodecModel codec, bool isStruct)
    {
        writer.Open($"public {codec.Type} ReadValue(ref {S}WireReader reader, {S}WireField field)");
        if (!isStruct)
        {
            writer.Open("if (field.IsNull)");
            writer.Line("return null;");
            writer.Close();
            writer.Line();
            writer.Open($"if (field.WireType == {S}WireType.Typed)");
            writer.Line($"return {S}PolymorphicCodec.ReadTyped<{codec.Type}>(ref reader, field);");
            writer.Close();
            writer.Line();
        }

        writer.Line("reader.EnterObject(field);");
        var construct = codec.Construction switch
        {
            CodecConstruction.New => $"new {codec.Type}()",
            CodecConstruction.ConstructorAccessor => "Construct()",
            CodecConstruction.Uninitialized => $"({codec.Type}){CompilerServices}RuntimeHelpers.GetUninitializedObject(typeof({codec.Type}))",
            _ => $"default({codec.Type})",
        };
        if (codec.Construction == CodecConstruction.Uninitialized)
        {
            writer.Line("// No parameterless constructor: members the sender does not know stay zero.");
        }

        writer.Line($"var value = {construct};");
        writer.Line(isStruct ? "ReadMembers(ref reader, ref value);" : "ReadMembers(ref reader, value);");
        writer.Line("return value;");
        writer.Close();
    }

    /// <summary>Declares (once) an UnsafeAccessor returning a ref to the member's field; returns its name.</summary>
    private static string Accessor(CodecModel codec, CodecMemberModel member, List<string> accessors, bool isStruct)
    {
        var name = "Field" + member.Id.ToString(CultureInfo.InvariantCulture) + "_" + Identifiers.Sanitize(member.AccessorField!);
        var declaration = $"private static extern ref {member.Type} {name}({(isStruct ? "ref " : string.Empty)}{member.DeclaringType} target);";
        if (!accessors.Contains(declaration))
        {
            accessors.Add($"[{CompilerServices}UnsafeAccessor({CompilerServices}UnsafeAccessorKind.Field, Name = {Identifiers.Literal(member.AccessorField)})]");
            accessors.Add(declaration);
        }

        return name;
    }

    private static string Id(uint id) => id.ToString(CultureInfo.InvariantCulture) + "u";
}

/// <summary>The static fields a generated class keeps its composite codecs in, so they are built once.</summary>
internal sealed class CodecFields
{
    private readonly List<CodecRef> _fields = new();

    public static CodecFields Collect(IEnumerable<CodecRef?> codecs)
    {
        var fields = new CodecFields();
        foreach (var codec in codecs)
        {
            if (codec is { IsShared: false } && !fields._fields.Contains(codec))
            {
                fields._fields.Add(codec);
            }
        }

        return fields;
    }

    public bool IsEmpty => _fields.Count == 0;

    public void Declare(SourceWriter writer)
    {
        for (var i = 0; i < _fields.Count; i++)
        {
            writer.Line($"private static readonly {_fields[i].Type} Codec{i.ToString(CultureInfo.InvariantCulture)} = {_fields[i].Expression};");
        }
    }

    /// <summary>The expression that reaches <paramref name="codec"/>: its field, or its shared instance.</summary>
    public string Use(CodecRef codec) =>
        codec.IsShared ? codec.Expression : "Codec" + _fields.IndexOf(codec).ToString(CultureInfo.InvariantCulture);
}
