using Agents.Invocation;
using Agents.Serialization;

namespace Agents.Runtime.Reminders;

/// <summary>
/// Delivers one reminder tick to a grain as <see cref="IRemindable.ReceiveReminder"/>. It travels like
/// any call (queued on the activation, activating the grain if needed, one turn at a time, to
/// whichever silo hosts the grain), but is a runtime request rather than a generated one, because
/// <see cref="IRemindable"/> is implemented by grain classes beside their grain interfaces.
/// </summary>
internal sealed class ReminderTickRequest : GrainRequest<NoResult>
{
    /// <summary>A reserved interface id no generated interface takes (registered by the runtime itself, like stream deliveries).</summary>
    public const uint InterfaceId = 0xA6E7_5D02;

    public static readonly GrainMethodDescriptor Descriptor = new(typeof(IRemindable), InterfaceId, nameof(IRemindable.ReceiveReminder), 1, GrainMethodOptions.None, null, Rent);

    public string ReminderName = string.Empty;
    public TickStatus Status;

    public override GrainMethodDescriptor Method => Descriptor;

    public override int ArgumentCount => 2;

    public override object? GetArgument(int index) => index switch
    {
        0 => ReminderName,
        1 => Status,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public static ReminderTickRequest Rent() => GrainRequestPool<ReminderTickRequest>.Rent();

    public Task AsTaskForCaller() => AsVoidTask();

    protected override void InvokeOn(object grain)
    {
        if (grain is not IRemindable remindable)
        {
            // A reminder outlived the grain class's IRemindable (code changed): say so on every tick, in the reminder service's log.
            throw new ReminderException(
                $"Reminder '{ReminderName}' ticked for {TargetId}, but its class {grain.GetType().FullName} does not implement IRemindable. " +
                "Implement it, or unregister the reminder.");
        }

        OnInvoked(remindable.ReceiveReminder(ReminderName, Status));
    }

    public override void WriteArguments(ref WireWriter writer)
    {
        writer.WriteString(0, ReminderName);
        writer.WriteInt64(1, Status.FirstTickTime.UtcTicks);
        writer.WriteInt64(2, Status.Period.Ticks);
        writer.WriteInt64(3, Status.CurrentTickTime.UtcTicks);
        writer.WriteEndObject();
    }

    public override void ReadArguments(ref WireReader reader)
    {
        long first = 0, period = 0, current = 0;
        while (reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case 0u:
                    ReminderName = reader.ReadString(field) ?? string.Empty;
                    break;
                case 1u:
                    first = reader.ReadInt64(field);
                    break;
                case 2u:
                    period = reader.ReadInt64(field);
                    break;
                case 3u:
                    current = reader.ReadInt64(field);
                    break;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        Status = new TickStatus(UtcFromTicks(first), TimeSpan.FromTicks(period), UtcFromTicks(current));
    }

    private static DateTimeOffset UtcFromTicks(long ticks) =>
        ticks is >= 0 and <= 3155378975999999999 ? new DateTimeOffset(ticks, TimeSpan.Zero)
        : throw new SerializationException($"A reminder tick carries an invalid time ({ticks} ticks).");

    protected override void ClearArguments()
    {
        ReminderName = string.Empty;
        Status = default;
    }

    protected override void ReturnToPool() => GrainRequestPool<ReminderTickRequest>.Return(this);
}
