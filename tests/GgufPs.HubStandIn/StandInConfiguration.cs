using System.Text.Json;

namespace GgufPs.HubStandIn;

/// <summary>
/// Reads a JSON description of repositories and faults into a running stand-in (the process mode's --config):
/// <code>
/// { "treePageSize": 1000, "searchPageSize": 1000,
///   "repositories": [ { "id": "org/name", "folder": "path", "lfsExtensions": [".gguf"], "token": "hf_x",
///                       "gated": true, "grantedTokens": ["hf_y"], "formerIds": ["org/old"], "downloads": 1,
///                       "likes": 2, "lastModified": "2024-01-01T00:00:00Z", "tags": ["gguf"],
///                       "gguf": { "architecture": "llama", "contextLength": 2048, "total": 260000 } } ],
///   "faults": [ { "kind": "TooManyRequests", "target": "Content", "repository": "org/name", "path": "x",
///                 "times": 1, "afterBytes": 0, "retryAfterSeconds": 1 } ] }
/// </code>
/// Relative folders are taken from the configuration file's folder.
/// </summary>
public static class StandInConfiguration
{
    public static void Apply(HubStandInServer server, string configurationPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(configurationPath));
        var root = document.RootElement;
        string baseFolder = Path.GetDirectoryName(Path.GetFullPath(configurationPath))!;
        if (root.TryGetProperty("treePageSize", out var treePageSize))
        {
            server.TreePageSize = treePageSize.GetInt32();
        }
        if (root.TryGetProperty("searchPageSize", out var searchPageSize))
        {
            server.SearchPageSize = searchPageSize.GetInt32();
        }
        if (root.TryGetProperty("repositories", out var repositories))
        {
            foreach (var element in repositories.EnumerateArray())
            {
                server.Add(ReadRepository(element, baseFolder));
            }
        }
        if (root.TryGetProperty("faults", out var faults))
        {
            foreach (var element in faults.EnumerateArray())
            {
                server.AddFault(ReadFault(element));
            }
        }
    }

    private static StandInRepository ReadRepository(JsonElement element, string baseFolder)
    {
        string id = element.GetProperty("id").GetString()!;
        string folder = Path.GetFullPath(element.GetProperty("folder").GetString()!, baseFolder);
        var repository = StandInRepository.FromFolder(id, folder, Strings(element, "lfsExtensions").ToList() is { Count: > 0 } lfs ? lfs : null);
        repository.RequiredToken = element.TryGetProperty("token", out var token) ? token.GetString() : null;
        repository.Gated = element.TryGetProperty("gated", out var gated) && gated.GetBoolean();
        repository.GrantedTokens.UnionWith(Strings(element, "grantedTokens"));
        repository.FormerIds.AddRange(Strings(element, "formerIds"));
        repository.Tags.AddRange(Strings(element, "tags"));
        repository.Downloads = element.TryGetProperty("downloads", out var downloads) ? downloads.GetInt64() : 0;
        repository.Likes = element.TryGetProperty("likes", out var likes) ? likes.GetInt64() : 0;
        if (element.TryGetProperty("lastModified", out var lastModified))
        {
            repository.LastModified = lastModified.GetDateTimeOffset();
        }
        if (element.TryGetProperty("gguf", out var gguf))
        {
            repository.Gguf = new StandInGgufSummary(gguf.GetProperty("architecture").GetString()!,
                gguf.GetProperty("contextLength").GetInt64(), gguf.GetProperty("total").GetInt64());
        }
        return repository;
    }

    private static StandInFault ReadFault(JsonElement element) =>
        new(Enum.Parse<StandInFaultKind>(element.GetProperty("kind").GetString()!, ignoreCase: true),
            element.TryGetProperty("times", out var times) ? times.GetInt32() : 1)
        {
            Target = element.TryGetProperty("target", out var target) ? Enum.Parse<StandInFaultTarget>(target.GetString()!, ignoreCase: true) : StandInFaultTarget.Content,
            Repository = element.TryGetProperty("repository", out var repository) ? repository.GetString() : null,
            Path = element.TryGetProperty("path", out var path) ? path.GetString() : null,
            AfterBytes = element.TryGetProperty("afterBytes", out var afterBytes) ? afterBytes.GetInt64() : 0,
            RetryAfterSeconds = element.TryGetProperty("retryAfterSeconds", out var retry) ? retry.GetInt32() : 1,
        };

    private static IEnumerable<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) ? array.EnumerateArray().Select(e => e.GetString()!) : [];
}
