using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>
/// Settings of a silo. Bound from configuration section <c>Agents:Silo</c>; every property has a
/// named default and is validated at start-up by <see cref="SiloOptionsValidator"/>.
/// </summary>
public sealed class SiloOptions
{
    public const string SectionName = "Agents:Silo";

    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultCollectionAge = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DefaultCollectionQuantum = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultActivationTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultDeactivationTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultResponseTimeoutCheckPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>The cluster this silo belongs to. Silos and clients with another id are refused.</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>The silo's name in logs and the dashboard; the machine name when empty.</summary>
    public string? SiloName { get; set; }

    /// <summary>The silo's role, for <c>[SiloRoleBasedPlacement]</c>; empty for none.</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>How long a caller waits for a response unless the method sets <c>[ResponseTimeout]</c>.</summary>
    public TimeSpan ResponseTimeout { get; set; } = DefaultResponseTimeout;

    /// <summary>How often outstanding calls are checked against their deadlines; the timeout precision.</summary>
    public TimeSpan ResponseTimeoutCheckPeriod { get; set; } = DefaultResponseTimeoutCheckPeriod;

    /// <summary>An activation idle for this long is deactivated, unless its class sets <c>[CollectionAgeLimit]</c>.</summary>
    public TimeSpan CollectionAge { get; set; } = DefaultCollectionAge;

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan CollectionQuantum { get; set; } = DefaultCollectionQuantum;

    /// <summary>Upper bound for reading state and running <c>OnActivateAsync</c>.</summary>
    public TimeSpan ActivationTimeout { get; set; } = DefaultActivationTimeout;

    /// <summary>Upper bound for <c>OnDeactivateAsync</c>.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = DefaultDeactivationTimeout;

    /// <summary>Upper bound for a graceful shutdown: deactivating every grain.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>
    /// When true, a call that comes back to a grain already in its call chain proceeds
    /// (interleaving at awaits) instead of failing with <see cref="DeadlockException"/>.
    /// </summary>
    public bool AllowCallChainReentrancy { get; set; }

    /// <summary>Work items an activation runs before yielding its thread to others.</summary>
    public int MaxWorkItemsPerTurnSlice { get; set; } = 64;
}

/// <summary>Rejects bad <see cref="SiloOptions"/> at start-up with a message naming the configuration key.</summary>
public sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(SiloOptions.SectionName);
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add(nameof(options.ClusterId), "must not be empty.");
        }

        failures.Positive(options.ResponseTimeout, nameof(options.ResponseTimeout));
        failures.Positive(options.ResponseTimeoutCheckPeriod, nameof(options.ResponseTimeoutCheckPeriod));
        failures.Positive(options.CollectionAge, nameof(options.CollectionAge));
        failures.Positive(options.CollectionQuantum, nameof(options.CollectionQuantum));
        failures.Positive(options.ActivationTimeout, nameof(options.ActivationTimeout));
        failures.Positive(options.DeactivationTimeout, nameof(options.DeactivationTimeout));
        failures.Positive(options.ShutdownTimeout, nameof(options.ShutdownTimeout));
        failures.AtLeastOne(options.MaxWorkItemsPerTurnSlice, nameof(options.MaxWorkItemsPerTurnSlice));
        return failures.Result;
    }
}
