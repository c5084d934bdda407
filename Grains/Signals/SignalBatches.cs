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
    public static int Fit(IEnumerable<Signal> signals, int maxCount, long maxBytes) => Fit(signals.GetEnumerator(), maxCount, maxBytes);

    /// <summary>As <see cref="Fit(IEnumerable{Signal}, int, long)"/>, over an enumerator (a collection's struct enumerator is not boxed).</summary>
    public static int Fit<TEnumerator>(TEnumerator signals, int maxCount, long maxBytes)
        where TEnumerator : IEnumerator<Signal>
    {
        using (signals)
        {
            var count = 0;
            long bytes = 0;
            while (count < maxCount && signals.MoveNext())
            {
                bytes += ((IStreamItemSize)signals.Current).ApproximateSize;
                if (count > 0 && bytes > maxBytes)
                {
                    break;
                }

                count++;
            }

            return count;
        }
    }
}
