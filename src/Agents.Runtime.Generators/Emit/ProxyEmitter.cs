using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Emit;

/// <summary>
/// Emits the proxy of a grain interface: a sealed <c>GrainReference</c> implementing every method
/// of the interface (inherited ones too) by renting the method's request, filling it, sending it
/// and returning an awaitable over it. Also its interface descriptor and its request classes.
/// </summary>
internal static class ProxyEmitter
{
    private const string Invocation = "global::Agents.Invocation.";

    public static string HintName(ProxyModel proxy) => proxy.GeneratedNamespace + "." + proxy.ProxyName + ".g.cs";

    public static string Emit(ProxyModel proxy)
    {
        var writer = new SourceWriter().FileHeader();
        writer.Open("namespace " + proxy.GeneratedNamespace);
        writer.Line($"/// <summary>The generated proxy of <c>{RequestEmitter.Xml(proxy.InterfaceType)}</c>.</summary>");
        writer.Line(GeneratedCode.Attribute);
        writer.Open($"internal sealed class {proxy.ProxyName} : {Invocation}GrainReference, {proxy.InterfaceType}");

        EmitDescriptor(writer, proxy);
        writer.Line();
        writer.Line($"public {proxy.ProxyName}({Invocation}IGrainCallRuntime runtime, global::Agents.GrainId grainId)");
        writer.Line("    : base(runtime, grainId)");
        writer.Line("{");
        writer.Line("}");

        foreach (var method in proxy.Methods)
        {
            writer.Line();
            EmitMethod(writer, method);
        }

        foreach (var method in proxy.Methods)
        {
            writer.Line();
            RequestEmitter.Emit(writer, method, proxy.HasInternalsAccess);
        }

        writer.Close();
        writer.Close();
        return writer.ToString();
    }

    private static void EmitDescriptor(SourceWriter writer, ProxyModel proxy)
    {
        writer.Line($"public static readonly {Invocation}GrainInterfaceDescriptor Descriptor = new {Invocation}GrainInterfaceDescriptor(");
        writer.Line($"    typeof({proxy.InterfaceType}),");
        writer.Line($"    {RequestEmitter.Hex(proxy.InterfaceId)},");
        writer.Line($"    {Invocation}GrainKeyKind.{proxy.KeyKind},");
        writer.Line($"    (runtime, grainId) => new {proxy.ProxyName}(runtime, grainId),");
        writer.Line($"    new {Invocation}GrainMethodDescriptor[]");
        writer.Line("    {");
        foreach (var method in proxy.Methods)
        {
            writer.Line($"        {method.RequestName}.Descriptor,");
        }

        writer.Line("    });");
    }

    private static void EmitMethod(SourceWriter writer, MethodModel method)
    {
        var parameters = method.Parameters.Select((p, i) => $"{p.Type} arg{i.ToString(CultureInfo.InvariantCulture)}");
        writer.Open($"{method.ReturnType} {method.DeclaringInterfaceType}.{method.Name}({string.Join(", ", parameters)})");
        writer.Line($"var request = {Invocation}GrainRequestPool<{method.RequestName}>.Rent();");
        for (var i = 0; i < method.Parameters.Count; i++)
        {
            writer.Line($"request.{method.Parameters[i].FieldName} = arg{i.ToString(CultureInfo.InvariantCulture)};");
        }

        writer.Line("Send(request);");
        if (method.IsOneWay)
        {
            // The runtime released the caller's hold on the request when it accepted it: do not touch it again.
            writer.Line(method.ReturnKind == ReturnKind.Task ? "return global::System.Threading.Tasks.Task.CompletedTask;" : "return default;");
        }
        else
        {
            var awaitable = method.ReturnKind switch
            {
                ReturnKind.Task => "AsVoidTask",
                ReturnKind.TaskOfT => "AsTask",
                ReturnKind.ValueTask => "AsVoidValueTask",
                _ => "AsValueTask",
            };
            writer.Line($"return request.{awaitable}();");
        }

        writer.Close();
    }
}
