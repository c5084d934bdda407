using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Agents.CodeGeneration.Diagnostics;
using Agents.CodeGeneration.Emit;
using Agents.CodeGeneration.Model;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration;

/*
 * The Agents source generator (docs/codegen.md is its specification).
 *
 * Three syntax-driven inputs (interfaces, classes, [GenerateSerializer] types) are each turned
 * by a transform that does all the semantic work into a result: diagnostics with their source
 * locations, and an equatable model that holds no symbols, locations or trees. The two are
 * split right away:
 *
 *   results ──► diagnostics ──► reported (re-run with the transform; cheap)
 *           └─► models ──► emitted (skipped by Roslyn while the models compare equal)
 *
 *   interface declarations ──► ProxyModel ──► <Namespace>.FooProxy.g.cs (proxy, requests, descriptor)
 *   grain classes          ──► GrainFactoryModel ─────┐
 *   [GenerateSerializer]   ──► SerializableTypeModel ─┼─► <Assembly>Manifest.g.cs, <Assembly>Copiers.g.cs, <Assembly>Codecs.g.cs
 *   the compilation        ──► CompilationModel ──────┘
 *
 * Nothing is generated for a compilation that does not reference Agents.Runtime.Abstractions.
 */

/// <summary>Generates grain proxies, requests, descriptors, factories, copiers, codecs and the assembly manifest.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class GrainCodeGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var compilation = context.CompilationProvider.Select(static (c, ct) => CompilationExtractor.Extract(c, ct));

        var interfaces = context.SyntaxProvider
            .CreateSyntaxProvider(static (node, _) => InterfaceExtractor.IsCandidate(node), InterfaceExtractor.Extract)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!);
        var classes = context.SyntaxProvider
            .CreateSyntaxProvider(static (node, _) => GrainClassExtractor.IsCandidate(node), GrainClassExtractor.Extract)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!);
        var serializableTypes = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.GenerateSerializerAttribute, static (_, _) => true, SerializableTypeExtractor.Extract)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!);

        // Diagnostics, with their source locations.
        context.RegisterSourceOutput(interfaces, static (spc, model) => spc.ReportAll(model.Diagnostics));
        context.RegisterSourceOutput(interfaces.Collect(), static (spc, models) => ReportDuplicateInterfaceIds(spc, models));
        context.RegisterSourceOutput(classes, static (spc, model) => spc.ReportAll(model.Diagnostics));
        context.RegisterSourceOutput(serializableTypes, static (spc, model) => spc.ReportAll(model.Diagnostics));

        // Sources, from equatable models only.
        var proxies = interfaces.Select(static (m, _) => m.Proxy).Where(static p => p is not null).Select(static (p, _) => p!)
            .WithTrackingName(TrackingNames.Proxies);
        var factories = classes.Select(static (m, _) => m.Factory).Where(static f => f is not null).Select(static (f, _) => f!)
            .WithTrackingName(TrackingNames.Factories);
        var typeModels = serializableTypes.Select(static (m, _) => m.Model).Where(static t => t is not null).Select(static (t, _) => t!)
            .WithTrackingName(TrackingNames.SerializableTypes);

        context.RegisterSourceOutput(proxies, static (spc, proxy) => spc.AddSource(ProxyEmitter.HintName(proxy), ProxyEmitter.Emit(proxy)));

        var manifestInput = compilation
            .Combine(proxies.Collect())
            .Combine(factories.Collect())
            .Combine(typeModels.Collect())
            .WithTrackingName(TrackingNames.Manifest);
        context.RegisterSourceOutput(manifestInput, static (spc, input) =>
        {
            var (((model, proxyModels), factoryModels), serializableModels) = input;
            if (model is not null)
            {
                EmitManifest(spc, model, proxyModels, factoryModels, serializableModels);
            }
        });
    }

    private static void EmitManifest(
        SourceProductionContext context,
        CompilationModel compilation,
        ImmutableArray<ProxyModel> proxies,
        ImmutableArray<GrainFactoryModel> factories,
        ImmutableArray<SerializableTypeModel> serializableTypes)
    {
        // Sorted, so the output does not depend on the order files were handed to the compiler.
        var types = serializableTypes.OrderBy(t => t.TypeOfExpression, System.StringComparer.Ordinal).ToList();
        var copiers = types.Select(t => t.Copier).OfType<CopierModel>().ToList();
        var codecs = types.Select(t => t.Codec).OfType<CodecModel>().ToList();

        // Records sent without [GenerateSerializer] get codecs too; several interfaces and types may imply one.
        var marked = new HashSet<string>(codecs.Select(c => c.Type), System.StringComparer.Ordinal);
        var implied = types.SelectMany(t => t.ImpliedCodecs)
            .Concat(proxies.SelectMany(p => p.ImpliedCodecs))
            .Where(c => !marked.Contains(c.Type))
            .GroupBy(c => c.Type, System.StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(c => c.Type, System.StringComparer.Ordinal)
            .ToList();
        context.AddSource(
            ManifestEmitter.ClassName(compilation) + ".g.cs",
            ManifestEmitter.Emit(
                compilation,
                proxies.OrderBy(p => p.FullProxyName, System.StringComparer.Ordinal).ToList(),
                factories.OrderBy(f => f.ClassType, System.StringComparer.Ordinal).ToList(),
                types,
                implied));
        if (copiers.Count > 0)
        {
            context.AddSource(compilation.AssemblyIdentifier + "Copiers.g.cs", CopierEmitter.Emit(compilation, copiers));
        }

        var classes = codecs.Concat(implied).Where(CodecEmitter.HasClass).OrderBy(c => c.Type, System.StringComparer.Ordinal).ToList();
        if (classes.Count > 0)
        {
            context.AddSource(compilation.AssemblyIdentifier + "Codecs.g.cs", CodecEmitter.Emit(compilation, classes));
        }
    }

    /// <summary>AGT0004 across interfaces: two grain interfaces of this assembly with one id.</summary>
    private static void ReportDuplicateInterfaceIds(SourceProductionContext context, ImmutableArray<InterfaceModel> interfaces)
    {
        var seen = new Dictionary<uint, InterfaceModel>();
        foreach (var model in interfaces.Where(i => i.Proxy is not null).OrderBy(i => i.Proxy!.FullProxyName, System.StringComparer.Ordinal))
        {
            var id = model.Proxy!.InterfaceId;
            if (!seen.TryGetValue(id, out var first))
            {
                seen.Add(id, model);
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.DuplicateInterfaceId,
                model.Location ?? Location.None,
                first.DisplayName,
                model.DisplayName,
                id.ToString("X8", CultureInfo.InvariantCulture)));
        }
    }
}

/// <summary>Names of pipeline steps, so tests can check that unchanged models are not re-emitted.</summary>
internal static class TrackingNames
{
    public const string Proxies = "Agents.Proxies";
    public const string Factories = "Agents.Factories";
    public const string SerializableTypes = "Agents.SerializableTypes";
    public const string Manifest = "Agents.Manifest";
}
