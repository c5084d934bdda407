using System.Runtime.CompilerServices;

namespace Agents.Signals;

/*
 * Values a signal derives from its own fields, computed once per signal object: the fingerprint
 * of its id (what agents remember to skip redeliveries, see SignalIds.Fingerprint) and its wire
 * size estimate (what cuts deliveries to fit a frame). A signal is read by several stages long
 * after it was published — the stream pump, the dispatcher, the lanes, the agent — by which time
 * its id and data strings have left the cache; computing these where the signal is still in cache
 * (the publisher computes them while it checks the signal) spares each later stage reading those
 * strings again.
 *
 * Invariants
 *  - Not part of the signal's value: SignalDerived equals every other SignalDerived, so record
 *    equality and hashing see the signal's fields only, computed or not.
 *  - Never stale: a signal's fields are set before it is shared and never change; a copy made by
 *    `with` starts with nothing computed (Signal's copy constructor does not copy this), and so does
 *    a signal the codec reads.
 *  - Safe to compute from several threads at once: the values are a pure function of the signal's
 *    fields, so concurrent computations write the same bits (a torn write of equal values is that
 *    value); the size (never 0, so 0 means not computed) is written after the fingerprint with
 *    release semantics and read with acquire semantics, so a reader that sees it sees the fingerprint.
 */

/// <summary>What a signal derives from its fields, computed on first use; see the invariants at the top of this file.</summary>
internal struct SignalDerived : IEquatable<SignalDerived>
{
    // The fingerprint as two halves: a UInt128 field would be 16-byte aligned and pad every signal.
    private ulong _fingerprintLow;
    private ulong _fingerprintHigh;

    /// <summary>The wire size estimate, which is never 0; 0 until computed (written last, with release semantics).</summary>
    private int _size;

    /// <summary>Whether the values were computed (acquire: a reader that sees it sees them).</summary>
    public readonly bool Ready => Volatile.Read(ref Unsafe.AsRef(in _size)) != 0;

    public readonly UInt128 IdFingerprint => new(_fingerprintHigh, _fingerprintLow);

    public readonly int Size => _size;

    /// <summary>Stores the values; <paramref name="size"/> last, so that <see cref="Ready"/> implies the fingerprint.</summary>
    public void Set(UInt128 idFingerprint, int size)
    {
        _fingerprintLow = (ulong)idFingerprint;
        _fingerprintHigh = (ulong)(idFingerprint >> 64);
        Volatile.Write(ref _size, size);
    }

    /// <summary>A cache, not part of the value: always equal.</summary>
    public readonly bool Equals(SignalDerived other) => true;

    public override readonly bool Equals(object? obj) => obj is SignalDerived;

    public override readonly int GetHashCode() => 0;
}
