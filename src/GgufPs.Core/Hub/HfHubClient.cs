using System.Globalization;

using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// The Hub's read API as huggingface_hub uses it (hf_api.py): the revision API for the commit and file list, the
/// tree API (paged by Link headers) for sizes and LFS hashes, HEAD of resolve URLs for file metadata, and the model
/// search. Requests go through <see cref="HubTransport"/>, which keeps the token away from other hosts.
/// </summary>
public sealed partial class HfHubClient : IDisposable
{
    private readonly HubTransport _transport;

    public HfHubClient(HubSettings settings, HubRetryOptions? retry = null)
    {
        _transport = new HubTransport(settings, retry ?? new HubRetryOptions());
    }

    public HubSettings Settings => _transport.Settings;

    internal HubTransport Transport => _transport;

    /// <summary>The commit a revision resolves to and the files it holds.</summary>
    public async Task<HfRepositoryInfo> GetRepositoryInfoAsync(string repository, string revision = "main", CancellationToken cancellationToken = default)
    {
        repository = HfRepositoryId.Validate(repository);
        var uri = ApiUri($"api/models/{repository}/revision/{Uri.EscapeDataString(revision)}");
        using var document = await GetJsonAsync(uri, repository, revision, null, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        string commit = root.TryGetProperty("sha", out var sha) && sha.GetString() is { } s ? s
            : throw new HfHubException($"The Hub's answer for '{repository}' at '{revision}' names no commit.");
        var siblings = new List<HfRepositorySibling>();
        if (root.TryGetProperty("siblings", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                siblings.Add(new HfRepositorySibling(
                    item.GetProperty("rfilename").GetString()!,
                    item.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                    item.TryGetProperty("blobId", out var blob) ? blob.GetString() : null,
                    item.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("sha256").GetString() : null));
            }
        }
        return new HfRepositoryInfo(root.TryGetProperty("id", out var id) ? id.GetString() ?? repository : repository, commit, siblings);
    }

    /// <summary>The tree API's entries under a folder ('' for the root), following the Link header page by page.</summary>
    public async IAsyncEnumerable<HfTreeEntry> ListTreeAsync(string repository, string revision, string path = "", bool recursive = true,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        repository = HfRepositoryId.Validate(repository);
        string folder = string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        Uri? next = ApiUri($"api/models/{repository}/tree/{Uri.EscapeDataString(revision)}{(folder.Length > 0 ? "/" + folder : "")}?recursive={(recursive ? "true" : "false")}&expand=false");
        while (next is not null)
        {
            using var response = await _transport.SendAsync(HttpMethod.Get, next, HubRedirectPolicy.RelativeOnly, null, cancellationToken).ConfigureAwait(false);
            _transport.EnsureSuccess(response, repository, revision, path);
            next = NextPage(response);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                bool directory = item.GetProperty("type").GetString() == "directory";
                yield return new HfTreeEntry(
                    item.GetProperty("path").GetString()!,
                    directory,
                    item.TryGetProperty("size", out var size) ? size.GetInt64() : 0,
                    item.TryGetProperty("oid", out var oid) ? oid.GetString() ?? "" : "",
                    item.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("oid").GetString() : null);
            }
        }
    }

    /// <summary>
    /// Every file of a revision with its size and hashes (Get-HfModelFile): the revision API for the commit and the
    /// file list, then the tree API at that commit for sizes and LFS hashes.
    /// </summary>
    public async Task<IReadOnlyList<HfModelFile>> ListFilesAsync(string repository, string revision = "main", CancellationToken cancellationToken = default)
    {
        var info = await GetRepositoryInfoAsync(repository, revision, cancellationToken).ConfigureAwait(false);
        var tree = new Dictionary<string, HfTreeEntry>(StringComparer.Ordinal);
        await foreach (var entry in ListTreeAsync(info.Id, info.CommitHash, "", recursive: true, cancellationToken).ConfigureAwait(false))
        {
            if (!entry.IsDirectory)
            {
                tree[entry.Path] = entry;
            }
        }
        return info.Siblings.Select(s =>
        {
            tree.TryGetValue(s.Path, out var entry);
            string? sha = entry?.LfsSha256 ?? s.LfsSha256;
            return new HfModelFile
            {
                Repository = info.Id,
                Revision = revision,
                CommitHash = info.CommitHash,
                Path = s.Path,
                Size = entry?.Size ?? s.Size ?? 0,
                IsLfs = sha is not null,
                Sha256 = sha,
                BlobId = entry?.Oid ?? s.BlobId,
                QuantizationType = HfQuantizationName.Parse(s.Path),
            };
        }).ToList();
    }

    /// <summary>
    /// HEAD of {endpoint}/{repo}/resolve/{revision}/{path}, following relative redirects only (a renamed repository);
    /// an LFS file answers 302 to the CDN with X-Linked-Etag and X-Linked-Size.
    /// </summary>
    public async Task<HfFileMetadata> GetFileMetadataAsync(string repository, string revision, string path, CancellationToken cancellationToken = default)
    {
        repository = HfRepositoryId.Validate(repository);
        var uri = ResolveUri(repository, revision, path);
        using var response = await _transport.SendAsync(HttpMethod.Head, uri, HubRedirectPolicy.RelativeOnly,
            r => r.Headers.AcceptEncoding.ParseAdd("identity"), cancellationToken).ConfigureAwait(false);
        _transport.EnsureSuccess(response, repository, revision, path);
        string? commit = HubTransport.Header(response, "X-Repo-Commit");
        string? etag = HubTransport.Header(response, "X-Linked-Etag") ?? HubTransport.Header(response, "ETag");
        string? size = HubTransport.Header(response, "X-Linked-Size");
        long? length = long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out long linked) ? linked : response.Content.Headers.ContentLength;
        if (commit is null)
        {
            throw new HfHubException($"{uri.GetLeftPart(UriPartial.Path)} did not answer like the Hub (no X-Repo-Commit): check HF_ENDPOINT, proxies and firewalls.");
        }
        if (etag is null || length is null)
        {
            throw new HfHubException($"{uri.GetLeftPart(UriPartial.Path)} gave no {(etag is null ? "ETag" : "size")}, so the download could not be checked.");
        }
        // After a relative redirect the final request's address is where the file lives; a 3xx names the CDN.
        var location = (int)response.StatusCode is >= 300 and <= 399 && response.Headers.Location is { } l
            ? (Uri.TryCreate(l.OriginalString, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal) ? absolute : new Uri(response.RequestMessage!.RequestUri!, l.OriginalString))
            : response.RequestMessage!.RequestUri!;
        return new HfFileMetadata(commit, HfFileMetadata.NormalizeETag(etag), location, length.Value);
    }

    /// <summary>/api/models with the query, following the Link header for more pages until First results.</summary>
    public async IAsyncEnumerable<HfModelSearchResult> SearchModelsAsync(HfModelQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var parameters = new List<string>();
        if (!string.IsNullOrEmpty(query.Search))
        {
            parameters.Add("search=" + Uri.EscapeDataString(query.Search));
        }
        if (!string.IsNullOrEmpty(query.Author))
        {
            parameters.Add("author=" + Uri.EscapeDataString(query.Author));
        }
        parameters.AddRange(query.Filter.Select(f => "filter=" + Uri.EscapeDataString(f)));
        if (query.Sort is { } sort)
        {
            parameters.Add("sort=" + (sort switch { HfModelSort.Downloads => "downloads", HfModelSort.Likes => "likes", _ => "lastModified" }));
            parameters.Add("direction=-1");
        }
        if (query.First is int first)
        {
            parameters.Add("limit=" + Math.Min(first, 1000).ToString(CultureInfo.InvariantCulture));
        }
        parameters.AddRange(new[] { "author", "downloads", "likes", "lastModified", "tags", "gated", "gguf", "pipeline_tag", "library_name" }
            .Select(e => "expand=" + e));
        Uri? next = ApiUri("api/models?" + string.Join('&', parameters));
        int count = 0;
        while (next is not null)
        {
            using var response = await _transport.SendAsync(HttpMethod.Get, next, HubRedirectPolicy.RelativeOnly, null, cancellationToken).ConfigureAwait(false);
            _transport.EnsureSuccess(response);
            next = NextPage(response);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (query.First is int limit && count >= limit)
                {
                    yield break;
                }
                count++;
                yield return ReadModel(item);
            }
        }
    }

    public void Dispose() => _transport.Dispose();

    internal Uri ResolveUri(string repository, string revision, string path) =>
        ApiUri($"{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    private Uri ApiUri(string relative) => new(Settings.Endpoint.AbsoluteUri.TrimEnd('/') + "/" + relative);

    private async Task<JsonDocument> GetJsonAsync(Uri uri, string repository, string? revision, string? path, CancellationToken cancellationToken)
    {
        using var response = await _transport.SendAsync(HttpMethod.Get, uri, HubRedirectPolicy.RelativeOnly, null, cancellationToken).ConfigureAwait(false);
        _transport.EnsureSuccess(response, repository, revision, path);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new HfHubException($"{uri.GetLeftPart(UriPartial.Path)} did not answer with JSON: is HF_ENDPOINT a Hub?", (int)response.StatusCode, null, ex);
        }
    }

    private static HfModelSearchResult ReadModel(JsonElement item)
    {
        JsonElement gguf = item.TryGetProperty("gguf", out var g) && g.ValueKind == JsonValueKind.Object ? g : default;
        return new HfModelSearchResult
        {
            Id = item.GetProperty("id").GetString()!,
            Author = Text(item, "author"),
            Downloads = Number(item, "downloads") ?? 0,
            Likes = Number(item, "likes") ?? 0,
            LastModified = item.TryGetProperty("lastModified", out var m) && m.TryGetDateTimeOffset(out var date) ? date : null,
            Tags = item.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array ? tags.EnumerateArray().Select(t => t.GetString() ?? "").ToArray() : [],
            Gated = item.TryGetProperty("gated", out var gated) && (gated.ValueKind == JsonValueKind.String || gated.ValueKind == JsonValueKind.True),
            PipelineTag = Text(item, "pipeline_tag"),
            LibraryName = Text(item, "library_name"),
            Architecture = gguf.ValueKind == JsonValueKind.Object ? Text(gguf, "architecture") : null,
            ContextLength = gguf.ValueKind == JsonValueKind.Object ? Number(gguf, "context_length") : null,
            Parameters = gguf.ValueKind == JsonValueKind.Object ? Number(gguf, "total") : null,
        };
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) ? n : null;

    /// <summary>The rel="next" address of a Link header, as huggingface_hub's paginate follows it.</summary>
    private static Uri? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }
        foreach (Match match in LinkPattern().Matches(string.Join(",", values)))
        {
            if (match.Groups["rel"].Value.Split(' ').Contains("next"))
            {
                var target = match.Groups["url"].Value;
                return Uri.TryCreate(target, UriKind.Absolute, out var absolute) ? absolute : new Uri(response.RequestMessage!.RequestUri!, target);
            }
        }
        return null;
    }

    [GeneratedRegex("<(?<url>[^>]*)>\\s*;\\s*rel=\"?(?<rel>[^\",;]*)\"?")]
    private static partial Regex LinkPattern();


}
