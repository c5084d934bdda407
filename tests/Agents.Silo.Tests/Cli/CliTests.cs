using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agents.Runtime.Testing.Processes;
using Agents.Silo.Tests.Api;

namespace Agents.Silo.Tests.Cli;

/// <summary>The Agents binary as the CLI of a running silo: send, ask, tail and status against a real silo process, and its failures.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class CliTests(SiloApiFixture fixture) : IClassFixture<SiloApiFixture>
{
    private string Api => fixture.Silo.ApiUrl.ToString();

    [Fact]
    public async Task A_ticket_sent_with_the_cli_reaches_the_customers_triage_agent_which_the_cli_can_ask()
    {
        var customer = $"cli-{Guid.NewGuid():N}"[..12];
        var sent = await CliProcess.RunAsync(null, "send", "tickets.new", $$"""{"id":"C-1","customer":"{{customer}}","priority":"high","text":"printer on fire"}""", "--subject", customer, "--api", Api);
        Assert.True(sent.ExitCode == 0, sent.Stderr);
        Assert.Matches("^published [0-9a-f]+ on tickets.new$", sent.Stdout);

        JsonElement summary = default;
        await Eventually.HoldsAsync(async () =>
        {
            var asked = await CliProcess.RunAsync(null, "ask", "triage", customer, "{}", "-r", "summary", "--api", Api);
            Assert.True(asked.ExitCode == 0, asked.Stderr);
            using var reply = JsonDocument.Parse(asked.Stdout);
            summary = reply.RootElement.Clone();
            return summary.GetProperty("total").GetInt32() == 1;
        }, "the triage agent counted the ticket sent by the CLI", TimeSpan.FromSeconds(30));
        Assert.Equal(1, summary.GetProperty("urgent").GetInt32());
    }

    [Fact]
    public async Task Tail_prints_a_patterns_signals_in_order_and_stops_after_count()
    {
        var topic = $"cli.t{Guid.NewGuid():N}"[..14];
        await using var tail = CliProcess.Start(null, "tail", "cli.#", "-n", "3", "--api", Api);
        await tail.WaitForStderrAsync("following cli.#");

        for (var i = 0; i < 3; i++)
        {
            var reply = await fixture.Http.PostAsync($"api/signals/{topic}?subject=s{i}", new StringContent($$"""{"n":{{i}}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        }

        Assert.Equal(0, await tail.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var lines = tail.Stdout.ToArray();
        Assert.Equal(3, lines.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{3}} {topic.Replace(".", @"\.", StringComparison.Ordinal)} \[s{i}\] {{""n"":{i}}}$", lines[i]);
        }
    }

    [Fact]
    public async Task Status_prints_the_silos_and_the_agent_types()
    {
        var self = (await fixture.Http.GetFromJsonAsync<JsonElement>("api/cluster")).GetProperty("self").GetString();

        var status = await CliProcess.RunAsync(null, "status", "--api", Api);

        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.DoesNotContain("\u001b[", status.Stdout, StringComparison.Ordinal); // piped: plain text, no colour codes
        Assert.Contains($"{self} *", status.Stdout, StringComparison.Ordinal); // * marks the silo that answered
        Assert.Contains("Active", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"triage\s*│\s*code", status.Stdout);
        Assert.Matches(@"intake\s*│\s*router\s*│\s*\d+\s*│\s*tickets\.new \(key: json \$\.customer\)", status.Stdout);
    }

    public static TheoryData<string[], int, string> Failures => new()
    {
        { ["ask", "triag", "alice", "{}", "--api", "{api}"], 1, "agents: 404 Not found: There is no agent type 'triag'" },
        { ["send", "tickets.new", "{\"customer\": ", "--api", "{api}"], 1, "agents: 400 Bad Request: The request body is not valid JSON: line 1, column" },
        { ["send", "bad..topic", "{}", "--api", "{api}"], 1, "'bad..topic' is not a topic" },
        { ["status", "--api", "http://127.0.0.1:{free}"], 1, "agents: No silo answers at http://127.0.0.1:" },
        { ["status", "--api", "not a url"], 2, "agents: --api 'not a url' is not a URL" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failure_exits_non_zero_with_the_reason_on_stderr(string[] args, int exitCode, string message)
    {
        var free = SiloProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = await CliProcess.RunAsync(null, [.. args.Select(a => a.Replace("{api}", Api, StringComparison.Ordinal).Replace("{free}", free, StringComparison.Ordinal))]);

        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }
}
