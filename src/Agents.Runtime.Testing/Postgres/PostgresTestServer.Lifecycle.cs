using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Agents.Runtime.Testing.Postgres;

/// <summary>
/// Stopping a server and cleaning up after it: pg_ctl stop (bounded) with SIGKILL as the last resort,
/// the process-exit hook, and the sweep of servers whose owning process died.
/// </summary>
public sealed partial class PostgresTestServer
{
    private static async Task StopAsync(PostgresInstallation installation, string dataDirectory, string mode, TimeSpan timeout)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return; // never started, or already stopped
        }

        try
        {
            await installation.RunAsync("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", Seconds(timeout), "stop"],
                Path.GetDirectoryName(dataDirectory)!, timeout + TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            KillPostmaster(dataDirectory);
        }
    }

    private static void Stop(PostgresInstallation installation, string dataDirectory, TimeSpan timeout)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return;
        }

        try
        {
            installation.Run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", Seconds(timeout), "stop"],
                Path.GetDirectoryName(dataDirectory)!, timeout + TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            KillPostmaster(dataDirectory);
        }
    }

    /// <summary>The last resort when pg_ctl cannot stop the server: SIGKILL the postmaster named in postmaster.pid.</summary>
    private static void KillPostmaster(string dataDirectory)
    {
        try
        {
            var firstLine = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            if (int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already, or not ours to kill; nothing more can be done here.
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // The test host is exiting without having disposed the server: stop it now, synchronously.
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _installation is not null)
        {
            Stop(_installation, DataDirectory!, TimeSpan.FromSeconds(10));
            DeleteDirectory(RootDirectory!);
        }
    }

    /// <summary>Stops and deletes servers whose owning process has died (e.g. a test host killed with SIGKILL).</summary>
    private static void SweepLeftovers(PostgresInstallation installation, string baseDirectory)
    {
        foreach (var directory in System.IO.Directory.EnumerateDirectories(baseDirectory, DirectoryPrefix + "*"))
        {
            try
            {
                var owner = File.ReadAllText(Path.Combine(directory, OwnerFile)).Trim();
                if (int.TryParse(owner, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsAlive(pid))
                {
                    Stop(installation, Path.Combine(directory, "data"), TimeSpan.FromSeconds(10));
                    DeleteDirectory(directory);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException)
            {
                // Someone else's directory, or one being created right now: leave it.
            }
        }

        static bool IsAlive(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }

    private static string BaseDirectory(PostgresInstallation installation)
    {
        // Under root the server runs as "postgres", which must be able to reach the directory:
        // a private TMPDIR (e.g. under /root) would not do, /tmp always does.
        var temp = Path.GetTempPath();
        return installation.RunAsServiceUser && !ReachableByEveryone(temp) ? "/tmp" : temp;

        static bool ReachableByEveryone(string path)
        {
            for (var current = new DirectoryInfo(path); current is not null; current = current.Parent)
            {
                if (!current.Exists || (current.UnixFileMode & UnixFileMode.OtherExecute) == 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void DeleteDirectory(string directory)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (System.IO.Directory.Exists(directory))
                {
                    System.IO.Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A server process may still be closing files; try again shortly.
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>pg_ctl's -t: whole seconds, at least one (0 would mean "do not wait at all").</summary>
    private static string Seconds(TimeSpan timeout) =>
        Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
