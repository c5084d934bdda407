using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Ids;

/// <summary>
/// The stable ids of interfaces and methods (docs/codegen.md, "Stable ids"). The hashed text is
/// built here from symbols, never from display strings, so compiler formatting changes cannot
/// change an id:
/// <list type="bullet">
/// <item>a type is <c>Namespace.Outer+Name`Arity</c>, followed by <c>[Arg1,Arg2]</c> when it is
/// constructed; arrays append <c>[]</c> (<c>[,]</c> for rank 2); nullable reference annotations
/// and tuple element names are ignored; <c>dynamic</c> is <c>System.Object</c>;</item>
/// <item>a method is <c>Name(Type1,Type2)</c>.</item>
/// </list>
/// </summary>
internal static class StableIds
{
    public static uint InterfaceId(INamedTypeSymbol type, string? alias) => Fnv1a.Hash(alias ?? TypeName(type));

    public static uint MethodId(IMethodSymbol method, string? alias) => Fnv1a.Hash(alias ?? MethodSignature(method));

    public static string MethodSignature(IMethodSymbol method) =>
        method.Name + "(" + string.Join(",", method.Parameters.Select(p => TypeName(p.Type))) + ")";

    public static string TypeName(ITypeSymbol type)
    {
        var builder = new StringBuilder();
        Append(builder, type);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                Append(builder, array.ElementType);
                builder.Append('[').Append(',', array.Rank - 1).Append(']');
                return;
            case IPointerTypeSymbol pointer:
                Append(builder, pointer.PointedAtType);
                builder.Append('*');
                return;
            case IDynamicTypeSymbol:
                builder.Append("System.Object");
                return;
            case INamedTypeSymbol named:
                AppendNamed(builder, named.TupleUnderlyingType ?? named);
                return;
            default:
                builder.Append(type.MetadataName);
                return;
        }
    }

    private static void AppendNamed(StringBuilder builder, INamedTypeSymbol type)
    {
        if (type.ContainingType is { } outer)
        {
            AppendNamed(builder, outer);
            builder.Append('+');
        }
        else if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            builder.Append(ns.ToDisplayString()).Append('.');
        }

        builder.Append(type.MetadataName);
        if (type.TypeArguments.Length > 0 && !type.IsUnboundGenericType && !SymbolEqualityComparer.Default.Equals(type, type.OriginalDefinition))
        {
            builder.Append('[');
            for (var i = 0; i < type.TypeArguments.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                Append(builder, type.TypeArguments[i]);
            }

            builder.Append(']');
        }
    }
}
