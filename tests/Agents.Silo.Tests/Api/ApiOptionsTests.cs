using Agents.Silo.Api;

namespace Agents.Silo.Tests.Api;

/// <summary>Agents:Api settings: which URLs count as reachable from other machines (the silo warns when those have no key), and what a key must be.</summary>
public sealed class ApiOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", "")]
    [InlineData("http://localhost:5000", "")]
    [InlineData("http://[::1]:5000", "")]
    [InlineData("http://127.0.0.2:5000", "")]
    [InlineData("http://0.0.0.0:8080", "http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080", "http://[::]:8080")]
    [InlineData("http://10.1.2.3:8080", "http://10.1.2.3:8080")]
    [InlineData("http://*:8080", "http://*:8080")]
    [InlineData("http://+:8080", "http://+:8080")]
    [InlineData("http://127.0.0.1:5000; https://agents.example.com", "https://agents.example.com")]
    public void Urls_beyond_loopback_are_the_ones_other_machines_can_reach(string urls, string beyond)
    {
        var options = new ApiOptions { Urls = urls };

        Assert.Equal(beyond, string.Join(";", options.UrlsBeyondLoopback()));
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0123456789abcdef", null)]
    [InlineData("0123456789abcde", "it was 15 characters")]
    [InlineData("0123456789 abcdef", "it was 17 characters, with spaces or control characters")]
    public void An_api_key_is_unset_or_16_characters_or_more_without_spaces(string? key, string? error)
    {
        var errors = new ApiOptions { ApiKey = key }.Validate().ToArray();

        if (error is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(error, Assert.Single(errors), StringComparison.Ordinal);
        }
    }
}
