using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GgufPs.HubStandIn;

/// <summary>
/// The stand-in Hub: Kestrel on loopback with two authorities, the hub at http://127.0.0.1:P1 and the LFS CDN at
/// http://localhost:P2, so a client sees a redirect to another host exactly as it does with huggingface.co and its
/// CDN. It keeps a log of every request and a list of armed faults.
/// </summary>
public sealed class HubStandInServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, StandInRepository> _repositories = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, StandInFile> _cdnObjects = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StandInRequest> _requests = new();
    private readonly List<StandInFault> _faults = [];
    private readonly WebApplication _app;
    private readonly int _cdnPort;
    private readonly StandInEndpoints _endpoints;

    private HubStandInServer(WebApplication app, int cdnPort)
    {
        _app = app;
        _cdnPort = cdnPort;
        _endpoints = new StandInEndpoints(this);
    }

    public Uri HubUrl { get; private set; } = null!;

    public Uri CdnUrl { get; private set; } = null!;

    /// <summary>Entries per page of the tree API (the Hub's is 1000 without expand).</summary>
    public int TreePageSize { get; set; } = 1000;

    /// <summary>Models per page of /api/models when the request sets no smaller limit.</summary>
    public int SearchPageSize { get; set; } = 1000;

    /// <summary>Cancelled when the host is asked to stop (SIGTERM, Ctrl+C).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<StandInRequest> Requests => _requests.ToArray();

    public IEnumerable<StandInRepository> Repositories => _repositories.Values;

    public static async Task<HubStandInServer> StartAsync(CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            int cdnPort = FreeLoopbackPort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0);
                // "localhost" binds 127.0.0.1 and [::1] where IPv6 exists, so any resolution of the name connects.
                kestrel.ListenLocalhost(cdnPort);
                kestrel.AddServerHeader = false;
            });
            var app = builder.Build();
            var server = new HubStandInServer(app, cdnPort);
            app.Run(server.HandleAsync);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException) when (attempt < 5)
            {
                // Another process took the CDN port between the probe and the bind: try another.
                await app.DisposeAsync();
                continue;
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            int hubPort = addresses.Select(a => new Uri(a).Port).First(p => p != cdnPort);
            server.HubUrl = new Uri($"http://127.0.0.1:{hubPort}");
            server.CdnUrl = new Uri($"http://localhost:{cdnPort}");
            return server;
        }
    }

    public StandInRepository Add(StandInRepository repository)
    {
        _repositories[repository.Id] = repository;
        return repository;
    }

    public StandInFault AddFault(StandInFault fault)
    {
        lock (_faults)
        {
            _faults.Add(fault);
        }
        return fault;
    }

    public void ClearFaults()
    {
        lock (_faults)
        {
            _faults.Clear();
        }
    }

    public void ClearRequests() => _requests.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal StandInRepository? FindRepository(string id) => _repositories.TryGetValue(id, out var repository) ? repository : null;

    internal StandInRepository? FindRenamed(string formerId) =>
        _repositories.Values.FirstOrDefault(r => r.FormerIds.Contains(formerId, StringComparer.OrdinalIgnoreCase));

    internal Uri PublishToCdn(StandInFile file)
    {
        string sha = file.Sha256;
        _cdnObjects[sha] = file;
        return new Uri(CdnUrl, $"/repos/{sha[..2]}/{sha[2..4]}/{sha}?X-Amz-Expires=3600&X-Amz-Signature=standin");
    }

    internal StandInFile? FindCdnObject(string sha256) => _cdnObjects.TryGetValue(sha256, out var file) ? file : null;

    internal StandInFault? TriggerFault(StandInFaultTarget target, string? repository, string? path, params StandInFaultKind[] kinds)
    {
        lock (_faults)
        {
            return _faults.FirstOrDefault(f => kinds.Contains(f.Kind) && f.TryTrigger(target, repository, path));
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        bool toCdn = context.Connection.LocalPort == _cdnPort;
        // Logged as the answer starts, before the client can see it, so a test that has its answer sees it logged.
        context.Response.OnStarting(() =>
        {
            var request = context.Request;
            _requests.Enqueue(new StandInRequest(toCdn, request.Method, request.Path + request.QueryString,
                request.Headers.Authorization.FirstOrDefault(), request.Headers.Range.FirstOrDefault(), context.Response.StatusCode));
            return Task.CompletedTask;
        });
        if (toCdn)
        {
            await _endpoints.HandleCdnAsync(context);
        }
        else
        {
            await _endpoints.HandleHubAsync(context);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
