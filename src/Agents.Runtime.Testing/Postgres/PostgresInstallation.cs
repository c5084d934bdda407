using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Agents.Runtime.Testing.Postgres;

/// <summary>
/// The PostgreSQL server binaries on this machine and how to run them. <c>initdb</c> and the
/// postmaster refuse to run as root, so under root (CI) every tool runs as the <c>postgres</c> OS user
/// that the Debian package creates, through <c>runuser -u postgres --</c>; files the tools must
/// write are handed to that user first (<see cref="GiveToServiceUserAsync"/>).
/// </summary>
internal sealed class PostgresInstallation
{
    public const string ServiceUser = "postgres";

    private const string InstallHint =
        "Install them with 'apt-get install -y postgresql' (the CI script .ci/run does this), " +
        "or set AGENTS_TEST_POSTGRES to the connection string of a server the tests may use.";

    private PostgresInstallation(string binDirectory, bool runAsServiceUser)
    {
        BinDirectory = binDirectory;
        RunAsServiceUser = runAsServiceUser;
    }

    public string BinDirectory { get; }

    /// <summary>True when this process is root and the tools therefore run as <see cref="ServiceUser"/>.</summary>
    public bool RunAsServiceUser { get; }

    /// <summary>Finds initdb and pg_ctl: the given directory, else the newest Debian layout, else PATH.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing, or root has no postgres user to run them as.</exception>
    public static PostgresInstallation Find(string? binDirectory)
    {
        var directory = binDirectory ?? NewestDebianBinDirectory() ?? DirectoryOnPath("initdb");
        if (directory is null || !HasServerTools(directory))
        {
            throw new InvalidOperationException(
                $"The PostgreSQL server binaries (initdb, pg_ctl) were not found in {binDirectory ?? "/usr/lib/postgresql/<version>/bin or on PATH"}. {InstallHint}");
        }

        // Environment.UserName is the effective user on Unix; initdb checks the same.
        var isRoot = OperatingSystem.IsLinux() && string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        if (isRoot && !ServiceUserExists())
        {
            throw new InvalidOperationException(
                $"Running as root, but there is no '{ServiceUser}' OS user to run initdb and the server as (they refuse root). " +
                $"The Debian package creates it: 'apt-get install -y postgresql'; or create the user, or run the tests as a non-root user.");
        }

        return new PostgresInstallation(directory, isRoot);
    }

    /// <summary>Runs a server tool (as the service user under root) and returns its output; throws on a non-zero exit or timeout.</summary>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Start(Path.Combine(BinDirectory, tool), arguments, workingDirectory, out var output);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{tool} did not finish within {timeout}; it was killed. Output: {Snapshot(output)}");
        }

        return Check(tool, process, output);
    }

    /// <summary>The synchronous twin of <see cref="RunAsync"/>, for process-exit clean-up where nothing may be awaited.</summary>
    public string Run(string tool, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        using var process = Start(Path.Combine(BinDirectory, tool), arguments, workingDirectory, out var output);
        if (!process.WaitForExit(timeout))
        {
            Kill(process);
            throw new TimeoutException($"{tool} did not finish within {timeout}; it was killed.");
        }

        process.WaitForExit(); // flushes the asynchronous output handlers
        return Check(tool, process, output);
    }

    /// <summary>Under root, makes <paramref name="path"/> (recursively) the service user's, so the tools can write there.</summary>
    public async Task GiveToServiceUserAsync(string path, CancellationToken cancellationToken)
    {
        if (!RunAsServiceUser)
        {
            return;
        }

        using var process = StartRaw("chown", ["-R", $"{ServiceUser}:{ServiceUser}", path], workingDirectory: "/", out var output);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        Check("chown", process, output);
    }

    private Process Start(string executable, IReadOnlyList<string> arguments, string workingDirectory, out StringBuilder output) =>
        RunAsServiceUser
            ? StartRaw("runuser", ["-u", ServiceUser, "--", executable, .. arguments], workingDirectory, out output)
            : StartRaw(executable, arguments, workingDirectory, out output);

    private static Process StartRaw(string fileName, IReadOnlyList<string> arguments, string workingDirectory, out StringBuilder output)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            // The service user may not be allowed into the caller's current directory; the tools
            // fail with "could not identify current directory" if they cannot stat it.
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Messages in English whatever the machine's locale, so failures read the same everywhere.
        startInfo.Environment["LC_MESSAGES"] = "C";

        var buffer = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(buffer, e.Data);
        process.ErrorDataReceived += (_, e) => Append(buffer, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{fileName}': {ex.Message}. {InstallHint}", ex);
        }

        process.StandardInput.Close(); // CI has no stdin; nothing may wait for input
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = buffer;
        return process;
    }

    private static string Check(string tool, Process process, StringBuilder output)
    {
        var text = Snapshot(output);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed with exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {text}");
        }

        return text;
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString().Trim();
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string? NewestDebianBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        // Version directories are "15", "16", or "9.6" on old systems: order numerically, newest first.
        return System.IO.Directory.GetDirectories(root)
            .Select(d => (Directory: Path.Combine(d, "bin"), Version: Version.TryParse(VersionText(Path.GetFileName(d)), out var v) ? v : null))
            .Where(c => c.Version is not null && HasServerTools(c.Directory))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Directory)
            .FirstOrDefault();

        static string VersionText(string name) => name.Contains('.', StringComparison.Ordinal) ? name : name + ".0";
    }

    private static string? DirectoryOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, tool)));

    private static bool HasServerTools(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static bool ServiceUserExists()
    {
        try
        {
            return File.ReadLines("/etc/passwd").Any(l => l.StartsWith(ServiceUser + ":", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
