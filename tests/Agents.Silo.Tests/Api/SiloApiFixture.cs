using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests.Api;

/// <summary>
/// One real silo process (localhost clustering, memory storage) shared by the API tests, running the default support-desk
/// topology plus 'oracle', an llm agent whose model server is down (nothing listens where its provider points), for the
/// failure paths a model outage takes.
/// </summary>
public class SiloApiFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agents-api-").FullName;
    private SiloProcess? _silo;

    public SiloProcess Silo => _silo ?? throw new InvalidOperationException("The silo has not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var binary = SiloProcess.LocateSiloBinary();
        var topology = Path.Combine(_directory, "agents.yaml");
        var supportDesk = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(binary)!, "agents.yaml"));
        await File.WriteAllTextAsync(topology, supportDesk.Replace(
            "\nagents:\n",
            "\nagents:\n  oracle:\n    role: llm\n    settings: { systemPrompt: You answer., provider: down }\n",
            StringComparison.Ordinal));
        var configuration = new Dictionary<string, string?>
        {
            ["Agents:Service:TopologyFile"] = topology,
            ["Agents:Llm:Providers:default:Kind"] = "Offline",
            ["Agents:Llm:Providers:down:BaseUrl"] = $"http://127.0.0.1:{SiloProcess.FreePort()}/v1",
            ["Agents:Llm:Providers:down:Model"] = "unreachable",
            ["Agents:Llm:Providers:down:MaxRetries"] = "0",
            ["Agents:Storage:Default:Provider"] = "Memory",
            ["Agents:Service:FirstRetryDelay"] = "00:00:00.010",
            ["Agents:Service:CircuitBreakerFailures"] = "3",
            ["Agents:Api:MaxBodyBytes"] = "4096",
            ["Agents:Api:KeepAliveEvery"] = "00:00:01",
        };
        Configure(configuration);
        _silo = SiloProcess.Start("api", binary, SiloProcess.FreePort(), SiloProcess.FreePort(), configuration);
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

        Directory.Delete(_directory, recursive: true);
    }
}
