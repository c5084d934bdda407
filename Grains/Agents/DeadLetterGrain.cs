using Agents.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Agents;

/// <summary>The stored dead letters: newest last, bounded by <see cref="AgentServiceOptions.DeadLetterCapacity"/>.</summary>
public sealed class DeadLetterRecord
{
    public List<DeadLetter> Letters { get; set; } = [];
}

/// <summary>The cluster's dead-letter list: one grain, kept durably.</summary>
[GrainType("dead-letters")]
public sealed class DeadLetterGrain(
    [PersistentState("dead-letters")] IPersistentState<DeadLetterRecord> record,
    IOptions<AgentServiceOptions> options) : Grain, IDeadLetterGrain
{
    /// <summary>The key of the one dead-letter grain.</summary>
    public const string Key = "all";

    public async Task Add(DeadLetter letter)
    {
        var letters = record.State.Letters;
        letters.Add(letter);
        var excess = letters.Count - options.Value.DeadLetterCapacity;
        if (excess > 0)
        {
            letters.RemoveRange(0, excess);
        }

        await record.WriteStateAsync();
    }

    public Task<IReadOnlyList<DeadLetter>> List(int max)
    {
        var letters = record.State.Letters;
        var take = Math.Clamp(max, 0, letters.Count);
        return Task.FromResult<IReadOnlyList<DeadLetter>>(letters.GetRange(letters.Count - take, take));
    }
}
