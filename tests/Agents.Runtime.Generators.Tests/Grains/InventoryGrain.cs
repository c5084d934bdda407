namespace Agents.Runtime.Generators.Tests.Grains;

/// <summary>Mutable arguments and results, one-way calls, an integer key and persistent state.</summary>
[Alias("test.inventory")]
public interface IInventoryGrain : IGrainWithIntegerKey
{
    /// <summary>The grain appends to the list it receives.</summary>
    Task<int> AddItems(List<string> items);

    /// <summary>Returns the grain's own list.</summary>
    Task<List<string>> GetItems();

    /// <summary>The grain mutates the order it receives, keeps it, and returns it.</summary>
    Task<Order> Submit(Order order);

    Task<Order?> GetLastOrder();

    Task<Shape> Resize(Shape shape, double factor);

    Task<Measurement> Record(Measurement measurement);

    Task<Snapshot> Snap(Snapshot snapshot);

    Task<Dictionary<string, List<int>>> Group(Dictionary<string, List<int>> groups);

    Task<int[]> Double(int[] numbers);

    Task<object?> Roundtrip(object? value);

    Task<OrderSummary> Summarize(OrderSummary summary);

    Task<bool> KeepsReference([Immutable] List<string> items);

    Task<long> GetKey();

    Task<string> GetStateName();

    [OneWay]
    Task Notify(string message);

    [OneWay]
    ValueTask NotifyLater(string message);
}

public sealed class InventoryState
{
    public List<string> Items { get; set; } = [];
}

public sealed class InventoryGrain(
    [PersistentState("inventory", "store")] IPersistentState<InventoryState> state,
    IGreeter greeter) : Grain, IInventoryGrain
{
    private readonly TaskCompletionSource _notifyLater = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<string>? _immutableArgument;

    public IPersistentState<InventoryState> State { get; } = state;

    public IGreeter Greeter { get; } = greeter;

    public List<string> Notifications { get; } = [];

    public Order? LastOrder { get; private set; }

    public void CompleteNotifyLater() => _notifyLater.TrySetResult();

    public Task<int> AddItems(List<string> items)
    {
        items.Add("added-by-grain");
        State.State.Items.AddRange(items);
        return Task.FromResult(State.State.Items.Count);
    }

    public Task<List<string>> GetItems() => Task.FromResult(State.State.Items);

    public Task<Order> Submit(Order order)
    {
        order.Customer += " (submitted)";
        order.Lines.Add(new OrderLine { Sku = "grain-line", Quantity = 1 });
        order.Bump();
        order.Notes.Add("seen");
        LastOrder = order;
        return Task.FromResult(order);
    }

    public Task<Order?> GetLastOrder() => Task.FromResult(LastOrder);

    public Task<Shape> Resize(Shape shape, double factor)
    {
        if (shape is Circle circle)
        {
            circle.Radius *= factor;
        }

        return Task.FromResult(shape);
    }

    public Task<Measurement> Record(Measurement measurement)
    {
        measurement.History.Add(measurement.Value);
        return Task.FromResult(measurement);
    }

    public Task<Snapshot> Snap(Snapshot snapshot)
    {
        snapshot.Values.Add(-1);
        return Task.FromResult(snapshot);
    }

    public Task<Dictionary<string, List<int>>> Group(Dictionary<string, List<int>> groups)
    {
        foreach (var list in groups.Values)
        {
            list.Add(0);
        }

        return Task.FromResult(groups);
    }

    public Task<int[]> Double(int[] numbers)
    {
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] *= 2;
        }

        return Task.FromResult(numbers);
    }

    public Task<object?> Roundtrip(object? value) => Task.FromResult(value);

    public Task<OrderSummary> Summarize(OrderSummary summary) => Task.FromResult(summary);

    public Task<bool> KeepsReference(List<string> items)
    {
        var same = ReferenceEquals(items, _immutableArgument);
        _immutableArgument = items;
        return Task.FromResult(same);
    }

    public Task<long> GetKey() => Task.FromResult(this.GetPrimaryKeyLong());

    public Task<string> GetStateName() => Task.FromResult(((TestPersistentState<InventoryState>)State).Describe());

    public Task Notify(string message)
    {
        Notifications.Add(message);
        return Task.CompletedTask;
    }

    public async ValueTask NotifyLater(string message)
    {
        await _notifyLater.Task;
        Notifications.Add(message);
    }
}
