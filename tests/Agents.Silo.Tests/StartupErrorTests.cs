using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests;

/// <summary>A bad topology or configuration stops the Silo binary at start-up with a message that says what and where.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agents-startup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_bad_topology_file_stops_the_silo_naming_file_line_and_field()
    {
        var file = Path.Combine(_directory, "agents.yaml");
        await File.WriteAllTextAsync(file, """
            agents:
              triage: {}
              notes:
                role: notebook
            routes:
              - topic: tickets.*
                agent: triag
                key: subject
            """);

        var output = await RunUntilExitAsync(new() { ["Agents:Service:TopologyFile"] = file });

        Assert.Contains("agents.yaml:4:11: agents.notes.role: ", output, StringComparison.Ordinal);
        Assert.Contains("agents.yaml:7:12: routes[0].agent: ", output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'triage'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_llm_agent_naming_a_provider_that_is_not_configured_stops_the_silo()
    {
        var file = Path.Combine(_directory, "agents.yaml");
        await File.WriteAllTextAsync(file, """
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: You help.
                  provider: azure-prod
            """);

        var output = await RunUntilExitAsync(new() { ["Agents:Service:TopologyFile"] = file });

        Assert.Contains("agents.yaml:2:3: agents.desk.settings.provider: There is no LLM provider named", output, StringComparison.Ordinal);
        Assert.Contains("azure-prod", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_key_too_short_to_be_a_secret_stops_the_silo_without_printing_it()
    {
        var output = await RunUntilExitAsync(new() { ["Agents:Api:ApiKey"] = "hunter2" });

        Assert.Contains("Agents:Api:ApiKey must be at least 16 characters with no spaces (it was 7 characters)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_or_out_of_range_stops_the_silo_with_a_line_naming_the_key_and_no_stack_trace()
    {
        var wrongType = await RunUntilExitAsync(new() { ["Agents:Api:MaxBodyBytes"] = "1MB" });

        Assert.Contains("agents: configuration error: Failed to convert configuration value '1MB' at 'Agents:Api:MaxBodyBytes'", wrongType, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", wrongType, StringComparison.Ordinal);

        var twoSections = await RunUntilExitAsync(new() { ["Agents:Silo:ResponseTimeout"] = "-00:00:01", ["Agents:Networking:MaxFrameSize"] = "10" });

        Assert.Contains("agents: configuration error: Agents:Silo:ResponseTimeout: must be a positive time span", twoSections, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", twoSections, StringComparison.Ordinal);
    }

    private static async Task<string> RunUntilExitAsync(Dictionary<string, string?> configuration)
    {
        configuration["Agents:Storage:Default:Provider"] = "Memory";
        await using var silo = SiloProcess.Start("startup", SiloProcess.LocateSiloBinary(), SiloProcess.FreePort(), SiloProcess.FreePort(), configuration);
        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo kept running with a bad configuration");
        var output = string.Join('\n', silo.Output);
        Assert.True(silo.ExitCode == 1, $"exit code {silo.ExitCode}; output:\n{output}");
        Assert.Contains("agents: configuration error:", output, StringComparison.Ordinal);
        return output;
    }
}
