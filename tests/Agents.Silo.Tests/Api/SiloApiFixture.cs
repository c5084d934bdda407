using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests.Api;

/// <summary>One real silo process (localhost clustering, memory storage, the default support-desk topology) shared by the API tests.</summary>
public class SiloApiFixture : IAsyncLifetime
{
    private SiloProcess? _silo;

    public SiloProcess Silo => _silo ?? throw new InvalidOperationException("The silo has not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Agents:Storage:Default:Provider"] = "Memory",
            ["Agents:Service:FirstRetryDelay"] = "00:00:00.010",
            ["Agents:Service:CircuitBreakerFailures"] = "3",
            ["Agents:Api:MaxBodyBytes"] = "4096",
            ["Agents:Api:KeepAliveEvery"] = "00:00:01",
        };
        Configure(configuration);
        _silo = SiloProcess.Start("api", SiloProcess.LocateSiloBinary(), SiloProcess.FreePort(), SiloProcess.FreePort(), configuration);
        await _silo.WaitForOutputAsync("agents: silo ready", TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = _silo.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Settings a derived fixture adds to, or changes in, the silo's configuration.</summary>
    protected virtual void Configure(Dictionary<string, string?> configuration)
    {
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_silo is not null)
        {
            await _silo.StopAsync(TimeSpan.FromSeconds(15));
            await _silo.DisposeAsync();
        }
    }
}
