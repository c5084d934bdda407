using System.Buffers;
using System.Text;
using Agents.Runtime.Hosting;
using Agents.Runtime.Messaging.Remote;
using Agents.Runtime.Networking;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Networking;
using Agents.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Cluster;

/// <summary>
/// What a silo does with input from a broken or hostile peer: it refuses it with a log line that
/// says what was wrong, and goes on serving everyone else.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HostileInputTests : IAsyncLifetime
{
    private const int FrameLimit = 64 * 1024;

    private readonly TestCluster _cluster = ClusterSetup.Builder(2)
        .WithConfiguration("Agents:Networking:MaxFrameSize", FrameLimit.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .Build();

    private readonly NetworkTestKit _kit = new();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        await _cluster.StopAsync();
    }

    private TestSilo Target => _cluster.Silos[0];

    private System.Net.IPEndPoint Gateway => new(System.Net.IPAddress.Loopback, Target.GatewayPort);

    [Fact]
    public async Task A_request_naming_a_type_outside_the_manifest_is_refused_with_a_log_line_and_an_error_response()
    {
        var replies = new RecordingHandler();
        await using var manager = _kit.Manager(replies, hello: NetworkTestKit.ClientHello("dev"));
        var connection = await manager.GetConnectionAsync(Gateway);
        var method = Target.Services.GetRequiredService<SiloRuntime>().Registry.GetInterface(typeof(IDescribeGrain)).Methods[0];

        connection.TrySend(FrameKind.Message, MessageFlags.Request, RequestWithTypedArgument(method, "Evil.Gadget, Evil"));
        var reply = await replies.NextAsync();

        Assert.Equal(MessageFlags.Response, reply.Header.Flags);
        Assert.Contains("Evil.Gadget", Encoding.UTF8.GetString(reply.Body), StringComparison.Ordinal);
        await AssertLoggedAsync("Refused a call to describe/hostile", "Evil.Gadget");
        Assert.False(connection.IsClosed, "one refused call closed the connection");
        Assert.Null(Type.GetType("Evil.Gadget, Evil", throwOnError: false));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_closes_only_that_connection_with_a_log_line_naming_the_limit()
    {
        var replies = new RecordingHandler();
        await using var manager = _kit.Manager(replies, hello: NetworkTestKit.ClientHello("dev"));
        var connection = await manager.GetConnectionAsync(Gateway);

        connection.TrySend(FrameKind.Message, MessageFlags.Request, new byte[FrameLimit]);

        await AssertLoggedAsync("exceeds the limit of 65536 bytes");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_handshake_from_another_cluster_is_refused_with_a_log_line_naming_both_cluster_ids()
    {
        await using var manager = _kit.Manager(new RecordingHandler(), hello: NetworkTestKit.ClientHello("someone-else"));

        await Assert.ThrowsAnyAsync<ConnectionException>(() => manager.GetConnectionAsync(Gateway).AsTask());

        await AssertLoggedAsync("Refused the connection", "someone-else");
        await AssertStillServingAsync();
    }

    private static ReadOnlyMemory<byte> RequestWithTypedArgument(Invocation.GrainMethodDescriptor method, string typeName)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new WireWriter(output);
        writer.WriteUInt64(0, 7);
        GrainIdCodec.Instance.WriteField(ref writer, 1, GrainId.Parse("describe/hostile"));
        writer.WriteUInt32(2, method.InterfaceId);
        writer.WriteUInt32(3, method.MethodId);
        writer.WriteStartObject(8);
        // Argument 0 as a Typed field: a named type reference (length << 4 | named bit), then the value as field 0.
        var name = Encoding.UTF8.GetBytes(typeName);
        writer.WriteFieldHeader(0, WireType.Typed);
        writer.WriteVarUInt32(((uint)name.Length << 4) | 8u);
        writer.WriteRaw(name);
        writer.WriteString(0, "payload");
        writer.WriteEndObject();
        writer.Flush();
        return output.WrittenMemory;
    }

    private async Task AssertLoggedAsync(params string[] fragments) =>
        await Eventually.HoldsAsync(
            () => _cluster.Logs.Entries.Any(e => fragments.All(f => e.Message.Contains(f, StringComparison.Ordinal))),
            $"a log line with {string.Join(" and ", fragments)}");

    private async Task AssertStillServingAsync()
    {
        foreach (var silo in _cluster.Silos)
        {
            Assert.Equal("String", await silo.Client.GetGrain<IDescribeGrain>($"fine-{Guid.NewGuid():N}").Describe("still here"));
        }
    }
}
