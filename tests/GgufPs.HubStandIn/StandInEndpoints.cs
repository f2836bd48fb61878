using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GgufPs.HubStandIn;

/// <summary>
/// The Hub's endpoints as huggingface_hub calls them (hf_api.py, file_download.py), with the same status codes,
/// headers and JSON shapes: the revision API, the tree API, resolve (HEAD and GET, with a 302 to the CDN for LFS
/// files), the model search, and the CDN's ranged GETs.
/// </summary>
internal sealed class StandInEndpoints(HubStandInServer server)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public async Task HandleHubAsync(HttpContext context)
    {
        string rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        int queryAt = rawTarget.IndexOf('?');
        string rawPath = queryAt < 0 ? rawTarget : rawTarget[..queryAt];
        string[] segments = rawPath.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();

        if (segments.Length >= 2 && segments[0] == "api" && segments[1] == "models")
        {
            if (segments.Length == 2)
            {
                await SearchAsync(context);
                return;
            }
            if (segments.Length < 4)
            {
                await NotFoundAsync(context);
                return;
            }
            string id = segments[2] + "/" + segments[3];
            if (TriggerStatusFault(context, StandInFaultTarget.Api, id, null))
            {
                return;
            }
            var repository = Authorize(context, id, rawTarget, segmentIndex: 2);
            if (repository is null)
            {
                return;
            }
            string[] rest = segments[4..];
            if (rest.Length == 0 || (rest.Length == 2 && rest[0] == "revision"))
            {
                await RevisionInfoAsync(context, repository, rest.Length == 0 ? "main" : rest[1]);
            }
            else if (rest.Length >= 2 && rest[0] == "tree")
            {
                await TreeAsync(context, repository, rest[1], string.Join('/', rest[2..]));
            }
            else
            {
                await NotFoundAsync(context);
            }
            return;
        }

        if (segments.Length >= 5 && segments[2] == "resolve")
        {
            string id = segments[0] + "/" + segments[1];
            var repository = Authorize(context, id, rawTarget, segmentIndex: 0);
            if (repository is null)
            {
                return;
            }
            await ResolveAsync(context, repository, segments[3], string.Join('/', segments[4..]));
            return;
        }
        await NotFoundAsync(context);
    }

    public async Task HandleCdnAsync(HttpContext context)
    {
        string[] segments = context.Request.Path.Value!.Trim('/').Split('/');
        var file = segments.Length == 4 && segments[0] == "repos" ? server.FindCdnObject(segments[3]) : null;
        if (file is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        await SendContentAsync(context, file, null, file.Path, "\"" + file.Sha256 + "\"");
    }

    /// <summary>
    /// The repository for a request, or null once the answer is written: a relative 307 for a former id, and 401
    /// RepoNotFound for an unknown id or a private one without its token (the Hub hides private repositories).
    /// </summary>
    private StandInRepository? Authorize(HttpContext context, string id, string rawTarget, int segmentIndex)
    {
        var repository = server.FindRepository(id);
        if (repository is null)
        {
            var renamed = server.FindRenamed(id);
            if (renamed is not null)
            {
                string[] parts = rawTarget.Split('/');
                // rawTarget starts with '/', so segment k of the path is parts[k + 1].
                parts[segmentIndex + 1] = Uri.EscapeDataString(renamed.Author);
                parts[segmentIndex + 2] = Uri.EscapeDataString(renamed.Id[(renamed.Author.Length + 1)..]);
                context.Response.StatusCode = 307;
                context.Response.Headers.Location = string.Join('/', parts);
                return null;
            }
        }
        if (repository is null || (repository.RequiredToken is not null && BearerToken(context) != repository.RequiredToken))
        {
            Error(context, 401, "RepoNotFound", "Repository not found");
            return null;
        }
        return repository;
    }

    private async Task RevisionInfoAsync(HttpContext context, StandInRepository repository, string revisionName)
    {
        var revision = repository.FindRevision(revisionName);
        if (revision is null)
        {
            Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revisionName);
            return;
        }
        bool blobs = context.Request.Query["blobs"] == "true" || context.Request.Query["blobs"] == "True";
        var siblings = new JsonArray();
        foreach (var file in revision.Files)
        {
            var sibling = new JsonObject { ["rfilename"] = file.Path };
            if (blobs)
            {
                sibling["size"] = file.Size;
                sibling["blobId"] = file.BlobId;
                if (file.IsLfs)
                {
                    sibling["lfs"] = new JsonObject { ["size"] = file.Size, ["sha256"] = file.Sha256, ["pointerSize"] = Encoding.UTF8.GetByteCount(file.PointerText) };
                }
            }
            siblings.Add(sibling);
        }
        var info = ModelJson(repository, expand: null);
        info["sha"] = revision.CommitSha;
        info["siblings"] = siblings;
        await WriteJsonAsync(context, info);
    }

    private async Task TreeAsync(HttpContext context, StandInRepository repository, string revisionName, string path)
    {
        var revision = repository.FindRevision(revisionName);
        if (revision is null)
        {
            Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revisionName);
            return;
        }
        bool recursive = context.Request.Query["recursive"] is var r && (r == "true" || r == "True" || r == "1");
        string prefix = path.Length == 0 ? "" : path.TrimEnd('/') + "/";
        var entries = new SortedDictionary<string, StandInFile?>(StringComparer.Ordinal);
        foreach (var file in revision.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            string relative = file.Path[prefix.Length..];
            string[] parts = relative.Split('/');
            // Every folder on the way is a directory entry; without recursive only the first level is listed.
            for (int depth = 1; depth < parts.Length && (recursive || depth == 1); depth++)
            {
                entries.TryAdd(prefix + string.Join('/', parts[..depth]), null);
            }
            if (recursive || parts.Length == 1)
            {
                entries[file.Path] = file;
            }
        }
        if (path.Length > 0 && entries.Count == 0)
        {
            Error(context, 404, "EntryNotFound", $"{path} does not exist on \"{revisionName}\"");
            return;
        }
        int start = int.TryParse(context.Request.Query["cursor"], CultureInfo.InvariantCulture, out int cursor) ? cursor : 0;
        var page = entries.Skip(start).Take(server.TreePageSize).ToList();
        if (start + page.Count < entries.Count)
        {
            var next = new UriBuilder(new Uri(server.HubUrl, context.Request.Path.Value))
            {
                Query = $"recursive={(recursive ? "true" : "false")}&expand=false&cursor={start + page.Count}",
            };
            context.Response.Headers["Link"] = $"<{next.Uri.AbsoluteUri}>; rel=\"next\"";
        }
        var array = new JsonArray();
        foreach (var (entryPath, file) in page)
        {
            if (file is null)
            {
                array.Add(new JsonObject
                {
                    ["type"] = "directory",
                    ["oid"] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(revision.CommitSha + entryPath))),
                    ["size"] = 0,
                    ["path"] = entryPath,
                });
                continue;
            }
            var entry = new JsonObject { ["type"] = "file", ["oid"] = file.BlobId, ["size"] = file.Size, ["path"] = file.Path };
            if (file.IsLfs)
            {
                entry["lfs"] = new JsonObject { ["oid"] = file.Sha256, ["size"] = file.Size, ["pointerSize"] = Encoding.UTF8.GetByteCount(file.PointerText) };
            }
            array.Add(entry);
        }
        await WriteJsonAsync(context, array);
    }

    private async Task ResolveAsync(HttpContext context, StandInRepository repository, string revisionName, string path)
    {
        bool head = HttpMethods.IsHead(context.Request.Method);
        if (head && TriggerStatusFault(context, StandInFaultTarget.Metadata, repository.Id, path))
        {
            return;
        }
        var revision = repository.FindRevision(revisionName);
        if (revision is null)
        {
            Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revisionName);
            return;
        }
        context.Response.Headers["X-Repo-Commit"] = revision.CommitSha;
        if (repository.Gated && !repository.GrantedTokens.Contains(BearerToken(context) ?? ""))
        {
            bool anonymous = BearerToken(context) is null;
            Error(context, anonymous ? 401 : 403, "GatedRepo",
                $"Access to model {repository.Id} is restricted. You must have access to it and be authenticated to access it. Please log in.");
            return;
        }
        var file = revision.Find(path);
        if (file is null)
        {
            Error(context, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (file.IsLfs)
        {
            var location = server.PublishToCdn(file);
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = location.AbsoluteUri;
            context.Response.Headers.ETag = "\"" + file.BlobId + "\"";
            context.Response.Headers["X-Linked-Etag"] = "\"" + file.Sha256 + "\"";
            context.Response.Headers["X-Linked-Size"] = file.Size.ToString(CultureInfo.InvariantCulture);
            byte[] body = Encoding.UTF8.GetBytes("Found. Redirecting to " + location.AbsoluteUri);
            context.Response.ContentLength = body.Length;
            if (!head)
            {
                await context.Response.Body.WriteAsync(body);
            }
            return;
        }
        await SendContentAsync(context, file, repository.Id, path, "\"" + file.BlobId + "\"");
    }

    /// <summary>A file's bytes with its ETag, honouring one "bytes=a-b" range, and playing any armed content fault.</summary>
    private async Task SendContentAsync(HttpContext context, StandInFile file, string? repository, string path, string etag)
    {
        bool head = HttpMethods.IsHead(context.Request.Method);
        if (!head && TriggerStatusFault(context, StandInFaultTarget.Content, repository, path))
        {
            return;
        }
        var fault = head ? null : server.TriggerFault(StandInFaultTarget.Content, repository, path,
            StandInFaultKind.DropConnection, StandInFaultKind.IgnoreRange, StandInFaultKind.CorruptBytes);
        var response = context.Response;
        response.Headers.ETag = etag;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";

        long offset = 0, count = file.Size;
        string? range = context.Request.Headers.Range.FirstOrDefault();
        if (range is not null && fault?.Kind != StandInFaultKind.IgnoreRange)
        {
            if (!TryParseRange(range, file.Size, out offset, out count))
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{file.Size}";
                return;
            }
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {offset}-{offset + count - 1}/{file.Size}";
        }
        response.ContentLength = count;
        if (head)
        {
            return;
        }
        if (fault is null && file.SourcePath is not null)
        {
            await response.SendFileAsync(file.SourcePath, offset, count, context.RequestAborted);
            return;
        }

        long limit = fault?.Kind == StandInFaultKind.DropConnection ? Math.Min(fault.AfterBytes, count) : count;
        long corruptAt = fault?.Kind == StandInFaultKind.CorruptBytes ? file.Size / 2 : -1;
        await using var stream = file.OpenRead();
        stream.Seek(offset, SeekOrigin.Begin);
        byte[] buffer = new byte[1 << 20];
        long sent = 0;
        while (sent < limit)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - sent)));
            if (read == 0)
            {
                break;
            }
            long position = offset + sent;
            if (corruptAt >= position && corruptAt < position + read)
            {
                buffer[corruptAt - position] ^= 0xFF;
            }
            await response.Body.WriteAsync(buffer.AsMemory(0, read));
            sent += read;
        }
        if (sent < count)
        {
            // Let the bytes reach the client, then drop the connection as a network failure would.
            await response.Body.FlushAsync();
            await Task.Delay(100);
            context.Abort();
        }
    }

    private async Task SearchAsync(HttpContext context)
    {
        if (TriggerStatusFault(context, StandInFaultTarget.Api, null, null))
        {
            return;
        }
        var query = context.Request.Query;
        IEnumerable<StandInRepository> models = server.Repositories.Where(r => r.RequiredToken is null);
        foreach (string? search in query["search"])
        {
            models = models.Where(r => r.Id.Contains(search ?? "", StringComparison.OrdinalIgnoreCase));
        }
        if (query["author"].FirstOrDefault() is { } author)
        {
            models = models.Where(r => string.Equals(r.Author, author, StringComparison.OrdinalIgnoreCase));
        }
        foreach (string? tag in query["filter"])
        {
            models = models.Where(r => r.Tags.Contains(tag ?? "", StringComparer.OrdinalIgnoreCase));
        }
        bool descending = query["direction"].FirstOrDefault() != "1";
        Func<StandInRepository, IComparable> key = query["sort"].FirstOrDefault() switch
        {
            "downloads" => r => r.Downloads,
            "likes" => r => r.Likes,
            "lastModified" => r => r.LastModified,
            _ => r => r.Id,
        };
        var ordered = query["sort"].Count == 0 ? models.OrderBy(r => r.Id, StringComparer.Ordinal).ToList()
            : descending ? models.OrderByDescending(key).ThenBy(r => r.Id, StringComparer.Ordinal).ToList()
            : models.OrderBy(key).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();

        int pageSize = server.SearchPageSize;
        if (int.TryParse(query["limit"], CultureInfo.InvariantCulture, out int limit) && limit > 0)
        {
            pageSize = Math.Min(pageSize, limit);
        }
        int start = int.TryParse(query["cursor"], CultureInfo.InvariantCulture, out int cursor) ? cursor : 0;
        var page = ordered.Skip(start).Take(pageSize).ToList();
        if (start + page.Count < ordered.Count)
        {
            var parameters = query.Where(p => p.Key != "cursor")
                .SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? "")))
                .Append("cursor=" + (start + page.Count).ToString(CultureInfo.InvariantCulture));
            context.Response.Headers["Link"] = $"<{new Uri(server.HubUrl, "/api/models").AbsoluteUri}?{string.Join('&', parameters)}>; rel=\"next\"";
        }
        var expand = query["expand"].Concat(query["expand[]"]).Where(e => e is not null).Select(e => e!).ToHashSet(StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var model in page)
        {
            array.Add(ModelJson(model, expand.Count == 0 ? null : expand));
        }
        await WriteJsonAsync(context, array);
    }

    /// <summary>A model's listing fields: all of them, or with ?expand only the ones asked for (plus _id and id).</summary>
    private static JsonObject ModelJson(StandInRepository repository, IReadOnlySet<string>? expand)
    {
        var all = new JsonObject
        {
            ["author"] = repository.Author,
            ["downloads"] = repository.Downloads,
            ["likes"] = repository.Likes,
            ["lastModified"] = repository.LastModified.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["createdAt"] = repository.LastModified.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["private"] = repository.RequiredToken is not null,
            ["gated"] = repository.Gated ? JsonValue.Create("auto") : JsonValue.Create(false),
            ["tags"] = new JsonArray(repository.Tags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["library_name"] = repository.Gguf is null ? "transformers" : "gguf",
        };
        if (repository.Gguf is { } gguf)
        {
            all["gguf"] = new JsonObject
            {
                ["total"] = gguf.Total,
                ["architecture"] = gguf.Architecture,
                ["context_length"] = gguf.ContextLength,
            };
        }
        var model = new JsonObject
        {
            ["_id"] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repository.Id)))[..24],
            ["id"] = repository.Id,
        };
        foreach (var (name, value) in all.ToList())
        {
            if (expand is null || expand.Contains(name))
            {
                all.Remove(name);
                model[name] = value;
            }
        }
        if (expand is null)
        {
            model["modelId"] = repository.Id;
        }
        return model;
    }

    /// <summary>Plays an armed 429 or 503 for this request; true when it answered.</summary>
    private bool TriggerStatusFault(HttpContext context, StandInFaultTarget target, string? repository, string? path)
    {
        var fault = server.TriggerFault(target, repository, path, StandInFaultKind.TooManyRequests, StandInFaultKind.ServiceUnavailable);
        if (fault is null)
        {
            return false;
        }
        context.Response.StatusCode = fault.Kind == StandInFaultKind.TooManyRequests ? 429 : 503;
        if (fault.RetryAfterSeconds is int seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
        return true;
    }

    private static bool TryParseRange(string header, long size, out long offset, out long count)
    {
        offset = 0;
        count = 0;
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(','))
        {
            return false;
        }
        string[] bounds = header[6..].Split('-');
        if (bounds.Length != 2 || !long.TryParse(bounds[0], CultureInfo.InvariantCulture, out offset) || offset >= size)
        {
            return false;
        }
        long end = bounds[1].Length == 0 ? size - 1 : long.TryParse(bounds[1], CultureInfo.InvariantCulture, out long last) ? Math.Min(last, size - 1) : -1;
        count = end - offset + 1;
        return count > 0;
    }

    private static string? BearerToken(HttpContext context)
    {
        string? authorization = context.Request.Headers.Authorization.FirstOrDefault();
        return authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : null;
    }

    private static void Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private static async Task WriteJsonAsync(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(node.ToJsonString(Json));
    }
}
