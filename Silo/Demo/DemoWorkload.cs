using System.Diagnostics;

namespace Agents.Silo.Demo;

/// <summary>Demo settings: <c>Agents:Demo</c>.</summary>
public sealed class DemoOptions
{
    public bool Enabled { get; set; } = true;

    public int Accounts { get; set; } = 8;

    public TimeSpan ReportEvery { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// A small workload that shows the engine working until the agents service lands: deposits and
/// transfers between durable accounts, a ledger fed by a stream, and a status line every few
/// seconds. Stop with Ctrl+C; balances survive restarts (SQLite under ./data).
/// </summary>
internal sealed partial class DemoWorkload(IClusterClient client, IOptions<DemoOptions> options, ILogger<DemoWorkload> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var accounts = Enumerable.Range(1, settings.Accounts).Select(i => $"acct-{i:00}").ToArray();
        var random = new Random(42);
        long operations = 0, refused = 0;
        var report = Stopwatch.StartNew();
        var last = 0L;
        foreach (var account in accounts)
        {
            await client.GetGrain<IAccountGrain>(account).Deposit(100);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var from = accounts[random.Next(accounts.Length)];
            var to = accounts[random.Next(accounts.Length)];
            try
            {
                await client.GetGrain<ITransferGrain>(0).Transfer(from, to, random.Next(1, 50));
            }
            catch (InsufficientFundsException)
            {
                refused++;
                await client.GetGrain<IAccountGrain>(from).Deposit(25);
            }

            operations++;
            if (report.Elapsed >= settings.ReportEvery)
            {
                var balances = await Task.WhenAll(accounts.Select(a => client.GetGrain<IAccountGrain>(a).Balance()));
                var ledger = await client.GetGrain<ILedgerGrain>("all").Totals();
                LogStatus(logger, operations, (operations - last) / report.Elapsed.TotalSeconds, refused, balances.Sum(), ledger.Entries);
                last = operations;
                report.Restart();
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "demo: {Operations} transfers ({Rate:F0}/s), {Refused} refused for funds, total balance {Total:0.00}, ledger entries {Entries}")]
    private static partial void LogStatus(ILogger logger, long operations, double rate, long refused, decimal total, long entries);
}

internal static class DemoServiceCollectionExtensions
{
    public static IServiceCollection AddDemoWorkload(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Agents:Demo");
        services.Configure<DemoOptions>(section);
        if (section.GetValue("Enabled", true))
        {
            services.AddHostedService<DemoWorkload>();
        }

        return services;
    }
}
