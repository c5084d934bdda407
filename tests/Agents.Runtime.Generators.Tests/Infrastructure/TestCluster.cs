using System.Collections.Concurrent;
using Agents.Invocation;
using Agents.Runtime.Generators.Tests.Grains;

namespace Agents.Runtime.Generators.Tests;

/*
 * The smallest runtime that drives generated code the way Agents.Runtime does: it hands out the
 * generated proxies, activates grains through the generated factories, copies arguments, and
 * invokes requests in the caller's turn. It is the request's callee: when an invocation finishes
 * it completes the caller and releases the callee's hold, so request objects go back to their pool.
 */
internal sealed class TestCluster : IGrainFactory, IGrainCallRuntime, IRequestCallee
{
    private readonly Dictionary<Type, GrainInterfaceDescriptor> _interfaces;
    private readonly Dictionary<GrainType, GrainClassDescriptor> _classes = [];
    private readonly ConcurrentDictionary<GrainId, TestGrainContext> _activations = new();
    private readonly IServiceProvider _services;

    public TestCluster(IServiceProvider? services = null)
    {
        _services = services ?? new TestServiceProvider(new Greeter());
        Manifest = TestManifestBuilder.LoadTestAssemblyManifest();
        _interfaces = Manifest.Interfaces.ToDictionary(i => i.InterfaceType);
        foreach (var grainClass in Manifest.GrainClasses)
        {
            _classes.Add(GrainTypeOf(grainClass.GrainClass), grainClass);
        }
    }

    public TestManifestBuilder Manifest { get; }

    /// <summary>Sees every request as it is sent (before arguments are copied).</summary>
    public Action<GrainRequest>? OnSend { get; set; }

    public TGrain GetGrain<TGrain>(string key)
        where TGrain : IGrainWithStringKey => Reference<TGrain>(key);

    public TGrain GetGrain<TGrain>(Guid key)
        where TGrain : IGrainWithGuidKey => Reference<TGrain>(key.ToString("D"));

    public TGrain GetGrain<TGrain>(long key)
        where TGrain : IGrainWithIntegerKey => Reference<TGrain>(key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public TGrain GetGrain<TGrain>(GrainId grainId)
        where TGrain : IAddressable => (TGrain)(object)_interfaces[typeof(TGrain)].ProxyFactory(this, grainId);

    /// <summary>The grain instance behind a reference (activating it if needed).</summary>
    public TGrainClass GrainOf<TGrainClass>(IAddressable reference) => (TGrainClass)Activation(reference.GetGrainId()).GrainInstance!;

    public TestGrainContext Activation(GrainId grainId) =>
        _activations.TryGetValue(grainId, out var activation) ? activation : _activations.GetOrAdd(grainId, Activate);

    public void SendRequest(GrainReference target, GrainRequest request)
    {
        OnSend?.Invoke(request);
        var activation = Activation(target.GrainId);
        request.Callee = this;
        request.RegisterCancellation();
        try
        {
            request.CopyArguments();
        }
        catch (Exception exception)
        {
            request.FailInvocation(exception);
            ReleaseCallerOfOneWay(request);
            return;
        }

        ReleaseCallerOfOneWay(request);
        request.Invoke(activation.GrainInstance!);
    }

    void IRequestCallee.OnInvocationCompleted(GrainRequest request)
    {
        request.CompleteCallerFromInvocation();
        request.ReleaseCallee();
    }

    private static void ReleaseCallerOfOneWay(GrainRequest request)
    {
        // Nobody awaits a one-way call: the runtime lets go for the caller once it accepted the request.
        if (request.Method.IsOneWay)
        {
            request.ReleaseCaller();
        }
    }

    private TGrain Reference<TGrain>(string key)
        where TGrain : IAddressable
    {
        var grainClass = Manifest.GrainClasses.Single(c => c.Interfaces.Contains(typeof(TGrain)));
        return GetGrain<TGrain>(GrainId.Create(GrainTypeOf(grainClass.GrainClass), key));
    }

    private TestGrainContext Activate(GrainId grainId)
    {
        var context = new TestGrainContext(grainId, _services, this);
        using (GrainContextScope.Enter(context))
        {
            context.GrainInstance = _classes[grainId.Type].Factory(_services, context);
        }

        return context;
    }

    private static GrainType GrainTypeOf(Type grainClass) => new(grainClass.Name.ToLowerInvariant());
}
