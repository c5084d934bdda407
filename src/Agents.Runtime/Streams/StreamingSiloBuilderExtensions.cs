using Agents.Runtime.Streams;
using Agents.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Hosting;

/// <summary>Stream providers for the silo builder.</summary>
public static class StreamingSiloBuilderExtensions
{
    /// <summary>An in-memory stream provider called <paramref name="name"/>: ordered per stream, not durable.</summary>
    public static ISiloBuilder AddMemoryStreams(this ISiloBuilder silo, string name)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        silo.Services.AddKeyedSingleton<IStreamProvider>(name, (sp, key) =>
            new MemoryStreamProvider(
                (string)key!,
                sp.GetRequiredService<SiloRuntime>(),
                sp.GetRequiredService<ILoggerFactory>(),
                sp.GetService<Microsoft.Extensions.Options.IOptions<Networking.NetworkingOptions>>()?.Value.MaxFrameSize ?? Networking.NetworkingOptions.DefaultMaxFrameSize));
        if (silo is SiloBuilder builder)
        {
            builder.StreamNames.Add(name);
        }

        return silo;
    }
}
