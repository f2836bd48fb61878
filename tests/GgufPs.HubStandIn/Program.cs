using System.Diagnostics;
using System.Text.Json;
using GgufPs.HubStandIn;

// The stand-in Hub as a process, for the Pester tests and the download benchmark:
//   GgufPs.HubStandIn [--config file.json] [--repo owner/name=folder]... [--urls-file path] [--parent-pid N]
// It prints "hub: URL" and "cdn: URL", writes them as JSON to --urls-file, and runs until it is stopped, Ctrl+C, or
// the parent process exits.
string? urlsFile = null;
int? parentPid = null;
var configurations = new List<string>();
var folders = new List<(string Id, string Folder)>();
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--config":
            configurations.Add(value);
            break;
        case "--repo":
            int equals = value.IndexOf('=');
            folders.Add((value[..equals], value[(equals + 1)..]));
            break;
        case "--urls-file":
            urlsFile = value;
            break;
        case "--parent-pid":
            parentPid = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine($"Unknown argument {args[i]}.");
            return 2;
    }
    i++;
}

await using var server = await HubStandInServer.StartAsync();
foreach (string configuration in configurations)
{
    StandInConfiguration.Apply(server, configuration);
}
foreach (var (id, folder) in folders)
{
    server.Add(StandInRepository.FromFolder(id, Path.GetFullPath(folder)));
}

Console.WriteLine("hub: " + server.HubUrl.AbsoluteUri.TrimEnd('/'));
Console.WriteLine("cdn: " + server.CdnUrl.AbsoluteUri.TrimEnd('/'));
if (urlsFile is not null)
{
    string temporary = urlsFile + ".tmp";
    File.WriteAllText(temporary, JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["hub"] = server.HubUrl.AbsoluteUri.TrimEnd('/'),
        ["cdn"] = server.CdnUrl.AbsoluteUri.TrimEnd('/'),
    }));
    File.Move(temporary, urlsFile, overwrite: true);
}

// The host turns SIGTERM and Ctrl+C into Stopping.
using var stop = CancellationTokenSource.CreateLinkedTokenSource(server.Stopping);
try
{
    while (!stop.IsCancellationRequested)
    {
        await Task.Delay(1000, stop.Token);
        if (parentPid is int pid && !IsAlive(pid))
        {
            break;
        }
    }
}
catch (OperationCanceledException)
{
}
return 0;

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
