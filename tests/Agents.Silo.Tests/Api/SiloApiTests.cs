using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Agents.Silo.Tests.Api;

/// <summary>The Silo binary's HTTP API against a real silo process: answers, and a problem+json for every error.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SiloApiTests(SiloApiFixture fixture) : IClassFixture<SiloApiFixture>
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task A_ticket_published_over_http_reaches_the_customers_triage_agent_which_answers_asks()
    {
        var customer = $"api-{Guid.NewGuid():N}"[..12];
        var published = await Http.PostAsync($"api/signals/tickets.new?subject={customer}", Json(new { id = "T-1", customer, priority = "high", text = "site down" }));
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var accepted = await published.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(accepted.GetProperty("id").GetString()));

        JsonElement summary = default;
        await Eventually.HoldsAsync(async () =>
        {
            var reply = await Http.PostAsync($"api/agents/triage/{customer}/ask/summary", Json(new { }));
            summary = await reply.Content.ReadFromJsonAsync<JsonElement>();
            return reply.IsSuccessStatusCode && summary.GetProperty("total").GetInt32() == 1;
        }, "the triage agent counted the ticket", TimeSpan.FromSeconds(15));
        Assert.Equal(1, summary.GetProperty("urgent").GetInt32());

        var described = await Http.GetFromJsonAsync<JsonElement>($"api/agents/triage/{customer}");
        Assert.Equal("triage", described.GetProperty("type").GetString());
        Assert.Equal(1, described.GetProperty("signalsHandled").GetInt64());
        Assert.Equal(1, described.GetProperty("state").GetProperty("total").GetInt32());
        Assert.Equal(0, described.GetProperty("reminders").GetArrayLength());

        // The ticket also opened the desk-wide summaries window, whose time limit is a durable reminder.
        JsonElement desk = default;
        await Eventually.HoldsAsync(async () =>
        {
            desk = await Http.GetFromJsonAsync<JsonElement>("api/agents/summaries/desk");
            return desk.GetProperty("reminders").GetArrayLength() == 1;
        }, "the aggregator's window reminder shows", TimeSpan.FromSeconds(15));
        var window = desk.GetProperty("reminders")[0];
        Assert.Equal(("window", "00:00:30"), (window.GetProperty("name").GetString(), window.GetProperty("period").GetString()));

        // The one silo ticks every reminder, and says so.
        var cluster = await Http.GetFromJsonAsync<JsonElement>("api/cluster");
        Assert.True(Assert.Single(cluster.GetProperty("silos").EnumerateArray()).GetProperty("reminders").GetInt32() >= 1);
    }

    [Fact]
    public async Task Agent_types_and_the_cluster_are_listed()
    {
        var agents = await Http.GetFromJsonAsync<JsonElement>("api/agents");
        var triage = agents.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("type").GetString() == "triage");
        Assert.Equal(["triaged.*"], triage.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        Assert.True(triage.GetProperty("requests").TryGetProperty("summary", out _));
        var intake = agents.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("type").GetString() == "intake");
        Assert.Equal("router", intake.GetProperty("role").GetString());
        Assert.Equal([("tickets.new", "json $.customer")], intake.GetProperty("routes").EnumerateArray().Select(r => (r.GetProperty("topic").GetString(), r.GetProperty("key").GetString())));

        var cluster = await Http.GetFromJsonAsync<JsonElement>("api/cluster");
        var silo = Assert.Single(cluster.GetProperty("silos").EnumerateArray());
        Assert.Equal("Active", silo.GetProperty("status").GetString());
        Assert.True(silo.GetProperty("isLocal").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/ready")).StatusCode);
    }

    [Fact]
    public async Task Followers_over_sse_get_published_signals_in_order()
    {
        var topic = $"sse.t{Guid.NewGuid():N}"[..16];
        using var follower = await FollowAsync($"{topic.Split('.')[0]}.%23", "sse.#");
        Assert.Equal("text/event-stream", follower.Response.Content.Headers.ContentType?.MediaType);
        var reader = follower.Reader;

        var sent = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var reply = await Http.PostAsync($"api/signals/{topic}?id=s-{i:00}", Json(new { n = i }));
            Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
            sent.Add($"s-{i:00}");
        }

        var received = await ReadEventsAsync(reader, sent.Count);
        Assert.All(received, e => Assert.Equal(topic, e.GetProperty("type").GetString()));
        Assert.Equal(sent, received.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(Enumerable.Range(0, 40), received.Select(e => e.GetProperty("data").GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task A_cloudevents_batch_posted_at_once_reaches_followers_in_order_with_its_ids()
    {
        var topic = $"bat.t{Guid.NewGuid():N}"[..16];
        using var follower = await FollowAsync(topic, topic);
        var reader = follower.Reader;

        // Ids given for the first ten, generated for the rest; one source given, the others default.
        var batch = Enumerable.Range(0, 20).Select(i => i < 10
            ? (object)new { type = topic, id = $"b-{i:00}", source = "/importer", data = new { n = i } }
            : new { type = topic, data = new { n = i } });
        using var content = new StringContent(JsonSerializer.Serialize(batch), Encoding.UTF8, "application/cloudevents-batch+json");
        var reply = await Http.PostAsync("api/signals", content);
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var accepted = await reply.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(20, accepted.GetProperty("count").GetInt32());
        var ids = accepted.GetProperty("ids").EnumerateArray().Select(i => i.GetString()!).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"b-{i:00}"), ids.Take(10));

        var received = await ReadEventsAsync(reader, 20);

        Assert.Equal(ids, received.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(Enumerable.Range(0, 20), received.Select(r => r.GetProperty("data").GetProperty("n").GetInt32()));
        Assert.Equal("/importer", received[0].GetProperty("source").GetString());
        Assert.Equal("/api", received[19].GetProperty("source").GetString());
    }

    [Fact]
    public async Task An_unroutable_ticket_is_dead_lettered_with_the_reason_and_visible_through_the_api()
    {
        var id = $"no-customer-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsync($"api/signals/tickets.new?id={id}", Json(new { text = "who am I" }))).StatusCode);

        await Eventually.HoldsAsync(async () =>
        {
            var letters = await Http.GetFromJsonAsync<JsonElement>("api/dead-letters?max=1000");
            return letters.EnumerateArray().Any(l => l.GetProperty("signal").GetProperty("id").GetString() == id
                && l.GetProperty("errorMessage").GetString()!.Contains("$.customer", StringComparison.Ordinal));
        }, "the unroutable ticket is in the dead letters, naming the key rule", TimeSpan.FromSeconds(15));
    }

    /// <summary>Follows <paramref name="pattern"/> (URL-escaped) over SSE; returns once the stream says it follows <paramref name="followed"/>.</summary>
    private async Task<Follower> FollowAsync(string pattern, string followed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/signals/{pattern}/stream");
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith($": following {followed}", await reader.ReadLineAsync());
        return new Follower(response, reader);
    }

    /// <summary>An open SSE stream and its reader.</summary>
    private sealed record Follower(HttpResponseMessage Response, StreamReader Reader) : IDisposable
    {
        public void Dispose()
        {
            Reader.Dispose();
            Response.Dispose();
        }
    }

    /// <summary>The CloudEvents of the next <paramref name="count"/> SSE messages (20 s at most).</summary>
    private static async Task<List<JsonElement>> ReadEventsAsync(StreamReader reader, int count)
    {
        var received = new List<JsonElement>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (received.Count < count && await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var cloudEvent = JsonDocument.Parse(line["data: ".Length..]);
                received.Add(cloudEvent.RootElement.Clone());
            }
        }

        return received;
    }

    public static TheoryData<string, string, string?, HttpStatusCode, string> ErrorCases => new()
    {
        { "POST", "api/agents/triag/alice/ask", "{}", HttpStatusCode.NotFound, "no agent type 'triag'" },
        { "GET", "api/agents/nobody/alice", null, HttpStatusCode.NotFound, "no agent type 'nobody'" },
        { "POST", "api/agents/triage/alice/ask/summary", "{\"a\": }", HttpStatusCode.BadRequest, "line 1, column 7" },
        { "POST", "api/agents/triage/alice/ask/refund", "{}", HttpStatusCode.BadRequest, "does not answer 'refund'" },
        { "POST", "api/agents/triage/alice/ask", "{}", HttpStatusCode.BadRequest, "name the one to ask" },
        { "POST", "api/agents/triage/alice/ask/close", "{\"ticket\": \"T-404\"}", HttpStatusCode.BadRequest, "no open ticket 'T-404'" },
        { "POST", "api/agents/recent/alerts/ask/recent", "{\"topic\": \"a..b\"}", HttpStatusCode.BadRequest, "'topic' must be a topic or pattern such as alerts.*" },
        { "POST", "api/signals/bad..topic", "{}", HttpStatusCode.BadRequest, "'bad..topic' is not a topic" },
        { "POST", "api/signals/tickets.new", "{\"customer\": ", HttpStatusCode.BadRequest, "not valid JSON" },
        { "POST", "api/signals/tickets.new?id=" + new string('i', 201), "{}", HttpStatusCode.BadRequest, "A signal id must be 1 to 200 characters" },
        { "POST", "api/signals/tickets.new", "{\"text\": \"" + new string('x', 5000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "larger than 4096 bytes" },
        { "GET", "api/signals/a.%23.b/stream", null, HttpStatusCode.BadRequest, "is not a topic pattern" },
        { "POST", "api/signals", "{\"type\": \"a.b\"}", HttpStatusCode.BadRequest, "A batch of signals is a JSON array of CloudEvents, not Object" },
        { "POST", "api/signals", "[{\"type\": \"a.b\"}, {\"data\": 1}]", HttpStatusCode.BadRequest, "Event 1 of the batch has no 'type'" },
        { "POST", "api/signals", "[{\"type\": \"a..b\"}]", HttpStatusCode.BadRequest, "Event 0 of the batch: topic 'a..b'" },
        { "POST", "api/signals", "[{\"type\": \"a.b\", \"id\": 7}]", HttpStatusCode.BadRequest, "Event 0 of the batch: 'id' must be a string" },
        { "POST", "api/signals", "[{\"type\": \"a.b\", \"id\": \"\"}]", HttpStatusCode.BadRequest, "Event 0 of the batch: a signal id must be 1 to 200 characters" },
        { "POST", "api/signals", "[1, 2", HttpStatusCode.BadRequest, "not valid JSON" },
        { "POST", "api/signals", "[{\"type\": \"a.b\", \"data_base64\": \"AAE=\"}]", HttpStatusCode.BadRequest, "Event 0 of the batch has 'data_base64': a signal's data is JSON" },
        { "POST", "api/signals", "[{\"type\": \"a.b\", \"time\": \"yesterday\"}]", HttpStatusCode.BadRequest, "Event 0 of the batch: 'time' must be an RFC 3339 timestamp" },
        { "GET", "api/dead-letters?max=-1", null, HttpStatusCode.BadRequest, "max must be 0 or more" },
        { "GET", "api/nothing-here", null, HttpStatusCode.NotFound, "Nothing is served at GET /api/nothing-here" },
        { "DELETE", "api/agents", null, HttpStatusCode.MethodNotAllowed, "DELETE is not allowed" },
    };

    public static TheoryData<string, string, string, string> CloudEventErrorCases => new()
    {
        { "ce-type", "other.topic", "text/plain", "The ce-type header 'other.topic' is not the topic it was posted to ('ce.errors')" },
        { "ce-time", "noon", "text/plain", "The ce-time header must be an RFC 3339 timestamp" },
        { "content-type", "application/cloudevents+json", "{\"type\":\"else.where\"}", "The CloudEvent's type 'else.where' is not the topic it was posted to ('ce.errors')" },
        { "content-type", "application/cloudevents+json", "{\"data_base64\":\"AAE=\"}", "The CloudEvent has 'data_base64'" },
    };

    [Theory]
    [MemberData(nameof(CloudEventErrorCases))]
    public async Task A_cloudevent_that_disagrees_with_its_topic_or_carries_what_a_signal_cannot_is_refused(string header, string value, string bodyOrNone, string detail)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/signals/ce.errors");
        request.Content = new StringContent(header == "content-type" ? bodyOrNone : "{}", Encoding.UTF8, header == "content-type" ? value : "application/json");
        if (header != "content-type")
        {
            request.Headers.Add(header, value);
        }

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pretty_printed_data_structured_cloudevents_and_encoded_headers_reach_followers_as_sent()
    {
        var topic = $"ce.t{Guid.NewGuid():N}"[..14];
        using var follower = await FollowAsync(topic, topic);
        var reader = follower.Reader;

        // 1. Pretty-printed data (new lines, a blank line, CRLF) is one line on the wire and the same JSON.
        var pretty = await Http.PostAsync($"api/signals/{topic}?id=pretty", new StringContent("{\r\n  \"a\": 1,\n\n  \"s\": \"x  y\"\n}\n", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, pretty.StatusCode);

        // 2. A structured-mode CloudEvent keeps its own id, source, time and causation id.
        using var structured = new StringContent($$$"""{"specversion":"1.0","id":"structured","source":"/importer","type":"{{{topic}}}","time":"2026-01-02T03:04:05Z","causationid":"cause-1","data":{"b":2}}""", Encoding.UTF8);
        structured.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsync($"api/signals/{topic}", structured)).StatusCode);

        // 3. Binary-mode headers are percent-decoded, as the CloudEvents HTTP binding encodes them.
        using var binary = new HttpRequestMessage(HttpMethod.Post, $"api/signals/{topic}") { Content = Json(new { c = 3 }) };
        binary.Headers.Add("ce-id", "binary");
        binary.Headers.Add("ce-subject", "caf%C3%A9");
        binary.Headers.Add("ce-type", topic);
        binary.Headers.Add("ce-time", "2026-05-06T07:08:09Z");
        Assert.Equal(HttpStatusCode.Accepted, (await Http.SendAsync(binary)).StatusCode);

        var received = await ReadEventsAsync(reader, 3);

        Assert.Equal(["pretty", "structured", "binary"], received.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("{\"a\":1,\"s\":\"x  y\"}", received[0].GetProperty("data").GetRawText());
        Assert.Equal(("/importer", "cause-1", 2), (received[1].GetProperty("source").GetString(), received[1].GetProperty("causationid").GetString(), received[1].GetProperty("data").GetProperty("b").GetInt32()));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), received[1].GetProperty("time").GetDateTimeOffset());
        Assert.Equal("café", received[2].GetProperty("subject").GetString());
        Assert.Equal(new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero), received[2].GetProperty("time").GetDateTimeOffset());
    }

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public async Task Every_error_is_a_problem_json_that_says_what_is_wrong(string method, string path, string? body, HttpStatusCode status, string detail)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_that_keeps_failing_asks_trips_its_breaker_and_says_so()
    {
        // The oracle's model server is down: each ask fails with the model's error, a 500 that says so.
        var key = $"breaker-{Guid.NewGuid():N}"[..16];
        for (var i = 0; i < 3; i++)
        {
            var failed = await Http.PostAsync($"api/agents/oracle/{key}/ask/ask", Json("anyone there?"));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
            Assert.Contains("could not be reached", (await failed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Three in a row (Agents:Service:CircuitBreakerFailures here) open the breaker: the next ask is refused at once.
        var refused = await Http.PostAsync($"api/agents/oracle/{key}/ask/history", Json(new { }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("circuit breaker", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
