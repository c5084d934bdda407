using Agents.Agents;
using Microsoft.AspNetCore.Http;

namespace Agents.Silo.Api;

/// <summary>
/// RFC 7807 problem responses (<c>application/problem+json</c>) with a message a person can act on.
/// Every error the API returns goes through here, so they all share one shape:
/// <c>{ type, title, status, detail, instance }</c>.
/// </summary>
internal static class Problems
{
    public static IResult Status(int status, string title, string detail, HttpContext? context = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, instance: context?.Request.Path.Value);

    public static IResult NotFound(string detail, HttpContext context) => Status(StatusCodes.Status404NotFound, "Not found", detail, context);

    public static IResult BadRequest(string detail, HttpContext context) => Status(StatusCodes.Status400BadRequest, "Bad request", detail, context);

    /// <summary>The problem for an exception a grain call threw, by what the caller can do about it.</summary>
    public static IResult FromCallFailure(Exception error, string what, HttpContext context) => error switch
    {
        AgentTypeNotFoundException e => NotFound(e.Message, context),
        AgentRequestException e => BadRequest(e.Message, context),
        AgentUnavailableException e => Status(StatusCodes.Status503ServiceUnavailable, "Agent unavailable", e.Message, context),
        SiloUnavailableException e => Status(StatusCodes.Status503ServiceUnavailable, "Silo unavailable", $"{what}: {e.Message} Retry shortly; the cluster is moving the work to a live silo.", context),
        TimeoutException e => Status(StatusCodes.Status504GatewayTimeout, "Timed out", $"{what} did not answer in time: {e.Message}", context),
        OperationCanceledException => Status(499, "Cancelled", $"{what} was cancelled: the client went away.", context),
        _ => Status(StatusCodes.Status500InternalServerError, "Agent failed", $"{what} failed: {Describe(error)}", context),
    };

    private static string Describe(Exception error) => error is RemoteException remote
        ? $"{remote.RemoteTypeName}: {remote.Message}"
        : $"{error.GetType().Name}: {error.Message}";
}
