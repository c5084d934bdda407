using Agents.Streams;

namespace Agents.Silo.Demo;

/// <summary>A bank account: durable balance, one operation at a time.</summary>
public interface IAccountGrain : IGrainWithStringKey
{
    Task<decimal> Deposit(decimal amount);

    Task<decimal> Withdraw(decimal amount);

    Task<decimal> Balance();
}

public sealed class AccountState
{
    public decimal Balance { get; set; }

    public int Operations { get; set; }
}

public sealed class InsufficientFundsException(string message) : Exception(message);

public sealed class AccountGrain([PersistentState("account")] IPersistentState<AccountState> state) : Grain, IAccountGrain
{
    public async Task<decimal> Deposit(decimal amount)
    {
        state.State.Balance += amount;
        state.State.Operations++;
        await state.WriteStateAsync();
        await GetStreamProvider("Default")
            .GetStream<decimal>(StreamId.Create("ledger", "all"))
            .OnNextAsync(amount);
        return state.State.Balance;
    }

    public async Task<decimal> Withdraw(decimal amount)
    {
        if (amount > state.State.Balance)
        {
            throw new InsufficientFundsException($"Account {this.GetPrimaryKeyString()} has {state.State.Balance:0.00}, cannot withdraw {amount:0.00}.");
        }

        state.State.Balance -= amount;
        state.State.Operations++;
        await state.WriteStateAsync();
        await GetStreamProvider("Default")
            .GetStream<decimal>(StreamId.Create("ledger", "all"))
            .OnNextAsync(-amount);
        return state.State.Balance;
    }

    public Task<decimal> Balance() => Task.FromResult(state.State.Balance);
}

/// <summary>Moves money between accounts: calls two other grains.</summary>
public interface ITransferGrain : IGrainWithIntegerKey
{
    Task Transfer(string from, string to, decimal amount);
}

[StatelessWorker]
public sealed class TransferGrain : Grain, ITransferGrain
{
    public async Task Transfer(string from, string to, decimal amount)
    {
        await GrainFactory.GetGrain<IAccountGrain>(from).Withdraw(amount);
        await GrainFactory.GetGrain<IAccountGrain>(to).Deposit(amount);
    }
}

/// <summary>Follows the ledger stream implicitly and keeps running totals.</summary>
public interface ILedgerGrain : IGrainWithStringKey
{
    Task<LedgerTotals> Totals();
}

[Immutable]
public sealed record LedgerTotals(long Entries, decimal Net);

[ImplicitStreamSubscription("ledger")]
public sealed class LedgerGrain : Grain, ILedgerGrain
{
    private long _entries;
    private decimal _net;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await GetStreamProvider("Default")
            .GetStream<decimal>(StreamId.Create("ledger", this.GetPrimaryKeyString()))
            .SubscribeAsync((amount, _) =>
            {
                _entries++;
                _net += amount;
                return Task.CompletedTask;
            });

    public Task<LedgerTotals> Totals() => Task.FromResult(new LedgerTotals(_entries, _net));
}
