using Agents.Runtime.Reminders;
using Agents.Timers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>The reminder service for the silo builder.</summary>
public static class ReminderSiloBuilderExtensions
{
    /// <summary>
    /// Runs the reminder service over <paramref name="table"/>, shared by every silo of the cluster.
    /// Settings bind from <c>Agents:Reminders</c> (<see cref="ReminderOptions"/>). A table registered
    /// in code wins over <c>Agents:Reminders:Provider</c>.
    /// </summary>
    public static ISiloBuilder UseReminders(this ISiloBuilder silo, Func<IServiceProvider, IReminderTable> table)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(table);
        silo.Services.RemoveAll<IReminderTable>();
        silo.Services.AddSingleton(table);
        var services = silo.Services;
        if (services.Any(d => d.ServiceType == typeof(ReminderService)))
        {
            return silo;
        }

        services.AddOptions<ReminderOptions>().BindConfiguration(ReminderOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReminderOptions>, ReminderOptionsValidator>());
        services.AddSingleton<ReminderService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ReminderService>());
        services.AddSingleton<IReminderStatus>(sp => sp.GetRequiredService<ReminderService>());
        services.AddSingleton<IReminderRegistry, ReminderRegistry>();
        return silo;
    }

    /// <summary>Reminders in this process's memory: they tick while the silo runs and are lost when it stops. For tests and a single dev silo.</summary>
    public static ISiloBuilder UseInMemoryReminderService(this ISiloBuilder silo) =>
        silo.UseReminders(static _ => new InMemoryReminderTable());
}
