using Microsoft.Extensions.Options;

namespace Agents.Client;

/// <summary>
/// Settings of a cluster client. Bound from configuration section <c>Agents:Client</c>; validated
/// when the client starts.
/// </summary>
public sealed class AgentsClientOptions
{
    public const string SectionName = "Agents:Client";

    /// <summary>The cluster to connect to; gateways of another cluster refuse the client.</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>How the client introduces itself to gateways (in their logs).</summary>
    public string ClientName { get; set; } = "client";

    /// <summary>
    /// Gateways as <c>host:port</c> (a silo's <c>Agents:Networking:GatewayPort</c>). When a membership
    /// table is registered in the client's services, its Active silos' gateways are used as well and
    /// kept current.
    /// </summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>How long a call waits for its response unless the method sets <c>[ResponseTimeout]</c>.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the gateway list is re-read from the membership table (when there is one).</summary>
    public TimeSpan GatewayRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Rejects bad <see cref="AgentsClientOptions"/> with a message naming the configuration key.</summary>
internal sealed class AgentsClientOptionsValidator : IValidateOptions<AgentsClientOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentsClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{AgentsClientOptions.SectionName}:ClusterId: must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ClientName))
        {
            failures.Add($"{AgentsClientOptions.SectionName}:ClientName: must not be empty.");
        }

        for (var i = 0; i < options.Gateways.Count; i++)
        {
            if (!GatewayList.TryParse(options.Gateways[i], out _))
            {
                failures.Add($"{AgentsClientOptions.SectionName}:Gateways:{i}: '{options.Gateways[i]}' is not host:port.");
            }
        }

        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{AgentsClientOptions.SectionName}:ResponseTimeout: must be positive (was {options.ResponseTimeout}).");
        }

        if (options.GatewayRefreshPeriod <= TimeSpan.Zero)
        {
            failures.Add($"{AgentsClientOptions.SectionName}:GatewayRefreshPeriod: must be positive (was {options.GatewayRefreshPeriod}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
