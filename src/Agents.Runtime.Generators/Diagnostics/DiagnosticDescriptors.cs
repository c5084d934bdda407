using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Diagnostics;

/// <summary>
/// The diagnostics of the Agents generator (docs/codegen.md lists them). Every message names the
/// interface or class, the member and the parameter at fault, so the error reads on its own.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Agents.CodeGeneration";

    public static readonly DiagnosticDescriptor InvalidReturnType = new(
        "AGT0001",
        "Grain method has an unsupported return type",
        "Grain method '{0}.{1}' returns '{2}'; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidMethodShape = new(
        "AGT0002",
        "Grain method is generic or has by-reference parameters",
        "Grain method '{0}.{1}' {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor OneWayReturnsValue = new(
        "AGT0003",
        "One-way grain method returns a value",
        "Grain method '{0}.{1}' is [OneWay] but returns '{2}'; a one-way call never delivers a result, so the method must return Task or ValueTask",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateMethodId = new(
        "AGT0004",
        "Two grain methods have the same id",
        "Grain methods '{0}.{1}' and '{0}.{2}' have the same method id 0x{3}; give one of them a different [Alias]",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateInterfaceId = new(
        "AGT0004",
        "Two grain interfaces have the same id",
        "Grain interfaces '{0}' and '{1}' have the same interface id 0x{2}; give one of them a different [Alias]",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NonMethodMember = new(
        "AGT0005",
        "Grain interface declares a property or event",
        "Grain interface '{0}' declares {1} '{2}'; grain interfaces may only declare methods",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ConstructorCount = new(
        "AGT0006",
        "Grain class needs exactly one public constructor",
        "Grain class '{0}' has {1} public constructors; it needs exactly one, which the runtime calls with the grain's dependencies",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidPersistentStateParameter = new(
        "AGT0007",
        "[PersistentState] parameter is not IPersistentState<T>",
        "Parameter '{1}' of the constructor of grain class '{0}' is marked [PersistentState] but has type '{2}'; it must be IPersistentState<T>",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidResponseTimeout = new(
        "AGT0008",
        "[ResponseTimeout] is not a valid TimeSpan",
        "[ResponseTimeout(\"{2}\")] on grain method '{0}.{1}' is not a positive TimeSpan in the invariant format (such as \"00:00:30\")",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor StreamedResponse = new(
        "AGT0009",
        "Grain method returns IAsyncEnumerable<T>",
        "Grain method '{0}.{1}' returns '{2}'; streamed responses are not supported yet (they arrive with the cluster issue)",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MutableWithoutCopier = new(
        "AGT0010",
        "Mutable type without a copier",
        "{0} of grain method '{1}.{2}' has type '{3}', and '{4}' is mutable with no copier; mark that type [GenerateSerializer] or [Immutable], mark the parameter or return value [Immutable], or register a copier with DeepCopier.Register",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericGrain = new(
        "AGT0011",
        "Generic grain interfaces and classes are not supported",
        "Grain {0} '{1}' is generic; generic grain interfaces and grain classes are not supported, so no code is generated for it",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InaccessibleType = new(
        "AGT0012",
        "Type is not accessible to generated code",
        "{0} '{1}' is not accessible to generated code; it and every type containing it must be public or internal",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor CopierNotGenerated = new(
        "AGT0013",
        "No copier can be generated for a [GenerateSerializer] type",
        "Cannot generate a copier for [GenerateSerializer] type '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor CodecNotGenerated = new(
        "AGT0015",
        "No codec can be generated for a [GenerateSerializer] type",
        "Cannot generate a codec for [GenerateSerializer] type '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TypeWithoutCodec = new(
        "AGT0016",
        "Type without a codec",
        "{0} has type '{1}', and '{2}' has no codec, so it cannot be sent to another process; mark that type [GenerateSerializer], use a type with a built-in codec, or register a codec with TypeManifest.Register",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor AmbiguousKeyKind = new(
        "AGT0014",
        "Grain interface has more than one key kind",
        "Grain interface '{0}' derives from {1}; a grain interface derives from exactly one of IGrainWithStringKey, IGrainWithGuidKey and IGrainWithIntegerKey",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
