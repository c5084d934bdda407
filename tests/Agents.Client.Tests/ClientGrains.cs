namespace Agents.Client.Tests;

[GenerateSerializer]
public sealed class Greeting
{
    [Id(0)]
    public string To { get; set; } = "";

    [Id(1)]
    public int Times { get; set; }
}

public interface IGreeterGrain : IGrainWithStringKey
{
    Task<string> Greet(Greeting greeting);

    Task<int> Count();

    Task Fail(string message);

    Task<string> Slow(TimeSpan delay);
}

public sealed class GreeterGrain : Grain, IGreeterGrain
{
    private int _count;

    public Task<string> Greet(Greeting greeting)
    {
        _count++;
        return Task.FromResult(string.Join(" ", Enumerable.Repeat($"hello {greeting.To}", greeting.Times)));
    }

    public Task<int> Count() => Task.FromResult(_count);

    public Task Fail(string message) => throw new InvalidOperationException(message);

    public async Task<string> Slow(TimeSpan delay)
    {
        await Task.Delay(delay);
        return "done";
    }
}
