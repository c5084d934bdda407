using System.Collections.Generic;
using System.Linq;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Emit;

/// <summary>
/// Emits the assembly's manifest: a public <c>IGrainManifestProvider</c> that hands the runtime
/// every interface descriptor, grain class descriptor (with its factory), serializable type,
/// copier and codec of the assembly, and the assembly attributes that let the runtime find it and the
/// manifests of referenced assemblies.
/// </summary>
internal static class ManifestEmitter
{
    private const string Invocation = "global::Agents.Invocation.";

    public static string ClassName(CompilationModel compilation) => compilation.AssemblyIdentifier + "Manifest";

    public static string Emit(
        CompilationModel compilation,
        IReadOnlyList<ProxyModel> proxies,
        IReadOnlyList<GrainFactoryModel> grainClasses,
        IReadOnlyList<SerializableTypeModel> serializableTypes,
        IReadOnlyList<CodecModel> impliedCodecs)
    {
        var className = ClassName(compilation);
        var writer = new SourceWriter().FileHeader();
        writer.Line($"[assembly: {Invocation}GrainManifestProvider(typeof(global::Agents.Generated.{className}))]");
        foreach (var reference in compilation.ReferencedManifests)
        {
            writer.Line($"[assembly: {Invocation}GrainManifestReference(typeof({reference}))]");
        }

        writer.Line();
        writer.Open("namespace Agents.Generated");
        writer.Line("/// <summary>The grain interfaces, grain classes and serializable types of this assembly, as the Agents generator found them.</summary>");
        writer.Line(GeneratedCode.Attribute);
        writer.Open($"public sealed class {className} : {Invocation}IGrainManifestProvider");
        writer.Line("/// <inheritdoc/>");
        writer.Open($"public void Populate({Invocation}IGrainManifestBuilder builder)");
        writer.Open("if (builder is null)");
        writer.Line("throw new global::System.ArgumentNullException(nameof(builder));");
        writer.Close();

        foreach (var proxy in proxies)
        {
            writer.Line();
            writer.Line($"builder.AddInterface({proxy.FullProxyName}.Descriptor);");
        }

        foreach (var grainClass in grainClasses)
        {
            writer.Line();
            EmitGrainClass(writer, grainClass);
        }

        foreach (var type in serializableTypes.Where(t => t.TypeOfExpression.Length > 0))
        {
            writer.Line();
            writer.Line($"builder.AddSerializableType({type.TypeOfExpression}, {Identifiers.Literal(type.Alias)});");
            if (type.Copier is { } copier)
            {
                writer.Line($"builder.AddCopier<{copier.Type}>(value => {CopierEmitter.ClassName(compilation)}.{copier.MethodName}(value));");
            }

            if (type.Codec is { } codec)
            {
                EmitCodecRegistration(writer, compilation, codec);
            }
        }

        foreach (var codec in impliedCodecs)
        {
            writer.Line();
            writer.Line($"builder.AddSerializableType({codec.TypeOfExpression}, {Identifiers.Literal(codec.Alias)});");
            EmitCodecRegistration(writer, compilation, codec);
        }

        writer.Close();
        EmitServiceHelper(writer);
        writer.Close();
        writer.Close();
        return writer.ToString();
    }

    private static void EmitCodecRegistration(SourceWriter writer, CompilationModel compilation, CodecModel codec)
    {
        var alias = Identifiers.Literal(codec.Alias);
        var generated = CodecEmitter.ClassName(compilation) + "." + codec.ClassName;
        switch (codec.Kind)
        {
            case CodecKind.Enum:
                writer.Line($"builder.AddCodec<{codec.Type}>({alias}, global::Agents.Serialization.EnumCodec<{codec.Type}>.Instance);");
                break;
            case CodecKind.Exception:
                writer.Line($"builder.AddExceptionType<{codec.Type}>({alias}, {generated}.Create, {generated}.WriteMembers, {generated}.ReadMembers);");
                break;
            case CodecKind.Class:
            case CodecKind.Struct:
                writer.Line($"builder.AddCodec<{codec.Type}>({alias}, {generated}.Instance);");
                break;
        }
    }

    private static void EmitGrainClass(SourceWriter writer, GrainFactoryModel grainClass)
    {
        var interfaces = string.Join(", ", grainClass.Interfaces.Select(i => $"typeof({i})"));
        writer.Line($"builder.AddGrainClass(new {Invocation}GrainClassDescriptor(");
        writer.Line($"    typeof({grainClass.ClassType}),");
        writer.Line($"    new global::System.Type[] {{ {interfaces} }},");
        if (grainClass.Arguments.Count == 0)
        {
            writer.Line($"    (services, context) => new {grainClass.ClassType}()));");
            return;
        }

        writer.Line($"    (services, context) => new {grainClass.ClassType}(");
        for (var i = 0; i < grainClass.Arguments.Count; i++)
        {
            var suffix = i == grainClass.Arguments.Count - 1 ? ")));" : ",";
            writer.Line("        " + ArgumentExpression(grainClass.Arguments[i], grainClass.ClassType) + suffix);
        }
    }

    private static string ArgumentExpression(ConstructorArgumentModel argument, string classType) => argument.Kind switch
    {
        ConstructorArgumentKind.GrainContext => "context",
        ConstructorArgumentKind.ServiceProvider => "services",
        ConstructorArgumentKind.GrainFactory => "context.GrainFactory",
        ConstructorArgumentKind.PersistentState =>
            $"context.GetPersistentState<{argument.Type}>({Identifiers.Literal(argument.StateName)}, {Identifiers.Literal(argument.StorageName)})",
        ConstructorArgumentKind.OptionalService => $"({argument.Type}?)services.GetService(typeof({argument.Type}))",
        _ => $"GetRequiredService<{argument.Type}>(services, typeof({classType}))",
    };

    private static void EmitServiceHelper(SourceWriter writer)
    {
        // Abstractions does not depend on Microsoft.Extensions.DependencyInjection, so the
        // GetRequiredService extension is not available here; this is its equivalent with a grain-specific message.
        writer.Line();
        writer.Line("private static T GetRequiredService<T>(global::System.IServiceProvider services, global::System.Type grainClass)");
        writer.Line("    where T : notnull");
        writer.Line("    => services.GetService(typeof(T)) is T service");
        writer.Line("        ? service");
        writer.Line("        : throw new global::System.InvalidOperationException(");
        writer.Line("            \"Grain class '\" + grainClass.FullName + \"' needs a service of type '\" + typeof(T).FullName + \"' in its constructor, and none is registered.\");");
    }
}
