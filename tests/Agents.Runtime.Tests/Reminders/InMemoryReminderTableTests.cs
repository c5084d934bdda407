using Agents.Runtime.Reminders;
using Agents.Testing.Reminders;

namespace Agents.Runtime.Tests.Reminders;

/// <summary>The reminder table contract, run against the in-memory table.</summary>
public sealed class InMemoryReminderTableTests()
    : ReminderTableConformanceTests(() => Task.FromResult<IReminderTable>(new InMemoryReminderTable()));
