using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Agents.CodeGeneration.Model;

internal static class SyntaxSelection
{
    /// <summary>
    /// Whether <paramref name="node"/> is the one declaration of a partial type that stands for it:
    /// the first part with a base list. The syntax filter only passes parts with a base list, so
    /// exactly one part of each type yields a model.
    /// </summary>
    public static bool IsPrimaryDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax node)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax { BaseList: not null } declaration)
            {
                return declaration == node;
            }
        }

        return false;
    }
}
