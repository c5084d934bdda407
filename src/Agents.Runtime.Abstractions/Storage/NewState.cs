namespace Agents.Storage;

/// <summary>
/// "A new State" for a record that does not exist, shared by every storage provider and by
/// persistent state so they agree. The storage contract leaves TState unconstrained, so a type
/// without a public parameterless constructor (a positional record, a string) gets its default
/// value instead; the decision is made once per type.
/// </summary>
public static class NewState<TState>
{
    private static readonly bool CanConstruct =
        typeof(TState).IsValueType || (!typeof(TState).IsAbstract && typeof(TState).GetConstructor(Type.EmptyTypes) is not null);

    public static TState Create() => CanConstruct ? Activator.CreateInstance<TState>() : default!;
}
