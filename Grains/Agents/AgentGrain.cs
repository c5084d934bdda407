using System.Diagnostics;
using System.Text.Json;
using Agents.Feed;
using Agents.Hosting;
using Agents.Signals;
using Agents.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Agents;

/*
 * The grain every agent lives in: grain type "agent", key "{agent type}/{key}".
 *
 * Invariants
 *  - One message at a time (a non-reentrant grain): a signal's handler, including its retries, and
 *    an ask never interleave, so an agent's handlers see their own state changes only.
 *  - Signals from one dispatcher arrive in publication order and are handled in that order; a
 *    signal whose handler keeps failing is retried MaxAttempts times with exponential backoff, then
 *    dead-lettered, and the next signal runs: one poisoned signal delays its successors by the
 *    bounded retry time and never blocks them.
 *  - A failed attempt's unsaved state changes are discarded: the agent's state is reloaded from the
 *    last saved JSON before the next attempt, and before the next signal after a dead letter.
 *  - Redeliveries are skipped by signal id (the fingerprints of the last 256 handled ids, stored
 *    with the state; see RecentSignalIds.cs). A handler that saves state saves, in the same write,
 *    that its signal was handled (its fingerprint and the handled count): a redelivery after a
 *    crash that follows the save is skipped, not applied twice to the state it already changed.
 *  - Asks that fail CircuitBreakerFailures times in a row open the breaker: asks are refused with a
 *    clear error until CircuitBreakerOpenFor has passed; the next success closes it.
 */

/// <summary>Hosts one agent. See the invariants at the top of this file.</summary>
[GrainType("agent")]
public sealed partial class AgentGrain : Grain, IAgentGrain
{
    private readonly IPersistentState<AgentRecord> _record;
    private readonly AgentTypeRegistry _registry;
    private readonly AgentServiceOptions _options;
    private readonly ILogger<AgentGrain> _logger;
    private readonly TimeProvider _time;
    private readonly LocalAgentCensus _census;
    private bool _counted;
    private bool _handledCountSaved; // the running handler's save already counted its signal as handled
    private readonly RecentSignalIds _recent = new();
    private Agent? _agent;
    private AgentBehavior? _behavior;
    private AgentContext? _context;
    private AgentId _id;
    private int _consecutiveAskFailures;
    private DateTimeOffset _breakerOpenUntil;
    private string? _lastAskFailure;

    public AgentGrain(
        [PersistentState("agent")] IPersistentState<AgentRecord> record,
        AgentTypeRegistry registry,
        IOptions<AgentServiceOptions> options,
        ILogger<AgentGrain> logger,
        LocalAgentCensus census,
        TimeProvider? time = null)
    {
        _census = census;
        _record = record;
        _registry = registry;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    internal IGrainFactory AgentFactory => GrainFactory;

    internal TimeProvider Time => _time;

    /// <summary>Agents:Service:MaxSignalHops: the longest causation chain a handler may publish into.</summary>
    internal int MaxSignalHops => _options.MaxSignalHops;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = AgentId.FromGrainKey(this.GetPrimaryKeyString());
        _agent = _registry.Create(_id.Type, ServiceProvider);
        _behavior = new AgentBehavior();
        _agent.ConfigureBehavior(_behavior);
        _context = new AgentContext(this, _id, _registry.RoleOf(_id.Type), ServiceProvider, _logger);
        _agent.Attach(_context);
        _agent.LoadState(_record.State.State);
        foreach (var id in _record.State.RecentSignalIds ?? [])
        {
            _recent.Add(id); // a record written before fingerprints
        }

        _recent.Load(_record.State.RecentSignals);
        _record.State.RecentSignalIds = null;

        await _agent.ActivateAsync(cancellationToken);
        _census.Activated(_id.Type);
        _counted = true;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_counted)
        {
            _counted = false;
            _census.Deactivated(_id.Type);
        }

        if (_agent is { } agent)
        {
            await agent.DeactivateAsync(cancellationToken);
        }
    }

    public async Task<string> Ask(string request, string bodyJson)
    {
        var (agent, behavior) = Attached();
        var now = _time.GetUtcNow();
        if (now < _breakerOpenUntil)
        {
            throw new AgentUnavailableException(
                $"Agent {_id} failed {_consecutiveAskFailures} asks in a row (last: {_lastAskFailure}); its circuit breaker refuses asks until {_breakerOpenUntil:O}.");
        }

        if (string.IsNullOrEmpty(request) && behavior.OnlyRequest is { } only)
        {
            // No request named and only one answered: that one is the agent's default.
            request = only;
        }

        if (!behavior.TryGetRequest(request ?? "", out var handler))
        {
            var known = behavior.Requests.Keys.Order(StringComparer.Ordinal).ToArray();
            throw new AgentRequestException(known.Length == 0
                ? $"Agent type '{_id.Type}' answers no requests (asked '{request}')."
                : string.IsNullOrEmpty(request)
                    ? $"Agent type '{_id.Type}' answers several requests ({string.Join(", ", known)}); name the one to ask."
                    : $"Agent type '{_id.Type}' does not answer '{request}' (it answers: {string.Join(", ", known)}).");
        }

        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(bodyJson) ? "null" : bodyJson);
            body = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new AgentRequestException($"The body of request '{request}' to agent {_id} is not JSON: {ex.Message}", ex);
        }

        _record.State.Asks++;
        try
        {
            var reply = await handler.Handle(body);
            _consecutiveAskFailures = 0;
            return reply.GetRawText();
        }
        catch (Exception ex) when (ex is not AgentRequestException)
        {
            _lastAskFailure = $"{ex.GetType().Name}: {ex.Message}";
            if (++_consecutiveAskFailures >= _options.CircuitBreakerFailures)
            {
                _breakerOpenUntil = now + _options.CircuitBreakerOpenFor;
                LogBreakerOpened(_logger, _id, _consecutiveAskFailures, _options.CircuitBreakerOpenFor);
            }

            // The failed ask's unsaved state changes go.
            agent.LoadState(_record.State.State);
            throw;
        }
    }

    public Task<SignalOutcome> Deliver(Signal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return HandleAsync(signal).AsTask();
    }

    public async ValueTask DeliverBatch(Signal[] signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        _recent.Touch(signals);
        foreach (var signal in signals)
        {
            if (signal is null)
            {
                continue;
            }

            try
            {
                await HandleAsync(signal);
            }
            catch (Exception ex)
            {
                // Handler failures are dead-lettered inside; this is the dead letter itself failing. The rest of the batch still runs.
                LogSignalLost(_logger, ex, _id, signal.Topic, signal.Id);
            }
        }
    }

    /// <summary>Handles one signal: dedupe, the handler with its retries, then the dead letters if it kept failing.</summary>
    private async ValueTask<SignalOutcome> HandleAsync(Signal signal)
    {
        var (agent, behavior) = Attached();
        var fingerprint = signal.IdFingerprint;
        if (_recent.Contains(fingerprint))
        {
            return SignalOutcome.Duplicate;
        }

        var handler = behavior.HandlerFor(signal.Topic);
        if (handler is null)
        {
            LogIgnored(_logger, _id, signal.Topic, signal.Id);
            return SignalOutcome.Ignored;
        }

        Exception? last = null;
        var attempts = 0;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            attempts = attempt;
            _context!.CurrentSignal = signal;
            try
            {
                await handler(signal);
                _recent.AddNew(fingerprint);
                if (!_handledCountSaved)
                {
                    _record.State.SignalsHandled++;
                }

                _handledCountSaved = false;
                return SignalOutcome.Handled;
            }
            catch (Exception ex)
            {
                last = ex;
                if (_handledCountSaved)
                {
                    // The attempt saved before it failed: the count in memory goes back; the next save corrects the stored one.
                    _record.State.SignalsHandled--;
                    _handledCountSaved = false;
                }

                if (ex is InconsistentStateException && await ReloadRecordAsync() && _recent.Contains(fingerprint))
                {
                    // The record someone else wrote already includes this signal (a save that timed out but was stored).
                    agent.LoadState(_record.State.State);
                    return SignalOutcome.Handled;
                }

                agent.LoadState(_record.State.State);
                if (ex is IRetryableFailure { CanSucceedOnRetry: false })
                {
                    // Bad data, a refused request, missing configuration: a retry would only repeat it.
                    break;
                }

                if (attempt < _options.MaxAttempts)
                {
                    var delay = _options.RetryDelay(attempt);
                    LogAttemptFailed(_logger, ex, _id, signal.Topic, signal.Id, attempt, _options.MaxAttempts, delay);
                    await Task.Delay(delay, _time);
                }
            }
            finally
            {
                _context.CurrentSignal = null;
            }
        }

        LogDeadLettered(_logger, last, _id, signal.Topic, signal.Id, attempts);
        await GrainFactory.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).Add(new DeadLetter
        {
            Signal = signal,
            Agent = _id.GrainKey,
            Attempts = attempts,
            ErrorType = last!.GetType().FullName ?? last.GetType().Name,
            ErrorMessage = last.Message,
            At = _time.GetUtcNow(),
        });

        // Only once the dead letter is kept: if keeping it failed, a redelivery tries the signal again rather than skip it.
        _record.State.SignalsDeadLettered++;
        _recent.AddNew(fingerprint);
        await SaveDeadLetteredAsync();
        return SignalOutcome.DeadLettered;
    }

    /// <summary>
    /// Stores that a signal was dead-lettered (the count, and its id among those a redelivery skips) with the agent's state as
    /// stored (a failed attempt's changes were undone), so neither is lost when the agent deactivates. A failed write is
    /// logged: both stay in memory, and the next save stores them.
    /// </summary>
    private async Task SaveDeadLetteredAsync()
    {
        try
        {
            _record.State.RecentSignals = _recent.Save(AgentRecord.RememberedSignals);
            await _record.WriteStateAsync();
        }
        catch (Exception error)
        {
            LogDeadLetterNotStored(_logger, error, _id);
        }
    }

    public async Task<AgentSnapshot> Describe()
    {
        var (agent, _) = Attached();
        return new AgentSnapshot
        {
            Type = _id.Type,
            Key = _id.Key,
            Role = _context!.Role,
            SignalsHandled = _record.State.SignalsHandled,
            SignalsDeadLettered = _record.State.SignalsDeadLettered,
            Asks = _record.State.Asks,
            State = agent.DescribeStateJson(),
            Reminders = await DescribeRemindersAsync(),
        };
    }

    /// <summary>
    /// Reads the agent's record again after a save found it written by someone else (a save of this activation that timed
    /// out but was stored, or another activation), so the retry starts from what is stored and its save can succeed. The
    /// stored handled ids join the remembered ones. False when the read failed too (the retry then fails the same way).
    /// </summary>
    private async Task<bool> ReloadRecordAsync()
    {
        try
        {
            await _record.ReadStateAsync();
            _recent.Load(_record.State.RecentSignals);
            _handledCountSaved = false;
            return true;
        }
        catch (Exception error)
        {
            LogReloadFailed(_logger, error, _id);
            return false;
        }
    }

    internal async Task SaveAgentStateAsync()
    {
        var (agent, _) = Attached();

        // What is stored now: if the write fails, the record goes back to it, so a retry starts from the stored state and
        // not from the failed attempt's (which would count its signal twice).
        var (storedState, storedRecent, storedHandled, storedHandledSaved) =
            (_record.State.State, _record.State.RecentSignals, _record.State.SignalsHandled, _handledCountSaved);
        _record.State.State = agent.SaveState();
        if (_context?.CurrentSignal is { } handling && handling.IdFingerprint is var handled && !_recent.Contains(handled))
        {
            // Saved from a handler: the state it wrote includes having handled its signal.
            _record.State.RecentSignals = _recent.Save(AgentRecord.RememberedSignals - 1, also: handled);
            if (!_handledCountSaved)
            {
                _record.State.SignalsHandled++;
                _handledCountSaved = true;
            }
        }
        else
        {
            _record.State.RecentSignals = _recent.Save(AgentRecord.RememberedSignals);
        }

        try
        {
            await _record.WriteStateAsync();
        }
        catch
        {
            (_record.State.State, _record.State.RecentSignals, _record.State.SignalsHandled, _handledCountSaved) =
                (storedState, storedRecent, storedHandled, storedHandledSaved);
            throw;
        }
    }

    internal Task PublishAsync(Signal signal)
    {
        signal = signal with { TraceParent = signal.TraceParent ?? Activity.Current?.Id };
        return GetStreamProvider(_options.StreamProvider)
            .GetStream<Signal>(SignalStreams.For(signal.Topic))
            .OnNextAsync(signal);
    }

    internal IDisposable RegisterAgentTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        RegisterGrainTimer(callback, dueTime, period);

    internal void DelayAgentDeactivation(TimeSpan duration) => DelayDeactivation(duration);

    private (Agent Agent, AgentBehavior Behavior) Attached() =>
        _agent is { } agent && _behavior is { } behavior ? (agent, behavior) : throw new InvalidOperationException($"Agent {_id} is not activated.");

    [LoggerMessage(4107, LogLevel.Warning, "Agent {Agent} could not store that it dead-lettered a signal; it remembers it until its next save")]
    private static partial void LogDeadLetterNotStored(ILogger logger, Exception exception, AgentId agent);

    [LoggerMessage(4106, LogLevel.Warning, "Agent {Agent} could not read its record again after finding it written by someone else; the next attempt will fail the same way")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, AgentId agent);

    [LoggerMessage(4100, LogLevel.Debug, "Agent {Agent} has no handler for {Topic}; signal {SignalId} ignored")]
    private static partial void LogIgnored(ILogger logger, AgentId agent, string topic, string signalId);

    [LoggerMessage(4101, LogLevel.Warning, "Agent {Agent} failed on {Topic} signal {SignalId} (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, AgentId agent, string topic, string signalId, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(4102, LogLevel.Error, "Agent {Agent} could not handle {Topic} signal {SignalId} after {Attempts} attempts; it went to the dead letters and the agent moves on")]
    private static partial void LogDeadLettered(ILogger logger, Exception? exception, AgentId agent, string topic, string signalId, int attempts);

    [LoggerMessage(4104, LogLevel.Error, "Agent {Agent} could not finish {Topic} signal {SignalId}: its handler failed and so did recording the dead letter; the agent moves on to the next signal of the batch")]
    private static partial void LogSignalLost(ILogger logger, Exception exception, AgentId agent, string topic, string signalId);

    [LoggerMessage(4103, LogLevel.Warning, "Agent {Agent} failed {Failures} asks in a row; its circuit breaker refuses asks for {OpenFor}")]
    private static partial void LogBreakerOpened(ILogger logger, AgentId agent, int failures, TimeSpan openFor);
}
