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
    public static int Fit(IEnumerable<Signal> signals, int maxCount, long maxBytes) =>
        Fit<IEnumerator<Signal>, Signal>(signals.GetEnumerator(), maxCount, maxBytes);

    /// <summary>
    /// As <see cref="Fit(IEnumerable{Signal}, int, long)"/>, over any sized items (a collection's struct enumerator is not
    /// boxed, and a struct item's size is read without boxing it).
    /// </summary>
    public static int Fit<TEnumerator, TItem>(TEnumerator items, int maxCount, long maxBytes)
        where TEnumerator : IEnumerator<TItem>
        where TItem : IStreamItemSize
    {
        using (items)
        {
            var count = 0;
            long bytes = 0;
            while (count < maxCount && items.MoveNext())
            {
                bytes += items.Current.ApproximateSize;
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
