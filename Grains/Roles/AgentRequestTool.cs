using System.Text;
using System.Text.Json;
using Agents.Agents;
using Microsoft.Extensions.AI;

namespace Agents.Roles;

/// <summary>
/// One request of one agent type offered to a model as a function: <c>{type}_{request}</c> with
/// parameters <c>{ key: string, body: object }</c>. Calling it asks the agent <c>(type, key)</c>
/// through the calling agent's context, so the call is part of the calling agent's turn.
/// </summary>
internal sealed class AgentRequestTool : AIFunction
{
    /// <summary>The longest function name OpenAI-compatible servers accept.</summary>
    public const int MaxNameLength = 64;

    private static readonly JsonElement Parameters = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "key": { "type": "string", "description": "Which agent of this type to ask: its key, e.g. a customer or ticket id." },
            "body": { "type": "object", "description": "The request's JSON body; {} when it takes none." }
          },
          "required": ["key", "body"]
        }
        """).RootElement.Clone();

    private readonly Func<AgentId, string, JsonElement, Task<JsonElement>> _ask;

    public AgentRequestTool(string agentType, string request, string description, Func<AgentId, string, JsonElement, Task<JsonElement>> ask)
    {
        AgentType = agentType;
        Request = request;
        _ask = ask;
        Name = NameFor(agentType, request);
        Description = $"Asks an agent of type '{agentType}' (request '{request}')" + (string.IsNullOrWhiteSpace(description) ? "." : $": {description}");
    }

    public string AgentType { get; }

    public string Request { get; }

    public override string Name { get; }

    public override string Description { get; }

    public override JsonElement JsonSchema => Parameters;

    /// <summary>The function name of <paramref name="request"/> of <paramref name="agentType"/>: characters other than letters, digits, '_' and '-' become '_', cut to 64.</summary>
    public static string NameFor(string agentType, string request)
    {
        var name = new StringBuilder(agentType.Length + request.Length + 1).Append(agentType).Append('_');
        foreach (var c in request)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }

        return name.Length <= MaxNameLength ? name.ToString() : name.ToString(0, MaxNameLength);
    }

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var key = Text(arguments.TryGetValue("key", out var k) ? k : null);
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ArgumentException($"'{Name}' needs a 'key': which agent of type '{AgentType}' to ask.");
        }

        var body = Json(arguments.TryGetValue("body", out var b) ? b : null);
        return await _ask(new AgentId(AgentType, key), Request, body);
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        JsonElement { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } e => e.GetRawText(),
        JsonElement => null,
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static JsonElement Json(object? value) => value switch
    {
        JsonElement e => e,
        null => JsonSerializer.SerializeToElement<object?>(null),
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), Signals.SignalJson.Options),
    };
}
