namespace Agents.CodeGeneration.Emit;

internal static class GeneratedCode
{
    /// <summary>Marks generated types so analyzers and coverage tools skip them.</summary>
    public const string Attribute = "[global::System.CodeDom.Compiler.GeneratedCode(\"Agents.Runtime.Generators\", \"1.0\")]";
}
