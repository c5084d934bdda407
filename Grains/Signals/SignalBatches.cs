using Agents.Streams;

namespace Agents.Signals;

/// <summary>How signals are cut into messages that fit a frame: by count and by their own size estimate.</summary>
internal static class SignalBatches
{
    /// <summary>
    /// How many of the leading <paramref name="signals"/> go in one message: at most
    /// <paramref name="maxCount"/>, and no more than <paramref name="maxBytes"/> by the signals' own
    /// estimate (<see cref="IStreamItemSize"/>) — except that a message always carries one signal.
    /// </summary>
    public static int Fit(IEnumerable<Signal> signals, int maxCount, long maxBytes)
    {
        var count = 0;
        long bytes = 0;
        foreach (var signal in signals)
        {
            if (count == maxCount)
            {
                break;
            }

            bytes += ((IStreamItemSize)signal).ApproximateSize;
            if (count > 0 && bytes > maxBytes)
            {
                break;
            }

            count++;
        }

        return count;
    }
}
