using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Agents.CodeGeneration.Model;

/// <summary>How generated code names types, members and literals.</summary>
internal static class Identifiers
{
    /// <summary>
    /// Every type in generated code is written <c>global::</c>-qualified with its nullable
    /// annotations, so it means the same wherever it lands and explicit interface
    /// implementations match the interface's nullability exactly.
    /// </summary>
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>For messages: short names a developer recognizes.</summary>
    public static readonly SymbolDisplayFormat MessageFormat = SymbolDisplayFormat.CSharpErrorMessageFormat;

    public static string Type(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

    /// <summary>Like <see cref="TypeFormat"/> without nullable reference annotations, which <c>typeof</c> rejects.</summary>
    public static readonly SymbolDisplayFormat UnannotatedTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    /// <summary>The type without nullable reference annotations, as <c>typeof</c>, <c>new</c> and casts to a declared type need it.</summary>
    public static string TypeWithoutAnnotation(ITypeSymbol type) => type.ToDisplayString(UnannotatedTypeFormat);

    public static string ForMessage(ISymbol symbol) => symbol.ToDisplayString(MessageFormat);

    /// <summary>A name usable as an identifier: <c>@</c>-escaped when it is a keyword.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>Replaces every character that cannot appear in an identifier with '_'.</summary>
    public static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length + 1);
        foreach (var c in text)
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    /// <summary>A C# string literal.</summary>
    public static string Literal(string? value) =>
        value is null ? "null" : SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>The namespace generated types for <paramref name="type"/> live in: <c>Agents.Generated[.Namespace]</c>.</summary>
    public static string GeneratedNamespace(INamedTypeSymbol type) =>
        type.ContainingNamespace is { IsGlobalNamespace: false } ns ? "Agents.Generated." + ns.ToDisplayString() : "Agents.Generated";

    /// <summary><c>Outer_Inner</c> for a type nested in others; the plain name otherwise.</summary>
    public static string FlatName(INamedTypeSymbol type) =>
        type.ContainingType is { } outer ? FlatName(outer) + "_" + type.Name : type.Name;

    /// <summary>Whether code elsewhere in the assembly can name <paramref name="type"/>.</summary>
    public static bool IsAccessibleToGeneratedCode(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal || current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsGenericOrInGeneric(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.TypeParameters.Length > 0)
            {
                return true;
            }
        }

        return false;
    }

    public static AttributeData? FindAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static AttributeData? FindReturnAttribute(IMethodSymbol method, string metadataName) =>
        method.GetReturnTypeAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static bool HasAttribute(ISymbol symbol, string metadataName) => FindAttribute(symbol, metadataName) is not null;

    /// <summary>The symbol's <c>[Alias("...")]</c>, if any.</summary>
    public static string? Alias(ISymbol symbol) => StringArgument(FindAttribute(symbol, KnownTypes.AliasAttribute));

    /// <summary>The string passed to an attribute's first constructor argument, e.g. an [Alias] value.</summary>
    public static string? StringArgument(AttributeData? attribute, int index = 0) =>
        attribute is not null && attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index].Value as string : null;
}
