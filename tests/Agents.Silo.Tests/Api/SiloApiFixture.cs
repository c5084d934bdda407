using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests.Api;

/// <summary>One real silo process (localhost clustering, memory storage, the default support-desk topology) shared by the API tests.</summary>
public sealed class SiloApiFixture : IAsyncLifetime
{
    private SiloProcess? _silo;

    public SiloProcess Silo => _silo ?? throw new InvalidOperationException("The silo has not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _silo = SiloProcess.Start("api", SiloProcess.LocateSiloBinary(), SiloProcess.FreePort(), SiloProcess.FreePort(), new Dictionary<string, string?>
        {
            ["Agents:Storage:Default:Provider"] = "Memory",
            ["Agents:Service:FirstRetryDelay"] = "00:00:00.010",
            ["Agents:Service:CircuitBreakerFailures"] = "3",
            ["Agents:Api:MaxBodyBytes"] = "4096",
            ["Agents:Api:KeepAliveEvery"] = "00:00:01",
        });
        await _silo.WaitForOutputAsync("agents: silo ready", TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = _silo.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
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
