using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Agents.Silo.Cli;

/// <summary>
/// The CLI verbs of the Agents binary, talking to a running silo's HTTP API (<c>--api</c>, else
/// <c>AGENTS_API</c>, else http://127.0.0.1:5000), with its API key if it has one (<c>--api-key</c>, else
/// <c>AGENTS_API_KEY</c>): <c>send</c>, <c>ask</c>, <c>tail</c>, <c>status</c>.
/// Exit code 0 on success, 1 when the silo refused or could not be reached (the reason on stderr),
/// 2 for a usage error.
/// </summary>
internal static class AgentsCli
{
    private static readonly string[] Verbs = ["send", "ask", "tail", "status"];

    // Indented, and without escaping what a terminal shows fine ('+', quotes inside strings, non-ASCII).
    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether <paramref name="args"/> start with a CLI verb (anything else runs a silo).</summary>
    public static bool IsCliVerb(string[] args) => args.Length > 0 && Verbs.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        var api = new Option<string>("--api")
        {
            Description = "The silo's HTTP API (default: AGENTS_API or http://127.0.0.1:5000)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AGENTS_API") is { Length: > 0 } url ? url : "http://127.0.0.1:5000",
            Recursive = true,
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "The silo's API key, when it has one (default: AGENTS_API_KEY)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AGENTS_API_KEY") is { Length: > 0 } key ? key : null,
            Recursive = true,
        };
        var root = new RootCommand("Agents: run a silo (no verb, or `run`), or talk to a running one.") { api, apiKey };
        var target = new Target(api, apiKey);
        root.Subcommands.Add(Send(target));
        root.Subcommands.Add(Ask(target));
        root.Subcommands.Add(Tail(target));
        root.Subcommands.Add(Status(target));
        return await root.Parse(args).InvokeAsync();
    }

    private static Command Send(Target api)
    {
        var topic = new Argument<string>("topic") { Description = "The topic, e.g. tickets.new" };
        var json = new Argument<string>("json") { Description = "The signal's data as JSON" };
        var subject = new Option<string?>("--subject") { Description = "What the signal is about, e.g. a customer id" };
        var id = new Option<string?>("--id") { Description = "The signal id (default: a new one)" };
        var command = new Command("send", "Publish a signal") { topic, json, subject, id };
        command.SetAction((parse, cancel) => Guarded(parse, api, async client =>
        {
            var query = Query(("subject", parse.GetValue(subject)), ("id", parse.GetValue(id)));
            var reply = await client.PostJsonAsync($"api/signals/{Uri.EscapeDataString(parse.GetValue(topic)!)}{query}", parse.GetValue(json)!, cancel);
            using var accepted = JsonDocument.Parse(reply);
            Console.WriteLine($"published {accepted.RootElement.GetProperty("id").GetString()} on {parse.GetValue(topic)}");
        }));
        return command;
    }

    private static Command Ask(Target api)
    {
        var type = new Argument<string>("type") { Description = "The agent type, e.g. triage" };
        var key = new Argument<string>("key") { Description = "The agent's key, e.g. a customer id" };
        var json = new Argument<string>("json") { Description = "The request body as JSON", DefaultValueFactory = _ => "{}" };
        var request = new Option<string?>("--request", "-r") { Description = "The request to ask (default: the agent's only one)" };
        var command = new Command("ask", "Ask an agent and print its JSON reply") { type, key, json, request };
        command.SetAction((parse, cancel) => Guarded(parse, api, async client =>
        {
            var path = $"api/agents/{Uri.EscapeDataString(parse.GetValue(type)!)}/{Uri.EscapeDataString(parse.GetValue(key)!)}/ask{Query(("request", parse.GetValue(request)))}";
            var reply = await client.PostJsonAsync(path, parse.GetValue(json)!, cancel);
            Console.WriteLine(Pretty(reply));
        }));
        return command;
    }

    private static Command Tail(Target api)
    {
        var pattern = new Argument<string>("topic") { Description = "A topic or pattern: tickets.*, alerts.#, # (everything)" };
        var count = new Option<int?>("--count", "-n") { Description = "Stop after this many signals" };
        var command = new Command("tail", "Follow signals as they are dispatched (Ctrl+C to stop)") { pattern, count };
        command.SetAction((parse, cancel) => Guarded(parse, api, async client =>
        {
            await using var stream = await client.OpenStreamAsync($"api/signals/{Uri.EscapeDataString(parse.GetValue(pattern)!)}/stream", cancel);
            using var reader = new StreamReader(stream);
            var left = parse.GetValue(count) ?? int.MaxValue;
            while (left > 0 && await reader.ReadLineAsync(cancel) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"specversion\"", StringComparison.Ordinal))
                {
                    var signal = Signals.CloudEventJson.Parse(line["data: ".Length..]);
                    Console.WriteLine($"{signal.Time:HH:mm:ss.fff} {signal.Topic}{(signal.Subject is null ? "" : $" [{signal.Subject}]")} {signal.Data}");
                    left--;
                }
                else if (line.StartsWith(": following", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine(line[2..]);
                }
            }
        }));
        return command;
    }

    private static Command Status(Target api)
    {
        var command = new Command("status", "Show the cluster's silos and agent types");
        command.SetAction((parse, cancel) => Guarded(parse, api, async client =>
        {
            using var cluster = JsonDocument.Parse(await client.GetAsync("api/cluster", cancel));
            using var agents = JsonDocument.Parse(await client.GetAsync("api/agents", cancel));
            var silos = new Table().Title("silos").AddColumns("address", "name", "status", "role", "agents", "reminders");
            foreach (var silo in cluster.RootElement.GetProperty("silos").EnumerateArray())
            {
                silos.AddRow(
                    Markup.Escape(silo.GetProperty("address").GetString()! + (silo.GetProperty("isLocal").GetBoolean() ? " *" : "")),
                    Markup.Escape(silo.GetProperty("name").GetString() ?? ""),
                    Markup.Escape(silo.GetProperty("status").GetString() ?? ""),
                    Markup.Escape(silo.GetProperty("role").GetString() ?? ""),
                    silo.GetProperty("agents").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    silo.GetProperty("reminders").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var types = new Table().Title("agent types").AddColumns("type", "role", "active", "receives (routes)", "answers");
            foreach (var type in agents.RootElement.GetProperty("types").EnumerateArray())
            {
                types.AddRow(
                    Markup.Escape(type.GetProperty("type").GetString()!),
                    Markup.Escape(type.GetProperty("role").GetString() ?? "code"),
                    type.GetProperty("active").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join('\n', type.GetProperty("routes").EnumerateArray().Select(r => $"{r.GetProperty("topic").GetString()} (key: {r.GetProperty("key").GetString()})"))),
                    Markup.Escape(string.Join(", ", type.GetProperty("requests").EnumerateObject().Select(r => r.Name))));
            }

            var console = Terminal();
            console.Write(silos);
            console.Write(types);
        }));
        return command;
    }

    private static async Task<int> Guarded(ParseResult parse, Target api, Func<ApiClient, Task> run)
    {
        var url = parse.GetValue(api.Url)!;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress))
        {
            Console.Error.WriteLine($"agents: --api '{url}' is not a URL (e.g. http://127.0.0.1:5000).");
            return 2;
        }

        using var client = new ApiClient(baseAddress, parse.GetValue(api.Key));
        try
        {
            await run(client);
            return 0;
        }
        catch (CliException error)
        {
            Console.Error.WriteLine($"agents: {error.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The console for tables: colours on a terminal; plain text when the output goes to a pipe or a file (or NO_COLOR is set),
    /// as wide as COLUMNS says or 200 columns, so a line is a row for grep rather than wrapped at 80.
    /// </summary>
    private static IAnsiConsole Terminal()
    {
        var redirected = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (redirected)
        {
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 200;
        }

        return console;
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return present.Length == 0 ? "" : "?" + string.Join('&', present);
    }

    private static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, PrettyJson);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>Where the verbs send their requests: the API's URL and its key.</summary>
    private sealed record Target(Option<string> Url, Option<string?> Key);
}
