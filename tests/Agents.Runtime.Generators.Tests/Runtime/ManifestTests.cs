using System.Reflection;
using System.Text;
using Agents.Invocation;
using Agents.Runtime.Generators.Tests.Grains;

namespace Agents.Runtime.Generators.Tests.Runtime;

/// <summary>What the generated manifest declares: interfaces, method descriptors, grain classes and their factories.</summary>
public sealed class ManifestTests
{
    private readonly TestManifestBuilder _manifest = TestManifestBuilder.LoadTestAssemblyManifest();

    [Fact]
    public void The_assembly_names_its_manifest()
    {
        var attribute = typeof(ManifestTests).Assembly.GetCustomAttribute<GrainManifestProviderAttribute>();

        Assert.NotNull(attribute);
        Assert.Equal(typeof(Agents.Generated.Agents_Runtime_Generators_TestsManifest), attribute.ProviderType);
        Assert.Empty(typeof(ManifestTests).Assembly.GetCustomAttributes<GrainManifestReferenceAttribute>());
    }

    [Fact]
    public void The_manifest_lists_every_grain_interface_with_its_key_kind()
    {
        var interfaces = _manifest.Interfaces.ToDictionary(i => i.InterfaceType);

        Assert.Equal(5, interfaces.Count);
        Assert.Equal(GrainKeyKind.String, interfaces[typeof(ICalculatorGrain)].KeyKind);
        Assert.Equal(GrainKeyKind.Guid, interfaces[typeof(INamedGrain)].KeyKind);
        Assert.Equal(GrainKeyKind.Guid, interfaces[typeof(IGreetingGrain)].KeyKind);
        Assert.Equal(GrainKeyKind.Integer, interfaces[typeof(IInventoryGrain)].KeyKind);
    }

    [Fact]
    public void Interface_ids_hash_the_full_name_or_the_alias()
    {
        var interfaces = _manifest.Interfaces.ToDictionary(i => i.InterfaceType);

        Assert.Equal(Fnv1a("Agents.Runtime.Generators.Tests.Grains.ICalculatorGrain"), interfaces[typeof(ICalculatorGrain)].InterfaceId);
        Assert.Equal(Fnv1a("test.inventory"), interfaces[typeof(IInventoryGrain)].InterfaceId);
    }

    [Fact]
    public void Method_descriptors_carry_ids_flags_and_timeouts()
    {
        var methods = Methods<ICalculatorGrain>();
        var interfaceId = Fnv1a("Agents.Runtime.Generators.Tests.Grains.ICalculatorGrain");

        Assert.All(methods.Values, m => Assert.Equal(interfaceId, m.InterfaceId));
        Assert.All(methods.Values, m => Assert.Equal(typeof(ICalculatorGrain), m.InterfaceType));
        Assert.Equal(Fnv1a("Sum(System.Int32,System.Int32)"), methods["Sum"].MethodId);
        Assert.Equal(Fnv1a("IsCancelled(System.String,System.Threading.CancellationToken)"), methods["IsCancelled"].MethodId);
        Assert.Equal(Fnv1a("calculator-describe"), methods["Describe"].MethodId);

        Assert.True(methods["GetTotal"].IsReadOnly);
        Assert.True(methods["Ping"].IsAlwaysInterleave);
        Assert.Equal(TimeSpan.FromSeconds(5), methods["Ping"].ResponseTimeout);
        Assert.Null(methods["Sum"].ResponseTimeout);
        Assert.Equal(GrainMethodOptions.None, methods["Sum"].Options);

        var inventory = Methods<IInventoryGrain>();
        Assert.True(inventory["Notify"].IsOneWay);
        Assert.True(inventory["NotifyLater"].IsOneWay);
        Assert.False(inventory["AddItems"].IsOneWay);
        Assert.Equal(
            Fnv1a("Group(System.Collections.Generic.Dictionary`2[System.String,System.Collections.Generic.List`1[System.Int32]])"),
            inventory["Group"].MethodId);
    }

    [Fact]
    public void A_derived_interface_describes_inherited_methods_under_their_declaring_interface()
    {
        var descriptor = _manifest.Interfaces.Single(i => i.InterfaceType == typeof(IGreetingGrain));
        var namedId = Fnv1a("Agents.Runtime.Generators.Tests.Grains.INamedGrain");
        var greetingId = Fnv1a("Agents.Runtime.Generators.Tests.Grains.IGreetingGrain");

        Assert.Equal(4, descriptor.Methods.Count);
        Assert.Contains(descriptor.Methods, m => m.Name == "GetName" && m.InterfaceType == typeof(IGreetingGrain) && m.InterfaceId == greetingId);
        Assert.Contains(descriptor.Methods, m => m.Name == "GetName" && m.InterfaceType == typeof(INamedGrain) && m.InterfaceId == namedId);
        Assert.Contains(descriptor.Methods, m => m.Name == "GetKey" && m.InterfaceType == typeof(INamedGrain));
    }

    [Fact]
    public void The_manifest_lists_grain_classes_with_the_interfaces_they_serve()
    {
        var classes = _manifest.GrainClasses.ToDictionary(c => c.GrainClass);

        Assert.Equal(3, classes.Count);
        Assert.Equal([typeof(ICalculatorGrain)], classes[typeof(CalculatorGrain)].Interfaces);
        Assert.Equal([typeof(IGreetingGrain), typeof(INamedGrain)], classes[typeof(GreetingGrain)].Interfaces.OrderBy(t => t.Name));
        Assert.Equal([typeof(IInventoryGrain)], classes[typeof(InventoryGrain)].Interfaces);
    }

    [Fact]
    public void The_factory_resolves_services_and_persistent_state()
    {
        var factory = _manifest.GrainClasses.Single(c => c.GrainClass == typeof(InventoryGrain)).Factory;
        var greeter = new Greeter();
        var services = new TestServiceProvider(greeter);
        var context = new TestGrainContext(GrainId.Create(new GrainType("inventorygrain"), "7"), services, new TestCluster(services));

        object grain;
        using (GrainContextScope.Enter(context))
        {
            grain = factory(services, context);
        }

        var inventory = Assert.IsType<InventoryGrain>(grain);
        Assert.Same(greeter, inventory.Greeter);
        Assert.Same(context, inventory.GrainContext);
        var state = Assert.IsType<TestPersistentState<InventoryState>>(inventory.State);
        Assert.Equal("inventory", state.StateName);
        Assert.Equal("store", state.StorageName);
        Assert.Equal([("inventory", (string?)"store")], context.RequestedStates);
    }

    [Fact]
    public void The_factory_passes_the_grain_context_to_a_poco_grain()
    {
        var factory = _manifest.GrainClasses.Single(c => c.GrainClass == typeof(GreetingGrain)).Factory;
        var services = new TestServiceProvider(new Greeter());
        var context = new TestGrainContext(GrainId.Create(new GrainType("greetinggrain"), Guid.NewGuid().ToString("D")), services, new TestCluster(services));

        var grain = Assert.IsType<GreetingGrain>(factory(services, context));

        Assert.Same(context, grain.GrainContext);
    }

    [Fact]
    public void A_missing_service_fails_with_a_message_naming_the_grain_and_the_service()
    {
        var factory = _manifest.GrainClasses.Single(c => c.GrainClass == typeof(GreetingGrain)).Factory;
        var services = new TestServiceProvider();
        var context = new TestGrainContext(GrainId.Create(new GrainType("greetinggrain"), "k"), services, new TestCluster(services));

        var exception = Assert.Throws<InvalidOperationException>(() => factory(services, context));

        Assert.Contains(typeof(GreetingGrain).FullName!, exception.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(IGreeter).FullName!, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serializable_types_are_listed_with_their_aliases()
    {
        Assert.Equal("test.order-summary", _manifest.SerializableTypes[typeof(OrderSummary)]);
        Assert.Equal("Agents.Runtime.Generators.Tests.Grains.Order", _manifest.SerializableTypes[typeof(Order)]);
        Assert.Equal(20, _manifest.SerializableTypes.Count);
    }

    [Fact]
    public void Proxies_are_grain_references_equal_by_grain_id()
    {
        var cluster = new TestCluster();
        var first = cluster.GetGrain<ICalculatorGrain>("same");
        var second = cluster.GetGrain<ICalculatorGrain>("same");

        var reference = Assert.IsAssignableFrom<GrainReference>(first);
        Assert.NotSame(first, second);
        Assert.Equal<object>(reference, second);
        Assert.Equal("calculatorgrain/same", reference.ToString());
    }

    private Dictionary<string, GrainMethodDescriptor> Methods<TInterface>() =>
        _manifest.Interfaces.Single(i => i.InterfaceType == typeof(TInterface)).Methods.ToDictionary(m => m.Name);

    /// <summary>FNV-1a 32 over UTF-8, written independently of the generator's.</summary>
    internal static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
