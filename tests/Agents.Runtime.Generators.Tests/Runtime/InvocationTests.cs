using Agents.Invocation;
using Agents.Runtime.Generators.Tests.Grains;

namespace Agents.Runtime.Generators.Tests.Runtime;

/// <summary>Calls through generated proxies and requests: every return shape, keys, inheritance, failures.</summary>
public sealed class InvocationTests
{
    private readonly TestCluster _cluster = new();

    [Fact]
    public async Task Every_return_shape_delivers_its_result()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("shapes");

        await calculator.Reset();
        Assert.Equal(5, await calculator.Add(5));
        Assert.Equal(7, await calculator.Add(2));
        await calculator.Touch();
        Assert.Equal(42, await calculator.Sum(40, 2));
        Assert.Equal("hi", await calculator.Echo("hi"));
        Assert.Null(await calculator.Echo(null));
        Assert.Equal(7, await calculator.GetTotal());
        Assert.Equal("pong", await calculator.Ping());
        Assert.Equal("calculator 7", await calculator.Describe());
        Assert.Equal(1, _cluster.GrainOf<CalculatorGrain>(calculator).Touches);
    }

    [Fact]
    public async Task A_result_that_completes_later_reaches_the_caller()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("later");

        var pending = calculator.WaitForRelease();
        Assert.False(pending.IsCompleted);
        await calculator.Release(17);

        Assert.Equal(17, await pending);
    }

    [Fact]
    public async Task String_guid_and_integer_keys_reach_the_grain()
    {
        var guid = Guid.NewGuid();

        Assert.Equal("my-key", await _cluster.GetGrain<ICalculatorGrain>("my-key").GetKey());
        Assert.Equal(guid, await _cluster.GetGrain<IGreetingGrain>(guid).GetKey());
        Assert.Equal(-12345L, await _cluster.GetGrain<IInventoryGrain>(-12345L).GetKey());
    }

    [Fact]
    public async Task A_derived_interface_proxy_implements_inherited_methods()
    {
        var key = Guid.NewGuid();
        var greeting = _cluster.GetGrain<IGreetingGrain>(key);
        INamedGrain named = greeting;

        Assert.Equal("Hello, Ada!", await greeting.Greet("Ada"));
        Assert.Equal("greeting", await greeting.GetName());
        Assert.Equal("named", await named.GetName());
        Assert.Equal(key, await named.GetKey());
    }

    [Fact]
    public async Task A_synchronous_throw_reaches_the_caller_with_its_type_and_message()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("sync-failure");

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => calculator.Fail("sync boom"));

        Assert.Equal("sync boom", exception.Message);
    }

    [Fact]
    public async Task An_asynchronous_fault_reaches_the_caller_with_its_type_and_message()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("async-failure");

        var taskFault = await Assert.ThrowsAsync<ArgumentException>(() => calculator.FailAsync("task boom"));
        var valueTaskFault = await Assert.ThrowsAsync<FormatException>(async () => await calculator.FailValueTask("value task boom"));

        Assert.Equal("task boom", taskFault.Message);
        Assert.Equal("value task boom", valueTaskFault.Message);
    }

    [Fact]
    public async Task A_failed_call_leaves_the_grain_usable()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("after-failure");

        await Assert.ThrowsAsync<InvalidOperationException>(() => calculator.Fail("boom"));

        Assert.Equal(3, await calculator.Sum(1, 2));
    }

    [Fact]
    public async Task The_cancellation_token_is_passed_but_not_counted_as_an_argument()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("cancellation");
        var argumentCount = -1;
        object? firstArgument = null;
        var tokenSeen = default(CancellationToken);
        _cluster.OnSend = request =>
        {
            argumentCount = request.ArgumentCount;
            firstArgument = request.GetArgument(0);
            tokenSeen = request.CancellationToken;
        };
        using var source = new CancellationTokenSource();

        var isCancelled = await calculator.IsCancelled("label", source.Token);

        Assert.Equal(1, argumentCount);
        Assert.Equal("label", firstArgument);
        Assert.Equal(source.Token, tokenSeen);
        Assert.False(isCancelled);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_callers_wait()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("cancelled");
        using var source = new CancellationTokenSource();
        await source.CancelAsync();

        // The runtime registers the request's token (exposed by the generated override) with the caller's wait.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => calculator.IsCancelled("label", source.Token));
    }

    [Fact]
    public async Task GetArgument_exposes_arguments_in_order_and_rejects_other_indexes()
    {
        var calculator = _cluster.GetGrain<ICalculatorGrain>("arguments");
        var arguments = new List<object?>();
        var outOfRange = false;
        _cluster.OnSend = request =>
        {
            for (var i = 0; i < request.ArgumentCount; i++)
            {
                arguments.Add(request.GetArgument(i));
            }

            try
            {
                request.GetArgument(request.ArgumentCount);
            }
            catch (ArgumentOutOfRangeException)
            {
                outOfRange = true;
            }
        };

        await calculator.Sum(3, 4);

        Assert.Equal([3, 4], arguments);
        Assert.True(outOfRange);
    }

    [Fact]
    public async Task A_one_way_call_returns_before_the_grain_finishes()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(1);
        var grain = _cluster.GrainOf<InventoryGrain>(inventory);

        var notifyLater = inventory.NotifyLater("later");

        Assert.True(notifyLater.IsCompletedSuccessfully);
        Assert.Empty(grain.Notifications);

        await inventory.Notify("now");
        Assert.Equal(["now"], grain.Notifications);

        grain.CompleteNotifyLater();
        await WaitUntil(() => grain.Notifications.Count == 2);
        Assert.Equal(["now", "later"], grain.Notifications);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        // The one-way invocation resumes on the thread pool; poll briefly for it (bounded, not a fixed sleep).
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }
}
