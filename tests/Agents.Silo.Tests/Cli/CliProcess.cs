using System.Collections.Concurrent;
using System.Diagnostics;
using Agents.Runtime.Testing.Processes;

namespace Agents.Silo.Tests.Cli;

/// <summary>
/// One run of the Agents binary as the CLI (<c>dotnet Agents.Silo.dll send|ask|tail|status …</c>), its stdout and stderr
/// collected line by line as they come, so a test can wait for a line (a follower's ": following") before acting.
/// AGENTS_API and AGENTS_API_KEY are cleared unless given, so the machine's environment does not leak in.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process) => _process = process;

    public IReadOnlyCollection<string> Stdout => _stdout;

    public IReadOnlyCollection<string> Stderr => _stderr;

    public static CliProcess Start(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SiloProcess.LocateSiloBinary());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AGENTS_API");
        start.Environment.Remove("AGENTS_API_KEY");
        start.Environment["COLUMNS"] = "200"; // status prints tables; wide enough that cells are not wrapped
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => Collect(e.Data, cli._stdout, cli._stdoutClosed);
        process.ErrorDataReceived += (_, e) => Collect(e.Data, cli._stderr, cli._stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the CLI to its end (60 s at most) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        await using var cli = Start(environment, args);
        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, string.Join('\n', cli.Stdout), string.Join('\n', cli.Stderr));
    }

    /// <summary>The exit code, once the process ended and its output was read to the end; fails with the output if it runs past <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"`agents {string.Join(' ', _process.StartInfo.ArgumentList.Skip(1))}` did not end within {timeout}. {Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until stderr has a line containing <paramref name="fragment"/> (30 s at most).</summary>
    public async Task WaitForStderrAsync(string fragment)
    {
        var clock = Stopwatch.StartNew();
        while (!_stderr.Any(line => line.Contains(fragment, StringComparison.Ordinal)))
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"The CLI did not print '{fragment}' on stderr. {Describe()}");
            }

            await Task.Delay(20);
        }
    }

    private string Describe() => $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";

    private static void Collect(string? line, ConcurrentQueue<string> into, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            into.Enqueue(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
