using System.Runtime.CompilerServices;
using Agents.Serialization;

namespace Agents.Invocation;

/*
 * A GrainRequest is one call: its arguments, the invocation of the method on the grain, and the
 * caller's completion. The generator emits one sealed subclass per grain method; the proxy rents
 * an instance, fills the arguments, hands it to the runtime and returns a task over it. A local
 * call therefore costs one pooled object and no serialization.
 *
 * Invariants (they are what make pooling safe):
 *  1. Owners. The caller side owns the request until it consumed the result (GetResult) or,
 *     for a one-way call, until the runtime accepted it; the callee side owns it until the runtime
 *     released it after the invocation finished (or after it was dropped undelivered); an outgoing
 *     filter pipeline, when there is one, owns it until the pipeline finished (AddOwner). The object
 *     returns to its pool only when every owner released it: _owners counts down to 0.
 *  2. The caller is completed exactly once: by the invocation's outcome, a timeout, cancellation,
 *     or a delivery failure, whichever comes first. _callerState is 2*v while pending and 2*v+1
 *     once completed, where v is the 30-bit reuse version; completing is a compare-and-swap from
 *     2*v, so a stale timeout for an earlier use of a recycled object can never complete a later use.
 *  3. The caller's continuation never runs inline inside the callee's turn: the completion source
 *     runs continuations asynchronously (the caller's own SynchronizationContext when it is a grain,
 *     the thread pool otherwise).
 *  4. The invocation outcome (_result/_exception) is written once by the callee side before the
 *     runtime is told the invocation finished; the caller reads it only after that.
 */

/// <summary>
/// One call to a grain method. Generated code derives from <see cref="GrainRequest{TResult}"/>;
/// the runtime and call filters see this non-generic view.
/// </summary>
public abstract class GrainRequest
{
    private protected int _owners;
    private protected int _callerState;
    private int _version;

    /// <summary>The method being called.</summary>
    public abstract GrainMethodDescriptor Method { get; }

    /// <summary>Number of arguments (a <see cref="CancellationToken"/> parameter is not counted).</summary>
    public virtual int ArgumentCount => 0;

    /// <summary>An argument, boxed; for filters and diagnostics, not the call path.</summary>
    public virtual object? GetArgument(int index) => throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The call's <see cref="CancellationToken"/> argument, if the method has one.</summary>
    public virtual CancellationToken CancellationToken => default;

    // ---- Runtime-owned routing state (set by the runtime when the request is sent). ----

    /// <summary>The grain being called.</summary>
    internal GrainId TargetId;

    /// <summary>The reference the call was made through (the runtime caches resolution on it).</summary>
    internal GrainReference? TargetReference;

    /// <summary>The request context and call chain captured when the call was made.</summary>
    internal CallContextData? CallContext;

    /// <summary>Told when the invocation finishes; the activation that ran it.</summary>
    internal IRequestCallee? Callee;

    /// <summary>When filters wrap the caller side, the outcome goes here instead of to the caller.</summary>
    internal IRequestOutcomeSink? OutcomeSink;

    /// <summary>The response timeout for this send, resolved from the method and the silo's options.</summary>
    internal TimeSpan Timeout;

    /// <summary>How many times the request was handed to a new activation because its activation deactivated first.</summary>
    internal byte ForwardCount;

    /// <summary>The runtime let this request interleave (call-chain reentrancy): it may start while the grain is busy.</summary>
    internal bool InterleaveGranted;

    /// <summary>A call that came over the wire: the connection its response goes back on, and the caller's correlation id.</summary>
    internal object? ReplyTo;
    internal long ReplyCorrelationId;

    /// <summary>A call sent over the wire: the correlation id its response will carry.</summary>
    internal long CorrelationId;

    // Intrusive links of the runtime's outstanding-call registry (response timeouts): tracking a
    // call costs no allocation. Owned by that registry; only it reads or writes them.
    internal GrainRequest? PendingPrevious;
    internal GrainRequest? PendingNext;
    internal long PendingDeadline;
    internal int PendingShard = -1;

    private CancellationTokenRegistration _cancellation;

    /// <summary>The reuse version: changes every time the object is recycled.</summary>
    internal int Version => _callerState >> 1;

    /// <summary>Whether the caller has been completed for the current use.</summary>
    internal bool IsCallerCompleted => (Volatile.Read(ref _callerState) & 1) != 0;

    /// <summary>The exception the invocation ended with, or null on success.</summary>
    internal Exception? InvocationException { get; set; }

    /// <summary>The invocation's result, boxed (filters and remote responses).</summary>
    internal abstract object? BoxedResult { get; }

    /// <summary>Prepares a freshly rented request for sending: the caller and callee sides hold it.</summary>
    internal void Arm()
    {
        _owners = 2;
        InvocationException = null;
    }

    /// <summary>A third party (an outgoing filter pipeline) holds the request until it calls <see cref="ReleaseOwner"/>.</summary>
    internal void AddOwner() => Interlocked.Increment(ref _owners);

    /// <summary>The holder added by <see cref="AddOwner"/> lets go.</summary>
    internal void ReleaseOwner() => Release();

    /// <summary>The next reuse version, 30 bits wide so that 2*v+1 fits an int.</summary>
    private protected int NextVersion() => _version = (_version + 1) & 0x3FFF_FFFF;

    /// <summary>Registers cancellation of the caller's wait with the method's token.</summary>
    internal void RegisterCancellation()
    {
        var token = CancellationToken;
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(static (state, ct) => ((GrainRequest)state!).TryCompleteCaller(new OperationCanceledException(ct)), this);
        }
    }

    /// <summary>Runs the method on <paramref name="grain"/>; reports to <see cref="Callee"/> when it finishes.</summary>
    internal void Invoke(object grain)
    {
        try
        {
            InvokeOn(grain);
        }
        catch (Exception exception)
        {
            CompleteInvocation(exception);
        }
    }

    /// <summary>Ends the invocation without running it (undeliverable, cancelled while queued, failed activation).</summary>
    internal void FailInvocation(Exception exception) => CompleteInvocation(exception);

    /// <summary>Completes the caller from the invocation's outcome (local calls). Returns false if the caller was already completed.</summary>
    internal abstract bool CompleteCallerFromInvocation();

    /// <summary>Completes the caller with <paramref name="exception"/> unless it already completed.</summary>
    internal abstract bool TryCompleteCaller(Exception exception);

    /// <summary>Completes the caller with <paramref name="exception"/> if the request is still in use <paramref name="version"/>.</summary>
    internal abstract bool TryCompleteCaller(Exception exception, int version);

    /// <summary>
    /// Completes the caller with a boxed result (filters, remote responses) if the request is still in
    /// use <paramref name="version"/>. A result of the wrong type fails the call with an
    /// <see cref="InvalidCastException"/> instead.
    /// </summary>
    internal abstract bool TryCompleteCallerWithBoxedResult(object? result, int version);

    /// <summary>Sets the invocation's result from a boxed value; false (and nothing set) when it is of the wrong type.</summary>
    internal abstract bool TrySetBoxedResult(object? value);

    /// <summary>The caller side lets go (one-way calls; after GetResult).</summary>
    internal void ReleaseCaller() => Release();

    /// <summary>The callee side lets go.</summary>
    internal void ReleaseCallee() => Release();

    private void Release()
    {
        var remaining = Interlocked.Decrement(ref _owners);
        if (remaining == 0)
        {
            Recycle();
        }
    }

    private void Recycle()
    {
        _cancellation.Dispose();
        _cancellation = default;
        TargetReference = null;
        TargetId = default;
        CallContext = null;
        Callee = null;
        OutcomeSink = null;
        InvocationException = null;
        ForwardCount = 0;
        InterleaveGranted = false;
        ReplyTo = null;
        ReplyCorrelationId = 0;
        CorrelationId = 0;
        Timeout = default;
        ResetCore();
        ClearArguments();
        ReturnToPool();
    }

    private protected abstract void ResetCore();

    private protected void CompleteInvocation(Exception? exception)
    {
        InvocationException = exception;
        var callee = Callee;
        if (callee is not null)
        {
            callee.OnInvocationCompleted(this);
        }
        else
        {
            // No runtime host (a request invoked directly): hand the outcome straight to the caller.
            CompleteCallerFromInvocation();
        }
    }

    /// <summary>Calls the grain method and passes its task to <c>OnInvoked</c>. Generated.</summary>
    protected abstract void InvokeOn(object grain);

    /// <summary>Clears argument fields so a pooled request holds no references. Generated.</summary>
    protected virtual void ClearArguments()
    {
    }

    /// <summary>Returns this object to its type's pool. Generated.</summary>
    protected abstract void ReturnToPool();

    /// <summary>Replaces mutable arguments with deep copies, so a local callee never shares them with its caller. Generated when needed.</summary>
    protected internal virtual void CopyArguments()
    {
    }

    // ---- Remote calls: what a transport writes and reads. The caller side writes the arguments and
    // reads the response; the callee side reads the arguments and, once the invocation finished
    // (Callee.OnInvocationCompleted), writes the response. ----

    /// <summary>
    /// Writes the arguments as an object body: argument <c>i</c> as field <c>i</c> (a
    /// <see cref="CancellationToken"/> is not sent and does not take a position), then EndObject.
    /// Generated.
    /// </summary>
    /// <exception cref="SerializationException">An argument has no codec, or its runtime type is not allowed.</exception>
    public virtual void WriteArguments(ref WireWriter writer) => writer.WriteEndObject();

    /// <summary>
    /// Reads arguments written by <see cref="WriteArguments"/>, through their EndObject. Fields this
    /// version does not know are skipped; arguments the sender did not send keep their defaults. Generated.
    /// </summary>
    /// <exception cref="SerializationException">The input is malformed or names a type that is not allowed.</exception>
    public virtual void ReadArguments(ref WireReader reader) => reader.SkipToEndObject();

    /// <summary>
    /// Writes the invocation's outcome as an object body: the result as field 0 (omitted for methods
    /// without one) or the exception as field 1, then EndObject. If the result cannot be serialized
    /// this throws after writing part of the body, so write into a buffer you can discard and fall
    /// back to <see cref="WriteExceptionResponse"/>.
    /// </summary>
    public abstract void WriteResponse(ref WireWriter writer);

    /// <summary>
    /// Reads a response written by <see cref="WriteResponse"/> (or <see cref="WriteExceptionResponse"/>)
    /// into this request's invocation outcome, as if the method had run here; the runtime then completes
    /// the caller as it does after a local invocation. An exception type that is not allowed arrives as
    /// a <see cref="RemoteException"/>.
    /// </summary>
    /// <exception cref="SerializationException">The response is malformed; the caller should fail with this exception.</exception>
    public abstract void ReadResponse(ref WireReader reader);

    /// <summary>Writes a response that fails the call with <paramref name="exception"/>, for failures that happen before or outside an invocation.</summary>
    public static void WriteExceptionResponse(ref WireWriter writer, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ExceptionCodec.WriteField(ref writer, ResponseExceptionField, exception);
        writer.WriteEndObject();
    }

    /// <summary>Field ids of a response body.</summary>
    private protected const uint ResponseResultField = 0;
    private protected const uint ResponseExceptionField = 1;

    public override string ToString() => $"{Method.InterfaceType.Name}.{Method.Name} to {TargetId}";
}

/// <summary>The activation side of a request: told when an invocation finishes.</summary>
internal interface IRequestCallee
{
    void OnInvocationCompleted(GrainRequest request);
}

/// <summary>Receives a request's outcome instead of its caller (outgoing call filters).</summary>
internal interface IRequestOutcomeSink
{
    void OnOutcome(GrainRequest request);
}

/// <summary>The result type of methods that return <c>Task</c> or <c>ValueTask</c>.</summary>
public readonly struct NoResult
{
}
