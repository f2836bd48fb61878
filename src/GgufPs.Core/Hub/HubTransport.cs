using System.Net;
using System.Net.Http.Headers;

namespace GgufPs.Hub;

/// <summary>
/// HTTP to the Hub: follows redirects itself so the token goes only to the Hub's own authority (a relative redirect
/// keeps it; an absolute redirect to the CDN never carries Authorization), retries 429 and 503 honouring Retry-After
/// with exponential backoff and a limit, retries failed connections, and maps X-Error-Code answers to typed
/// exceptions (utils/_http.py's hf_raise_for_status).
/// </summary>
internal sealed class HubTransport : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly HubSettings _settings;
    private readonly HubRetryOptions _retry;

    public HubTransport(HubSettings settings, HubRetryOptions retry)
    {
        _settings = settings;
        _retry = retry;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            MaxConnectionsPerServer = 256,
            ConnectTimeout = settings.MetadataTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("GgufPs", typeof(HubTransport).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public HubSettings Settings => _settings;

    public HubRetryOptions Retry => _retry;

    /// <summary>
    /// Sends a request and returns the final answer (not checked for success): redirects followed under
    /// <paramref name="policy"/>, 429/503 and connection failures retried. The timeout covers the wait for headers.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HubRedirectPolicy policy,
        Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        if (_settings.Offline)
        {
            throw new HfOfflineCacheMissException($"Offline mode is on (HF_HUB_OFFLINE), so {uri.GetLeftPart(UriPartial.Path)} was not requested.");
        }
        for (int redirects = 0; ; redirects++)
        {
            var response = await SendWithRetriesAsync(method, uri, configure, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status < 300 || status > 399 || response.Headers.Location is not { } location)
            {
                return response;
            }
            // The raw value: on Unix .NET would read "/path" as a file:// address.
            string raw = location.OriginalString;
            bool absolute = Uri.TryCreate(raw, UriKind.Absolute, out var target) && (target.Scheme == Uri.UriSchemeHttp || target.Scheme == Uri.UriSchemeHttps);
            bool relative = !absolute && !raw.StartsWith("//", StringComparison.Ordinal);
            if (!relative && policy == HubRedirectPolicy.RelativeOnly)
            {
                return response;
            }
            if (redirects >= MaxRedirects)
            {
                response.Dispose();
                throw new HfHubException($"Too many redirects from {uri.GetLeftPart(UriPartial.Path)}.", status);
            }
            response.Dispose();
            uri = absolute ? target! : new Uri(uri, raw);
        }
    }

    /// <summary>Throws the typed exception for a failed answer (4xx/5xx), after huggingface_hub's hf_raise_for_status.</summary>
    public void EnsureSuccess(HttpResponseMessage response, string? repository = null, string? revision = null, string? path = null)
    {
        int status = (int)response.StatusCode;
        if (status < 400)
        {
            return;
        }
        string? code = Header(response, "X-Error-Code");
        string? message = Header(response, "X-Error-Message");
        string url = response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Path) ?? "";
        if (code == "RevisionNotFound" && repository is not null)
        {
            throw new HfRevisionNotFoundException(repository, revision ?? "main", status);
        }
        if (code == "EntryNotFound" && repository is not null)
        {
            throw new HfEntryNotFoundException(repository, revision ?? "main", path ?? "", status);
        }
        if (code == "GatedRepo" && repository is not null)
        {
            throw new HfGatedRepositoryException(repository, _settings.Endpoint, status);
        }
        // The Hub answers 401 for private and missing repositories alike: huggingface_hub reports both as RepoNotFound.
        if (repository is not null && (code == "RepoNotFound" || status == 401))
        {
            throw new HfRepositoryNotFoundException(repository, _settings.Endpoint, status);
        }
        string detail = message is null ? "" : ": " + message;
        string hint = status == 403 ? " Make sure your token has the permissions this needs." : "";
        throw new HfHubException($"{response.RequestMessage?.Method} {url} failed with HTTP {status} ({response.ReasonPhrase}){detail}.{hint}", status, code);
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendWithRetriesAsync(HttpMethod method, Uri uri, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            // The token goes to the Hub's own authority only: never to a CDN or any other host a redirect names.
            if (_settings.Token is not null && SameAuthority(uri, _settings.Endpoint))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
            }
            configure?.Invoke(request);

            HttpResponseMessage response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_settings.MetadataTimeout);
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _retry.MaxRetries)
                    {
                        throw new HfHubException($"{method} {uri.GetLeftPart(UriPartial.Path)} got no answer within {_settings.MetadataTimeout.TotalSeconds:0.#} s (HF_HUB_ETAG_TIMEOUT).");
                    }
                    await Task.Delay(_retry.Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException) when (attempt < _retry.MaxRetries)
                {
                    await Task.Delay(_retry.Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            int status = (int)response.StatusCode;
            if ((status == 429 || status == 503) && attempt < _retry.MaxRetries)
            {
                var wait = RetryAfter(response) ?? _retry.Backoff(attempt);
                response.Dispose();
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    /// <summary>Retry-After as seconds or as an HTTP date, capped so a hostile value cannot park the download.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null)
        {
            return null;
        }
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > _retry.MaxRetryAfter ? _retry.MaxRetryAfter : wait;
    }

    internal static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;
}
