using System.Net;
using Agents.Agents;

namespace Agents.Llm;

/// <summary>
/// A call to an LLM provider failed: the server answered with an error status, did not answer within
/// the request timeout, could not be reached, or answered something that is not a chat completion.
/// The message names the endpoint and, for HTTP errors, the status code and the server's own error
/// message; it never contains the API key. Caller cancellation is not an <see cref="LlmException"/>:
/// it surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class LlmException : Exception, IRetryableFailure
{
    public LlmException()
    {
    }

    public LlmException(string message)
        : base(message)
    {
    }

    public LlmException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public LlmException(string message, HttpStatusCode? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        IsTransient = statusCode is null or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)statusCode >= 500;
    }

    /// <summary>The HTTP status the server answered with, or null when there was no answer (timeout, unreachable, unreadable body).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// Whether asking again later could succeed: true for timeouts, unreachable servers, 408, 429 and 5xx; false for the
    /// other 4xx answers (a bad key, a missing model, a refused request) and for missing configuration. A signal whose
    /// handler fails with a non-transient error is dead-lettered at once rather than retried.
    /// </summary>
    public bool IsTransient { get; init; } = true;

    bool IRetryableFailure.CanSucceedOnRetry => IsTransient;
}
