using System.Buffers;
using System.Text.Json;
using Agents.Feed;
using Agents.Signals;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agents.Silo.Api;

/// <summary>
/// <c>/api/signals</c>: publish a signal, and follow a topic (or pattern) as Server-Sent Events.
/// </summary>
internal static class SignalEndpoints
{
    /// <summary>How many bytes of SSE messages a follower's stream serialises before it writes them out.</summary>
    private const int FlushBytes = 64 * 1024;

    public static void MapSignalEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/signals/{topic}", PublishAsync);
        api.MapPost("/signals", PublishBatchAsync);
        api.MapGet("/signals/{pattern}/stream", FollowAsync);
    }

    /// <summary>
    /// Publishes the body (JSON, may be empty) on <paramref name="topic"/>. The id and subject come
    /// from the query (<c>id</c>, <c>subject</c>) or the CloudEvents binary-mode headers
    /// (<c>ce-id</c>, <c>ce-subject</c>, <c>ce-source</c>, <c>ce-time</c>, <c>ce-correlationid</c>,
    /// <c>ce-causationid</c>, percent-decoded; a <c>ce-type</c> must be the topic). A body sent as
    /// <c>application/cloudevents+json</c> is a structured-mode CloudEvent (its <c>type</c>, if any,
    /// must be the topic; query values win over its own). 202 with the id.
    /// </summary>
    private static async Task<IResult> PublishAsync(string topic, string? id, string? subject, HttpContext context, IClusterClient client)
    {
        if (!TopicPattern.IsValidTopic(topic, out var error))
        {
            return Problems.BadRequest($"'{topic}' is not a topic: {error}", context);
        }

        var (data, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        var headers = context.Request.Headers;
        Signal signal;
        var structured = IsStructuredCloudEvent(context.Request.ContentType);
        if (structured)
        {
            // Structured mode: the body is the whole CloudEvent; its type, when it has one, must be the topic.
            var node = System.Text.Json.Nodes.JsonNode.Parse(data!);
            if (node is System.Text.Json.Nodes.JsonObject envelope && !envelope.ContainsKey("type"))
            {
                envelope["type"] = topic;
            }

            var cloudEvent = JsonSerializer.SerializeToElement(node);
            if (BatchEvent(cloudEvent, 0) is { } invalid)
            {
                return Problems.BadRequest(invalid.Replace("Event 0 of the batch", "The CloudEvent", StringComparison.Ordinal), context);
            }

            if (cloudEvent.GetProperty("type").GetString() is { } type && type != topic)
            {
                return Problems.BadRequest($"The CloudEvent's type '{type}' is not the topic it was posted to ('{topic}').", context);
            }

            signal = FromCloudEvent(cloudEvent);
            signal = subject is null ? signal : signal with { Subject = subject };
        }
        else
        {
            if (Header(headers, "ce-type") is { } type && type != topic)
            {
                return Problems.BadRequest($"The ce-type header '{type}' is not the topic it was posted to ('{topic}').", context);
            }

            signal = Signal.Create(topic, data!, Header(headers, "ce-source") ?? "/api", subject ?? Header(headers, "ce-subject")) with
            {
                CorrelationId = Header(headers, "ce-correlationid"),
                CausationId = Header(headers, "ce-causationid"),
            };
            if (Header(headers, "ce-time") is { } time)
            {
                if (!DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at))
                {
                    return Problems.BadRequest($"The ce-time header must be an RFC 3339 timestamp such as 2026-12-02T18:30:00Z (got '{time}').", context);
                }

                signal = signal with { Time = at };
            }
        }

        if ((id ?? (structured ? null : Header(headers, "ce-id"))) is { } givenId)
        {
            if (!Signal.IsValidId(givenId))
            {
                return Problems.BadRequest($"A signal id must be 1 to {Signal.MaxIdLength} characters without control characters (got {givenId.Length} characters).", context);
            }

            signal = signal with { Id = givenId };
        }

        try
        {
            await client.GetGrain<ISignalPublisherGrain>(0).Publish(signal);
        }
        catch (Exception failure)
        {
            return Problems.FromCallFailure(failure, $"Publishing on {topic}", context);
        }

        return Results.Accepted($"/api/signals/{topic}/stream", new { id = signal.Id, topic });
    }

    /// <summary>
    /// Publishes a CloudEvents batch (a JSON array of CloudEvents, as <c>application/cloudevents-batch+json</c>
    /// sends it) in one call, in array order. Each event needs <c>type</c> (the topic); <c>id</c> is
    /// generated and <c>source</c> is <c>/api</c> when absent; <c>subject</c>, <c>data</c> and
    /// <c>correlationid</c> are taken as they are. One bad event refuses the whole batch, naming it;
    /// 202 with the ids in order.
    /// </summary>
    private static async Task<IResult> PublishBatchAsync(HttpContext context, IClusterClient client)
    {
        var (json, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        using var document = JsonDocument.Parse(json!);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return Problems.BadRequest($"A batch of signals is a JSON array of CloudEvents, not {document.RootElement.ValueKind}; to publish one signal, POST its data to /api/signals/{{topic}}.", context);
        }

        var signals = new List<Signal>(document.RootElement.GetArrayLength());
        foreach (var cloudEvent in document.RootElement.EnumerateArray())
        {
            if (BatchEvent(cloudEvent, signals.Count) is { } error)
            {
                return Problems.BadRequest(error, context);
            }

            signals.Add(FromCloudEvent(cloudEvent));
        }

        if (signals.Count > 0)
        {
            try
            {
                await client.GetGrain<ISignalPublisherGrain>(0).PublishBatch([.. signals]);
            }
            catch (Exception failure)
            {
                return Problems.FromCallFailure(failure, $"Publishing a batch of {signals.Count} signals", context);
            }
        }

        return Results.Accepted(value: new { count = signals.Count, ids = signals.Select(s => s.Id) });
    }

    /// <summary>What is wrong with event <paramref name="index"/> (0-based) of a batch, or null.</summary>
    private static string? BatchEvent(JsonElement cloudEvent, int index)
    {
        var which = $"Event {index} of the batch";
        if (cloudEvent.ValueKind != JsonValueKind.Object)
        {
            return $"{which} is {cloudEvent.ValueKind}, not a CloudEvent (a JSON object).";
        }

        if (!cloudEvent.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return $"{which} has no 'type' (its topic, a string).";
        }

        if (!TopicPattern.IsValidTopic(type.GetString(), out var error))
        {
            return $"{which}: {error}";
        }

        foreach (var name in (ReadOnlySpan<string>)["id", "source", "subject", "time", "correlationid", "causationid"])
        {
            if (cloudEvent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.String)
            {
                return $"{which}: '{name}' must be a string (got {value.ValueKind}).";
            }
        }

        if (cloudEvent.TryGetProperty("data_base64", out _))
        {
            return $"{which} has 'data_base64': a signal's data is JSON; send it as 'data'.";
        }

        if (cloudEvent.TryGetProperty("time", out var time) && !time.TryGetDateTimeOffset(out _))
        {
            return $"{which}: 'time' must be an RFC 3339 timestamp such as 2026-12-02T18:30:00Z (got '{time.GetString()}').";
        }

        return cloudEvent.TryGetProperty("id", out var id) && !Signal.IsValidId(id.GetString())
            ? $"{which}: a signal id must be 1 to {Signal.MaxIdLength} characters without control characters (got {id.GetString()!.Length} characters)."
            : null;
    }

    /// <summary>The signal of a CloudEvent that <see cref="BatchEvent"/> found valid: its data compacted to one line, its own time when it has one.</summary>
    private static Signal FromCloudEvent(JsonElement cloudEvent)
    {
        string? Text(string name) => cloudEvent.TryGetProperty(name, out var value) ? value.GetString() : null;
        var signal = Signal.Create(
            Text("type")!,
            cloudEvent.TryGetProperty("data", out var data) ? JsonBody.Compact(data.GetRawText()) : "null",
            Text("source") ?? "/api",
            Text("subject")) with
        {
            CorrelationId = Text("correlationid"),
            CausationId = Text("causationid"),
        };
        if (cloudEvent.TryGetProperty("time", out var time) && time.TryGetDateTimeOffset(out var at))
        {
            signal = signal with { Time = at };
        }

        return Text("id") is { } id ? signal with { Id = id } : signal;
    }

    /// <summary>
    /// Streams signals whose topic matches <paramref name="pattern"/> as they are dispatched: each is
    /// an SSE message whose <c>id</c> is the signal id and whose <c>data</c> is the signal as a
    /// CloudEvent. The first line is a comment saying what is followed; an idle stream gets a
    /// keep-alive comment; signals dropped because the reader fell behind are reported as an
    /// event <c>dropped</c>.
    /// </summary>
    private static async Task FollowAsync(string pattern, HttpContext context, SignalFeed feed, Microsoft.Extensions.Options.IOptions<ApiOptions> options, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
    {
        if (!TopicPattern.TryParse(pattern, out var topics, out var error))
        {
            await Problems.BadRequest($"'{pattern}' is not a topic pattern: {error}", context).ExecuteAsync(context);
            return;
        }

        using var subscription = feed.Subscribe(topics);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        // The stream ends when the follower goes or the silo starts stopping: an open stream would otherwise hold the web
        // server's graceful stop until the host's budget ran out (the follower's EventSource reconnects to a live silo).
        using var followed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancel = followed.Token;
        var body = response.BodyWriter;
        await WriteAsync(body, $": following {topics.Text}\n\n", cancel);
        var reader = subscription.Reader;
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                keepAlive.CancelAfter(options.Value.KeepAliveEvery);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(keepAlive.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    await WriteAsync(body, ": keep-alive\n\n", cancel);
                    continue;
                }

                if (!more)
                {
                    return;
                }

                if (subscription.TakeDropped() is > 0 and var dropped)
                {
                    await WriteAsync(body, $"event: dropped\ndata: {{\"dropped\":{dropped}}}\n\n", cancel);
                }

                // At most about FlushBytes are serialised before they go out, so a follower of a busy topic gets a steady
                // stream (not one write when the publishers pause) and the buffer stays small.
                while (reader.TryRead(out var signal))
                {
                    WriteEvent(buffer, signal);
                    if (buffer.WrittenCount >= FlushBytes)
                    {
                        await body.WriteAsync(buffer.WrittenMemory, cancel);
                        buffer.ResetWrittenCount();
                    }
                }

                await body.WriteAsync(buffer.WrittenMemory, cancel);
                buffer.ResetWrittenCount();
                if (buffer.Capacity > 4 * FlushBytes)
                {
                    buffer = new ArrayBufferWriter<byte>(1024); // one huge signal does not keep its buffer for the stream's life
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The follower went away.
        }
    }

    /// <summary>
    /// One SSE message: <c>id</c> and the CloudEvent as <c>data</c>. The CloudEvent is one line unless the signal's data has
    /// line breaks (data the API takes is compacted, but code may publish any JSON): then each line is its own <c>data:</c>
    /// field, which a client joins back with '\n', so the framing holds and the JSON parses.
    /// </summary>
    internal static void WriteEvent(ArrayBufferWriter<byte> buffer, Signal signal)
    {
        Append(buffer, "id: ");
        Append(buffer, signal.Id);
        Append(buffer, "\n");
        if (signal.Data.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            Append(buffer, "data: ");
            using (var writer = new Utf8JsonWriter(buffer))
            {
                CloudEventJson.Write(writer, signal);
            }

            Append(buffer, "\n\n");
            return;
        }

        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            CloudEventJson.Write(writer, signal);
        }

        foreach (var line in System.Text.Encoding.UTF8.GetString(json.WrittenSpan).ReplaceLineEndings("\n").Split('\n'))
        {
            Append(buffer, "data: ");
            Append(buffer, line);
            Append(buffer, "\n");
        }

        Append(buffer, "\n");
    }

    private static void Append(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(System.Text.Encoding.UTF8.GetBytes(text, span));
    }

    private static async Task WriteAsync(System.IO.Pipelines.PipeWriter body, string text, CancellationToken cancel) =>
        await body.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancel);

    /// <summary>A CloudEvents binary-mode header: its one value, percent-decoded as the HTTP binding encodes it; null when absent or empty.</summary>
    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && value.Count > 0 && !string.IsNullOrEmpty(value[^1]) ? Uri.UnescapeDataString(value[^1]!) : null;

    /// <summary>Whether the body is a structured-mode CloudEvent (<c>application/cloudevents+json</c>), not the data alone.</summary>
    private static bool IsStructuredCloudEvent(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/cloudevents+json", StringComparison.OrdinalIgnoreCase);
}
