using System;
using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Diagnostics;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Serialization;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Model;

/// <summary>Validates one grain method (AGT0001–0003, 0008–0010, 0016) and describes its request.</summary>
internal sealed class MethodExtractor
{
    private const string CancellationFieldName = "CancellationArg";

    private readonly KnownTypes _known;
    private readonly CopyClassifier _classifier;
    private readonly CodecClassifier _codecs;

    public MethodExtractor(KnownTypes known, CopyClassifier classifier, CodecClassifier codecs)
    {
        _known = known;
        _classifier = classifier;
        _codecs = codecs;
    }

    /// <summary>
    /// The model of <paramref name="method"/>, declared by <paramref name="declaring"/>, or null when
    /// it is invalid. Diagnostics go to <paramref name="bag"/>; <paramref name="fallback"/> is where
    /// to report when the method has no source location (it comes from a referenced assembly).
    /// </summary>
    public MethodModel? Extract(IMethodSymbol method, INamedTypeSymbol declaring, Location? fallback, DiagnosticBag bag)
    {
        var interfaceName = Identifiers.ForMessage(declaring);
        var location = SourceLocations.Of(method) ?? fallback;
        var valid = true;

        if (method.IsGenericMethod)
        {
            bag.Add(DiagnosticDescriptors.InvalidMethodShape, location, interfaceName, method.Name, "is generic; generic grain methods are not supported");
            valid = false;
        }

        foreach (var parameter in method.Parameters)
        {
            var reason = ParameterShapeProblem(parameter);
            if (reason is not null)
            {
                bag.Add(DiagnosticDescriptors.InvalidMethodShape, SourceLocations.Of(parameter) ?? location, interfaceName, method.Name, reason);
                valid = false;
            }
            else if (parameter.Type.TypeKind == TypeKind.Error)
            {
                // The compiler reports the unknown type; generating against it would only add noise.
                bag.MarkFailed();
                valid = false;
            }
        }

        var returnKind = ClassifyReturn(method, interfaceName, location, bag);
        var isOneWay = Identifiers.HasAttribute(method, KnownTypes.OneWayAttribute);
        if (isOneWay && returnKind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT)
        {
            bag.Add(DiagnosticDescriptors.OneWayReturnsValue, location, interfaceName, method.Name, Identifiers.ForMessage(method.ReturnType));
            valid = false;
        }

        var timeout = ReadTimeout(method, interfaceName, location, bag, ref valid);
        if (returnKind is null || !valid)
        {
            return null;
        }

        var resultType = returnKind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT
            ? ((INamedTypeSymbol)method.ReturnType).TypeArguments[0]
            : null;
        var resultCopy = resultType is null || Identifiers.FindReturnAttribute(method, KnownTypes.ImmutableAttribute) is not null
            ? null
            : CopyOf(resultType, "The result", interfaceName, method.Name, location, bag);
        var resultCodec = resultType is null ? null : CodecOf(resultType, $"The result of grain method '{interfaceName}.{method.Name}'", location, bag);

        var parameters = method.Parameters.Select((parameter, index) => (parameter, index)).ToArray();
        var cancellation = parameters.FirstOrDefault(p => _known.Is(p.parameter.Type, _known.CancellationToken));
        var argumentIndex = 0;
        var parameterModels = parameters.Select(p =>
        {
            var isToken = cancellation.parameter is not null && p.index == cancellation.index;
            var field = isToken ? CancellationFieldName : "Arg" + (argumentIndex++).ToString(CultureInfo.InvariantCulture);
            var copy = isToken || Identifiers.HasAttribute(p.parameter, KnownTypes.ImmutableAttribute)
                ? null
                : CopyOf(p.parameter.Type, $"Parameter '{p.parameter.Name}'", interfaceName, method.Name, SourceLocations.Of(p.parameter) ?? location, bag);
            var codec = isToken
                ? null
                : CodecOf(p.parameter.Type, $"Parameter '{p.parameter.Name}' of grain method '{interfaceName}.{method.Name}'", SourceLocations.Of(p.parameter) ?? location, bag);
            return new ParameterModel(Identifiers.Type(p.parameter.Type), field, isToken, copy, codec);
        }).ToEquatableArray();

        var options = (isOneWay ? MethodOptions.OneWay : MethodOptions.None)
            | (Identifiers.HasAttribute(method, KnownTypes.ReadOnlyAttribute) ? MethodOptions.ReadOnly : MethodOptions.None)
            | (Identifiers.HasAttribute(method, KnownTypes.AlwaysInterleaveAttribute) ? MethodOptions.AlwaysInterleave : MethodOptions.None);

        return new MethodModel(
            Identifiers.Type(declaring),
            Identifiers.TypeWithoutAnnotation(declaring),
            StableIds.InterfaceId(declaring, Identifiers.Alias(declaring)),
            Identifiers.Escape(method.Name),
            StableIds.MethodId(method, Identifiers.Alias(method)),
            RequestName: string.Empty,
            returnKind.Value,
            Identifiers.Type(method.ReturnType),
            resultType is null ? "global::Agents.Invocation.NoResult" : Identifiers.Type(resultType),
            resultCopy,
            resultCodec,
            options,
            timeout?.Ticks,
            parameterModels);
    }

    private static string? ParameterShapeProblem(IParameterSymbol parameter)
    {
        if (parameter.RefKind != RefKind.None)
        {
            return $"has parameter '{parameter.Name}' passed by reference (ref, out or in); grain calls pass arguments by value";
        }

        if (parameter.Type.IsRefLikeType || parameter.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol)
        {
            return $"has parameter '{parameter.Name}' of type '{Identifiers.ForMessage(parameter.Type)}', which cannot be stored in a request";
        }

        return null;
    }

    private ReturnKind? ClassifyReturn(IMethodSymbol method, string interfaceName, Location? location, DiagnosticBag bag)
    {
        var type = method.ReturnType;
        if (type.TypeKind == TypeKind.Error)
        {
            bag.MarkFailed();
            return null;
        }

        if (_known.Is(type, _known.AsyncEnumerable))
        {
            bag.Add(DiagnosticDescriptors.StreamedResponse, location, interfaceName, method.Name, Identifiers.ForMessage(type));
            return null;
        }

        ReturnKind? kind = method.ReturnsByRef || method.ReturnsByRefReadonly ? null
            : _known.Is(type, _known.Task) ? ReturnKind.Task
            : _known.Is(type, _known.TaskOfT) ? ReturnKind.TaskOfT
            : _known.Is(type, _known.ValueTask) ? ReturnKind.ValueTask
            : _known.Is(type, _known.ValueTaskOfT) ? ReturnKind.ValueTaskOfT
            : null;
        if (kind is null)
        {
            bag.Add(DiagnosticDescriptors.InvalidReturnType, location, interfaceName, method.Name, Identifiers.ForMessage(type));
        }

        return kind;
    }

    private static TimeSpan? ReadTimeout(IMethodSymbol method, string interfaceName, Location? location, DiagnosticBag bag, ref bool valid)
    {
        var attribute = Identifiers.FindAttribute(method, KnownTypes.ResponseTimeoutAttribute);
        if (attribute is null)
        {
            return null;
        }

        var text = Identifiers.StringArgument(attribute);
        // The attribute parses the same string with the same API at run time; a bad value would throw there.
        if (text is not null && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero)
        {
            return timeout;
        }

        var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? location;
        bag.Add(DiagnosticDescriptors.InvalidResponseTimeout, attributeLocation, interfaceName, method.Name, text ?? "null");
        valid = false;
        return null;
    }

    private CodecRef CodecOf(ITypeSymbol type, string what, Location? location, DiagnosticBag bag)
    {
        var codec = _codecs.Codec(type, out var unsupported);
        if (unsupported is not null)
        {
            bag.Add(DiagnosticDescriptors.TypeWithoutCodec, location, what, Identifiers.ForMessage(type), Identifiers.ForMessage(unsupported));
        }

        return codec;
    }

    private string? CopyOf(ITypeSymbol type, string what, string interfaceName, string methodName, Location? location, DiagnosticBag bag)
    {
        var copy = _classifier.CopyExpression(type, out var unsupported);
        if (unsupported is not null)
        {
            bag.Add(DiagnosticDescriptors.MutableWithoutCopier, location, what, interfaceName, methodName, Identifiers.ForMessage(type), Identifiers.ForMessage(unsupported));
        }

        return copy;
    }
}
