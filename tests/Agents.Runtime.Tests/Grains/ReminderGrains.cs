using System.Collections.Concurrent;
using Agents.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Grains;

/// <summary>One delivered reminder tick, as the grain saw it.</summary>
public sealed record ReminderTickRecord(string ReminderName, TickStatus Status, DateTimeOffset ReceivedAt, string Silo, int Activation);

/// <summary>
/// Every tick every <see cref="RemindedGrain"/> received in this test process, by grain key: the
/// record outlives activations and silos, as the reminders do.
/// </summary>
public static class ReminderLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<ReminderTickRecord>> Ticks = new();
    private static int _activations;

    public static IReadOnlyList<ReminderTickRecord> Of(string key) => Ticks.TryGetValue(key, out var ticks) ? [.. ticks] : [];

    public static int Count(string key, string? reminderName = null) => Of(key).Count(t => reminderName is null || t.ReminderName == reminderName);

    internal static void Add(string key, ReminderTickRecord tick) => Ticks.GetOrAdd(key, _ => new()).Enqueue(tick);

    internal static int NextActivation() => Interlocked.Increment(ref _activations);
}

public interface IRemindedGrain : IGrainWithStringKey
{
    Task Start(string reminderName, TimeSpan dueTime, TimeSpan period);

    Task<bool> Stop(string reminderName);

    Task<string[]> List();

    /// <summary>From now on, each tick deactivates the grain after it is recorded, so the next one must activate it again.</summary>
    Task DeactivateAfterEachTick();

    /// <summary>From now on, ticks of this reminder throw after being recorded.</summary>
    Task FailTicksOf(string reminderName);
}

public sealed class RemindedGrain : Grain, IRemindedGrain, IRemindable
{
    private static readonly ConcurrentDictionary<string, bool> DeactivatingKeys = new();
    private static readonly ConcurrentDictionary<string, string> FailingReminders = new();
    private readonly int _activation = ReminderLog.NextActivation();

    public Task Start(string reminderName, TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder(reminderName, dueTime, period);

    public Task<bool> Stop(string reminderName) => this.UnregisterReminder(reminderName);

    public async Task<string[]> List() => [.. (await this.GetReminders()).Select(r => r.ReminderName)];

    public Task DeactivateAfterEachTick()
    {
        DeactivatingKeys[Key] = true;
        return Task.CompletedTask;
    }

    public Task FailTicksOf(string reminderName)
    {
        FailingReminders[Key] = reminderName;
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var silo = ServiceProvider.GetService<SiloCluster>()?.Self.ToString() ?? "local";
        ReminderLog.Add(Key, new ReminderTickRecord(reminderName, status, DateTimeOffset.UtcNow, silo, _activation));
        if (DeactivatingKeys.ContainsKey(Key))
        {
            DeactivateOnIdle();
        }

        return FailingReminders.TryGetValue(Key, out var failing) && failing == reminderName
            ? throw new InvalidOperationException($"tick of {reminderName} failed on purpose")
            : Task.CompletedTask;
    }

    private string Key => this.GetPrimaryKeyString();
}

public interface INotRemindableGrain : IGrainWithStringKey
{
    Task Start();
}

/// <summary>Registers a reminder without implementing <see cref="IRemindable"/>: a programming error the runtime must name.</summary>
public sealed class NotRemindableGrain : Grain, INotRemindableGrain
{
    public Task Start() => this.RegisterOrUpdateReminder("never", TimeSpan.Zero, TimeSpan.FromMinutes(1));
}
