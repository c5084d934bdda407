using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Emit;

/// <summary>
/// Emits the assembly's copier class: one static deep-copy method per mutable [GenerateSerializer]
/// type, plus the UnsafeAccessor declarations for members generated code cannot reach directly.
/// Generated requests call these methods directly; the manifest registers them with DeepCopier
/// for values whose static type does not say which copier applies.
/// </summary>
internal static class CopierEmitter
{
    private const string DeepCopier = "global::Agents.Serialization.DeepCopier";
    private const string CompilerServices = "global::System.Runtime.CompilerServices.";

    public static string ClassName(CompilationModel compilation) => "global::Agents.Generated." + compilation.AssemblyIdentifier + "Copiers";

    public static string Emit(CompilationModel compilation, IReadOnlyList<CopierModel> copiers)
    {
        var writer = new SourceWriter().FileHeader();
        writer.Open("namespace Agents.Generated");
        writer.Line("/// <summary>Deep copiers of this assembly's mutable [GenerateSerializer] types.</summary>");
        writer.Line(GeneratedCode.Attribute);
        writer.Open($"internal static class {compilation.AssemblyIdentifier}Copiers");
        for (var i = 0; i < copiers.Count; i++)
        {
            if (i > 0)
            {
                writer.Line();
            }

            EmitCopier(writer, copiers[i]);
        }

        writer.Close();
        writer.Close();
        return writer.ToString();
    }

    private static void EmitCopier(SourceWriter writer, CopierModel copier)
    {
        var accessors = new List<string>();
        if (copier.IsValueType)
        {
            writer.Open($"public static {copier.Type} {copier.MethodName}({copier.Type} value)");
            writer.Line("// Assignment copies every field; members holding mutable objects are then replaced by copies.");
            writer.Line("var copy = value;");
        }
        else
        {
            writer.Line("[return: global::System.Diagnostics.CodeAnalysis.NotNullIfNotNull(\"value\")]");
            writer.Open($"public static {copier.Type}? {copier.MethodName}({copier.Type}? value)");
            writer.Open("if (value is null)");
            writer.Line("return null;");
            writer.Close();
            if (!copier.IsSealed)
            {
                writer.Line();
                writer.Open($"if (value.GetType() != typeof({copier.Type}))");
                writer.Line("// A derived type has its own copier, which DeepCopier finds by the runtime type.");
                writer.Line($"return {DeepCopier}.Copy(value);");
                writer.Close();
            }

            writer.Line();
            EmitConstruction(writer, copier, accessors);
        }

        for (var i = 0; i < copier.Members.Count; i++)
        {
            var member = copier.Members[i];
            if (member.Access == MemberAccess.Initializer)
            {
                continue;
            }

            if (member.Access == MemberAccess.Assignment)
            {
                writer.Line($"copy.{member.Name} = {Copy(member, "value." + member.Name)};");
            }
            else
            {
                var accessor = DeclareFieldAccessor(copier, member, i, accessors);
                var byRef = copier.IsValueType ? "ref " : string.Empty;
                writer.Line($"{accessor}({byRef}copy) = {Copy(member, $"{accessor}({byRef}value)")};");
            }
        }

        writer.Line("return copy;");
        writer.Close();
        for (var i = 0; i < accessors.Count; i += 2)
        {
            writer.Line();
            writer.Line(accessors[i]);
            writer.Line(accessors[i + 1]);
        }
    }

    private static void EmitConstruction(SourceWriter writer, CopierModel copier, List<string> accessors)
    {
        switch (copier.Construction)
        {
            case CopierConstruction.New:
                var initialized = copier.Members.Where(m => m.Access == MemberAccess.Initializer).ToList();
                if (initialized.Count == 0)
                {
                    writer.Line($"var copy = new {copier.Type}();");
                    return;
                }

                writer.Line($"var copy = new {copier.Type}");
                writer.Line("{");
                foreach (var member in initialized)
                {
                    writer.Line($"    {member.Name} = {Copy(member, "value." + member.Name)},");
                }

                writer.Line("};");
                return;
            case CopierConstruction.PrivateConstructor:
                var constructor = copier.MethodName + "__New";
                accessors.Add($"[{CompilerServices}UnsafeAccessor({CompilerServices}UnsafeAccessorKind.Constructor)]");
                accessors.Add($"private static extern {copier.Type} {constructor}();");
                writer.Line($"var copy = {constructor}();");
                return;
            default:
                writer.Line("// No parameterless constructor: the copy starts uninitialized and every [Id] member is assigned below.");
                writer.Line($"var copy = ({copier.Type}){CompilerServices}RuntimeHelpers.GetUninitializedObject(typeof({copier.Type}));");
                return;
        }
    }

    /// <summary>Declares an UnsafeAccessor returning a ref to the member's field; returns its name.</summary>
    private static string DeclareFieldAccessor(CopierModel copier, CopierMemberModel member, int index, List<string> accessors)
    {
        var name = $"{copier.MethodName}__{index.ToString(CultureInfo.InvariantCulture)}_{Identifiers.Sanitize(member.FieldName!)}";
        var target = copier.IsValueType ? "ref " + member.DeclaringType : member.DeclaringType;
        accessors.Add($"[{CompilerServices}UnsafeAccessor({CompilerServices}UnsafeAccessorKind.Field, Name = {Identifiers.Literal(member.FieldName)})]");
        accessors.Add($"private static extern ref {member.Type} {name}({target} target);");
        return name;
    }

    private static string Copy(CopierMemberModel member, string source) =>
        member.Copy is null ? source : member.Copy.Replace(CopyClassifier.Placeholder, source);
}
