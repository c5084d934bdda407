using System.Diagnostics;
using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests;

/// <summary>SIGTERM stops a silo promptly even with a follower streaming signals: the stream ends, the silo deactivates and exits 0.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class GracefulStopTests
{
    [Fact]
    public async Task Sigterm_ends_open_sse_streams_and_the_silo_exits_well_inside_a_containers_grace_period()
    {
        await using var silo = SiloProcess.Start("stop", SiloProcess.LocateSiloBinary(), SiloProcess.FreePort(), SiloProcess.FreePort(), new Dictionary<string, string?>
        {
            ["Agents:Storage:Default:Provider"] = "Memory",
        });
        await silo.WaitForOutputAsync("agents: silo ready", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = silo.ApiUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await http.GetAsync("api/signals/%23/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith(": following #", await reader.ReadLineAsync());

        var clock = Stopwatch.StartNew();
        await silo.StopAsync(TimeSpan.FromSeconds(60));

        // Before, the open stream held the web server's drain for the host's whole 30 s budget.
        Assert.True(silo.ExitCode == 0, $"exit code {silo.ExitCode}; output:\n{string.Join('\n', silo.Output)}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the silo took {clock.Elapsed} to stop");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await reader.ReadLineAsync(deadline.Token) is not null)
        {
            // whatever was in flight; the stream then ends
        }
    }
}
