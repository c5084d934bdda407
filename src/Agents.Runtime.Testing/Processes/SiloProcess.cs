using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Agents.Runtime.Testing.Processes;

/*
 * A real silo process on 127.0.0.1, for fault tests: started from the built Agents.Silo binary
 * with its configuration in environment variables (Agents__Section__Key), its output captured line
 * by line, and stopped either gracefully (SIGTERM: the host's graceful shutdown) or as a crash
 * (SIGKILL: nothing runs, sockets are reset by the kernel, the membership row stays Active).
 *
 * Every process this harness starts is killed when it is disposed, so a failing test never leaves
 * a silo behind.
 */

/// <summary>A silo running in its own process.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private SiloProcess(string name, Process process, int siloPort, int gatewayPort, int apiPort)
    {
        ApiUrl = new Uri($"http://127.0.0.1:{apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/");
        Name = name;
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public string Name { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The silo's HTTP API (a free port on 127.0.0.1 unless the configuration names <c>Agents:Api:Urls</c>).</summary>
    public Uri ApiUrl { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the process to exit by itself; false if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Every line the process wrote to stdout and stderr so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>
    /// Starts the silo binary <paramref name="siloDll"/> (run with <c>dotnet</c>) listening on
    /// <paramref name="siloPort"/> and <paramref name="gatewayPort"/> of 127.0.0.1, with
    /// <paramref name="configuration"/> as <c>Agents__...</c> environment variables (keys in
    /// <c>Section:Key</c> form). Returns once the process started; wait for readiness with
    /// <see cref="WaitForOutputAsync"/>.
    /// </summary>
    public static SiloProcess Start(string name, string siloDll, int siloPort, int gatewayPort, IReadOnlyDictionary<string, string?> configuration)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(siloDll)!,
        };
        start.ArgumentList.Add(siloDll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["Agents__Networking__ListenAddress"] = "127.0.0.1";
        start.Environment["Agents__Networking__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Agents__Networking__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Agents__Silo__SiloName"] = name;
        var apiPort = FreePort();
        start.Environment["Agents__Api__Urls"] = $"http://127.0.0.1:{apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        foreach (var (key, value) in configuration)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, process, siloPort, gatewayPort, apiPort);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start silo process {name} ({siloDll}).");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        _lineArrived.Release();
    }

    /// <summary>Waits until the process printed a line containing <paramref name="fragment"/>; fails with its output if it exits or the time runs out first.</summary>
    public async Task WaitForOutputAsync(string fragment, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_output.Any(line => line.Contains(fragment, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo process {Name} exited with code {_process.ExitCode} before printing '{fragment}'. Output:\n{string.Join('\n', _output)}");
            }

            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Silo process {Name} did not print '{fragment}' within {timeout}. Output:\n{string.Join('\n', _output)}");
            }

            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>kill -9: the process ends at once, without shutting anything down.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait for the graceful shutdown (grains deactivate, the silo leaves); SIGKILL if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var signal = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await signal!.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        _lineArrived.Dispose();
    }

    /// <summary>A TCP port on 127.0.0.1 that is free now.</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// The built Agents.Silo.dll of this repository, in the same configuration (Debug/Release) as the
    /// running test assembly: found by walking up from the test's directory to the solution.
    /// </summary>
    public static string LocateSiloBinary()
    {
        var baseDirectory = AppContext.BaseDirectory;
        var configuration = baseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var directory = new DirectoryInfo(baseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Agents.sln")))
            {
                var binary = Path.Combine(directory.FullName, "Silo", "bin", configuration, "net10.0", "Agents.Silo.dll");
                return File.Exists(binary)
                    ? binary
                    : throw new FileNotFoundException($"The silo binary is not built: {binary}. Build the solution first (dotnet build -c {configuration}).", binary);
            }
        }

        throw new DirectoryNotFoundException($"No Agents.sln above {baseDirectory}: the silo binary cannot be located.");
    }
}
